/**
 * The BUILT apps as real child processes (`npm run build` first: see global-setup.ts): the API
 * (dist/apps/api/.../main.js) and standalone workers (dist/apps/worker/.../main.js), each with a log
 * file of its own. Every process started here is killed when the fleet is cleaned up, and also when
 * the test process exits for any reason, so no stray server outlives the suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../setup/postgres-server';
import { HttpClient } from './http';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const API_MAIN = join(REPO_ROOT, 'dist/apps/api/apps/api/src/main.js');
export const WORKER_MAIN = join(REPO_ROOT, 'dist/apps/worker/apps/worker/src/main.js');

/**
 * The Node options `npm start` gives the built entry point `main` (package.json scripts: the flags
 * between `node` and the file), so the fault suite and the benchmarks run the servers exactly as a
 * user's `npm start` / `npm run start:worker` does — e.g. `--max-semi-space-size` (README, "Where
 * the time goes").
 */
export function startFlagsFor(main: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const file = main.slice(REPO_ROOT.length + 1);
  const script = Object.values(scripts).find((command) => command.includes(` ${file}`) && / node /.test(command));
  if (!script) throw new Error(`no npm script starts ${file}`);
  const flags = script.slice(script.lastIndexOf(' node ') + ' node '.length, script.indexOf(` ${file}`)).trim();
  return flags === '' ? [] : flags.split(/\s+/);
}

/** Every child still running, across fleets: killed on exit whatever happens. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

export interface ExitRecord {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Did the test cause it (kill -9, SIGTERM)? */
  expected: boolean;
  at: number;
  /**
   * For an exit nobody asked for: the last lines the process wrote (a crash's stack trace goes to
   * stderr, which shares the log file), so that the failure in CI says why without the log files.
   */
  lastLines?: string[];
}

/**
 * Environment for a child: only what we set, plus PATH/HOME, never the caller's secrets or settings.
 * NODE_ENV=test: the development secrets the tokens are signed with. The per-caller command throttle
 * is off: the load comes from a handful of token subjects, and what is measured is liveness, not the
 * throttle.
 */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? 'C.UTF-8', NODE_ENV: 'test', THROTTLE_COMMANDS_LIMIT: '0' };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) base[key] = value;
  return base;
}

export class ManagedProcess {
  readonly exits: ExitRecord[] = [];
  private child?: ChildProcess;
  private exitWaiters: (() => void)[] = [];
  private expectingExit = false;
  startedAt = 0;
  /**
   * Like a process supervisor (systemd, Kubernetes): start the process again `supervise` ms after
   * an exit nobody asked for. The exit is still recorded. Off (undefined) by default.
   */
  supervise?: number;
  /** Restarts done by the supervision. */
  restarts = 0;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly main: string,
    private readonly env: Record<string, string | undefined>,
    readonly logFile: string,
    private readonly onExit: (record: ExitRecord) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (or starts again, appending to the same log file). */
  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    installExitHook();
    const fd = openSync(this.logFile, 'a');
    this.expectingExit = false;
    // --trace-warnings: a process warning (a deprecation such as pg's "client is already executing a
    // query", a listener leak) is printed with the stack that caused it, for processWarnings().
    const child = spawn(process.execPath, [...startFlagsFor(this.main), '--trace-warnings', this.main], { cwd: REPO_ROOT, env: childEnv(this.env), stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    this.startedAt = Date.now();
    running.add(child);
    child.once('exit', (code, signal) => {
      running.delete(child);
      const record: ExitRecord = { name: this.name, code, signal, expected: this.expectingExit, at: Date.now() };
      if (!record.expected) record.lastLines = this.logTail(12).split('\n').map((line) => line.slice(0, 400));
      this.exits.push(record);
      this.onExit(record);
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      for (const wake of waiters) wake();
      if (!record.expected && this.supervise !== undefined) {
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (this.supervise === undefined || this.running) return;
          this.restarts += 1;
          this.start();
        }, this.supervise);
      }
    });
  }

  /** Resolves when the current child has exited (at once if none runs). */
  waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** kill -9, and wait until it is gone. */
  async kill9(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (!this.running) return;
    this.expectingExit = true;
    this.child?.kill('SIGKILL');
    await this.waitForExit(10_000);
  }

  /**
   * SIGTERM, then waits up to `graceMs` for the process to exit; if it has not, kill -9.
   * Returns how long it took and whether SIGTERM alone stopped it.
   */
  async terminate(graceMs = 10_000): Promise<{ stoppedBySigterm: boolean; ms: number; code: number | null }> {
    if (!this.running) return { stoppedBySigterm: true, ms: 0, code: this.child?.exitCode ?? null };
    this.expectingExit = true;
    const started = Date.now();
    this.child?.kill('SIGTERM');
    const exited = await this.waitForExit(graceMs);
    const ms = Date.now() - started;
    if (!exited) await this.kill9();
    return { stoppedBySigterm: exited, ms, code: exited ? (this.child?.exitCode ?? null) : null };
  }

  /** The last lines of the log file (for failure messages). */
  logTail(lines = 30): string {
    if (!existsSync(this.logFile)) return '(no log)';
    const all = readFileSync(this.logFile, 'utf8').split('\n');
    return all.slice(-lines - 1).join('\n');
  }

  logText(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** The process warnings Node printed (`(node:pid) …Warning: …`), each with the first lines of its stack. */
  warnings(): string[] {
    const lines = this.logText().split('\n');
    const found: string[] = [];
    lines.forEach((line, i) => {
      if (!/^\(node:\d+\) (\[\w+\] )?\w*Warning\b/.test(line)) return;
      const stack = lines.slice(i + 1, i + 9).filter((next) => /^\s+at /.test(next));
      found.push([line.slice(0, 300), ...stack.map((frame) => frame.trim().slice(0, 200))].join('\n  '));
    });
    return found;
  }
}

