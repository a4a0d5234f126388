import { readFileSync } from 'node:fs';

/**
 * Is the process `pid` still running? `kill(pid, 0)` answers for any process that exists, including
 * one that has ended but not been reaped yet (a zombie: state Z in /proc). A process killed with its
 * parent is reparented to init, which may take a while to reap it on a busy machine: such a
 * process has ended, and is not running. EPERM: it exists, under another user. Where there is no
 * /proc, a zombie reads as running.
 */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return true;
  }
}
