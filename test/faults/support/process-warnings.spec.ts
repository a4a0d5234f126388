import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_MAIN, ManagedProcess } from './processes';

describe('the process warnings a fault scenario looks for', () => {
  const dir = mkdtempSync(join(tmpdir(), 'process-warnings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A process's log as a fleet writes it: pino lines and what a real Node prints with --trace-warnings. */
  function processRunning(name: string, script: string): ManagedProcess {
    const file = join(dir, `${name}.js`);
    writeFileSync(file, `console.log('{"level":30,"msg":"ready"}');\n${script}`);
    const run = spawnSync(process.execPath, ['--trace-warnings', file], { encoding: 'utf8' });
    const log = join(dir, `${name}.log`);
    writeFileSync(log, run.stdout + run.stderr);
    return new ManagedProcess(name, API_MAIN, {}, log, () => undefined);
  }

  it("finds a deprecation as pg 8 prints it, with the stack of the statement's sender", () => {
    const api = processRunning(
      'deprecation',
      [
        "const notice = require('node:util').deprecate(() => {}, 'Calling client.query() when the client is already executing a query is deprecated');",
        'function sendsASecondStatement() { notice(); }',
        'sendsASecondStatement();',
      ].join('\n'),
    );
    const warnings = api.warnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\(node:\d+\) DeprecationWarning: Calling client\.query\(\) when the client is already executing a query/);
    expect(warnings[0]).toContain('at sendsASecondStatement (');
  });

  it('finds a listener leak and a coded deprecation of Node itself', () => {
    const api = processRunning(
      'leak',
      [
        "const emitter = new (require('node:events').EventEmitter)();",
        'for (let i = 0; i < 11; i++) emitter.on("tick", () => {});',
        "process.emitWarning('old API', { type: 'DeprecationWarning', code: 'DEP0999' });",
      ].join('\n'),
    );
    expect(api.warnings().map((w) => w.split('\n')[0].replace(/^\(node:\d+\) /, ''))).toEqual([
      expect.stringMatching(/^MaxListenersExceededWarning: Possible EventEmitter memory leak detected/),
      '[DEP0999] DeprecationWarning: old API',
    ]);
  });

  it('finds none in a log with only pino lines, error lines included', () => {
    const api = processRunning('quiet', `console.log('{"level":50,"msg":"Warning: not a process warning"}');`);
    expect(api.warnings()).toEqual([]);
  });
});
