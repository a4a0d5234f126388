import { spawn } from 'node:child_process';
import { processIsRunning } from './process-alive';

describe('processIsRunning', () => {
  it('is true for a running process, false once it has ended, and false for an ended one not yet reaped (a zombie)', async () => {
    expect(processIsRunning(process.pid)).toBe(true);
    // A shell whose child ends at once and is never reaped while the shell sleeps: a zombie.
    const shell = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(await new Promise<string>((resolve) => shell.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))));
    try {
      for (const deadline = Date.now() + 5_000; processIsRunning(zombie) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      // It still exists (kill 0 finds it), yet it is not running.
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(processIsRunning(zombie)).toBe(false);
    } finally {
      shell.kill('SIGKILL');
    }
    await new Promise((resolve) => shell.once('exit', resolve));
    expect(processIsRunning(shell.pid!)).toBe(false);
  });
});
