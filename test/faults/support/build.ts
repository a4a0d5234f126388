/**
 * The fault suite and bench:lag run the BUILT apps: `npm run build` unless dist/ is newer than
 * every source file of apps/ and libs/ (and the tsconfig, nest-cli and package files).
 * SKIP_ENV=1 (e.g. FAULTS_SKIP_BUILD) uses an existing dist/ as it is; FORCE_ENV=1 always builds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_MAIN, REPO_ROOT, WORKER_MAIN } from './processes';

/** The newest modification time of the sources a build reads. */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['apps', 'libs']) visit(join(REPO_ROOT, dir));
  for (const file of readdirSync(REPO_ROOT)) {
    if (/^(tsconfig.*|nest-cli|package(-lock)?)\.json$/.test(file)) newest = Math.max(newest, statSync(join(REPO_ROOT, file)).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(options: { skipEnv: string; forceEnv: string; say: (line: string) => void }): void {
  const built = existsSync(API_MAIN) && existsSync(WORKER_MAIN);
  if (process.env[options.skipEnv] === '1' && built) {
    options.say(`${options.skipEnv}=1: using the existing dist/`);
    return;
  }
  if (built && process.env[options.forceEnv] !== '1' && Math.min(statSync(API_MAIN).mtimeMs, statSync(WORKER_MAIN).mtimeMs) > newestSourceMtime()) {
    options.say(`dist/ is newer than every source file: not rebuilding (${options.forceEnv}=1 forces it)`);
    return;
  }
  const started = Date.now();
  try {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failure = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed:\n${failure.stdout?.toString() ?? ''}${failure.stderr?.toString() ?? ''}`);
  }
  if (!existsSync(API_MAIN) || !existsSync(WORKER_MAIN)) throw new Error(`npm run build did not produce ${API_MAIN} and ${WORKER_MAIN}`);
  options.say(`npm run build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