export class ApiProcess extends ManagedProcess {
  readonly baseUrl: string;

  constructor(name: string, readonly port: number, env: Record<string, string | undefined>, logFile: string, onExit: (record: ExitRecord) => void) {
    super(name, API_MAIN, env, logFile, onExit);
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  /**
   * Waits until the API serves: GET /health/live answers 200 (or, on code without /health/live,
   * GET /health answers at all). Returns the liveness path it found.
   */
  async waitUntilServing(timeoutMs = 60_000): Promise<string> {
    const client = new HttpClient(this.baseUrl, { maxSockets: 2 });
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline) {
        if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.logTail()}`);
        const live = await client.get('/health/live', { timeoutMs: 2_000 });
        if (live.status === 200) return '/health/live';
        if (live.status === 404) {
          const legacy = await client.get('/health', { timeoutMs: 2_000 });
          if (legacy.status) return '/health';
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`${this.name} did not serve within ${timeoutMs} ms:\n${this.logTail()}`);
    } finally {
      client.close();
    }
  }
}

export interface FleetOptions {
  databaseUrl: string;
  /** Extra environment for every process (e.g. WEBHOOK_ALLOWED_HOSTS). */
  env?: Record<string, string | undefined>;
}

/** The processes of one scenario, on one database. */
export class Fleet {
  readonly processes: ManagedProcess[] = [];
  readonly exits: ExitRecord[] = [];
  readonly logDir = mkdtempSync(join(tmpdir(), 'grant-ledger-faults-'));

  constructor(private readonly options: FleetOptions) {}

  async startApi(name: string, options: { runWorker: boolean; env?: Record<string, string | undefined>; port?: number; wait?: boolean }): Promise<ApiProcess> {
    const port = options.port ?? (await freePort());
    const api = new ApiProcess(
      name,
      port,
      {
        DATABASE_URL: this.options.databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        RUN_WORKER: String(options.runWorker),
        LOG_LEVEL: 'warn',
        ...this.options.env,
        ...options.env,
      },
      join(this.logDir, `${name}.log`),
      (record) => this.exits.push(record),
    );
    this.processes.push(api);
    api.start();
    if (options.wait !== false) await api.waitUntilServing();
    return api;
  }

  /** A standalone worker; waits `settleMs` and checks it is still running (it has no port to probe). */
  async startWorker(name: string, options: { env?: Record<string, string | undefined>; settleMs?: number; supervise?: number } = {}): Promise<ManagedProcess> {
    const worker = new ManagedProcess(
      name,
      WORKER_MAIN,
      { DATABASE_URL: this.options.databaseUrl, LOG_LEVEL: 'warn', ...this.options.env, ...options.env },
      join(this.logDir, `${name}.log`),
      (record) => this.exits.push(record),
    );
    this.processes.push(worker);
    worker.supervise = options.supervise;
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 2_500));
    if (!worker.running) throw new Error(`${name} exited while starting:\n${worker.logTail()}`);
    return worker;
  }

  /** Exits nobody asked for (a crash, an unhandled error, process.exit). */
  unexpectedExits(): ExitRecord[] {
    return this.exits.filter((e) => !e.expected);
  }

  /** Every process warning any process of the fleet printed, named by process (see ManagedProcess.warnings). */
  processWarnings(): string[] {
    const byLog = new Map<string, ManagedProcess>();
    for (const p of this.processes) byLog.set(p.logFile, p);
    return [...byLog.values()].flatMap((p) => p.warnings().map((warning) => `${p.name}: ${warning}`));
  }

  /**
   * What the processes logged at error level or above (pino JSON lines, level >= 50), tallied by
   * message, one line per process that logged any: for the figures, never asserted on.
   */
  errorSummary(): string[] {
    const lines: string[] = [];
    const byName = new Map<string, ManagedProcess>();
    for (const p of this.processes) byName.set(p.name, p);
    for (const p of byName.values()) {
      const counts = new Map<string, number>();
      for (const line of p.logText().split('\n')) {
        if (!line.trim()) continue;
        let message: string | undefined;
        try {
          const entry = JSON.parse(line) as { level?: number | string; msg?: string; err?: { message?: string }; error?: unknown };
          const level = typeof entry.level === 'number' ? entry.level : entry.level === 'error' || entry.level === 'fatal' ? 50 : 0;
          const detail = typeof entry.error === 'string' ? entry.error : entry.err?.message;
          if (level >= 50) message = `${(entry.msg ?? '').slice(0, 100)}${detail ? `: ${detail.slice(0, 100)}` : ''}`;
        } catch {
          if (/error/i.test(line)) message = line;
        }
        if (message !== undefined) {
          const key = message.slice(0, 160);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      if (counts.size === 0) continue;
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
      lines.push(`${p.name} logged errors: ${top.map(([m, n]) => `${n}x "${m}"`).join('; ')}`);
    }
    return lines;
  }

  /** kill -9 of everything still running; removes the logs unless FAULTS_KEEP_LOGS is set or `keepLogs`. */
  async cleanup(keepLogs = false): Promise<void> {
    for (const p of this.processes) p.supervise = undefined;
    await Promise.all(this.processes.map((p) => p.kill9()));
    if (!keepLogs && !process.env.FAULTS_KEEP_LOGS) rmSync(this.logDir, { recursive: true, force: true });
  }
}
