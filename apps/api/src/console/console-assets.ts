import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repositoryRoot } from '../http/repository-root';

/** Content types of what `vite build` writes into the console's folder. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Only plain file names (Vite's hashed `index-3f2a1b.js`): no path, no dot-dot, nothing to traverse. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

/**
 * Where the built console lives: CONSOLE_DIR, else `dist/console` of the repository this code runs
 * from (found by walking up to the package.json, from the sources under ts-node/jest as from
 * dist/apps/api/… in production), so `npm start` and the tests find what `npm run build` wrote.
 */
export function consoleDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONSOLE_DIR?.trim()) return resolve(env.CONSOLE_DIR.trim());
  return join(repositoryRoot() ?? process.cwd(), 'dist', 'console');
}

/** The built console's files, read from disk on each request (a rebuild is served at once; the files are small). */
export class ConsoleAssets {
  constructor(readonly directory: string) {}

  built(): boolean {
    return existsSync(join(this.directory, 'index.html'));
  }

  index(): ConsoleAsset | undefined {
    return this.read(join(this.directory, 'index.html'));
  }

  /** A file of `assets/` by its bare name, or undefined for anything else. */
  asset(name: string): ConsoleAsset | undefined {
    if (!ASSET_NAME.test(name)) return undefined;
    return this.read(join(this.directory, 'assets', name));
  }

  private read(file: string): ConsoleAsset | undefined {
    const extension = file.slice(file.lastIndexOf('.'));
    const contentType = CONTENT_TYPES[extension];
    if (!contentType || !existsSync(file) || !statSync(file).isFile()) return undefined;
    return { body: readFileSync(file), contentType };
  }
}
