/**
 * A dependency-free progress bar for stderr: events done / total, rate and ETA. On a terminal it
 * redraws one line (at most every 100 ms); otherwise (CI, a pipe) it prints a line every 5 s.
 */
export class ProgressBar {
  private readonly startedAt = Date.now();
  private startDone: number | undefined;
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  /** `total` null: not counted yet (the line shows what is done, no share of a total). */
  update(done: number, total: number | null, force = false): void {
    this.startDone ??= done;
    const t = this.now();
    const interval = this.out.isTTY ? 100 : 5_000;
    if (!force && t - this.lastDraw < interval) return;
    this.lastDraw = t;
    const line = renderProgress(this.label, done, total, (t - this.startedAt) / 1000, done - this.startDone);
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K`);
    else this.out.write(`${line}\n`);
  }

  finish(done: number, total: number): void {
    this.update(done, total, true);
    if (this.out.isTTY) this.out.write('\n');
  }
}

/**
 * One line: `label [#####-----]  42% 420,000/1,000,000 events  35,000 ev/s  ETA 17s`; before the
 * total is known, `label 420,000 events  35,000 ev/s  (counting the log)`.
 */
export function renderProgress(label: string, done: number, total: number | null, elapsedSeconds: number, doneThisRun: number, width = 30): string {
  const rate = elapsedSeconds > 0 ? doneThisRun / elapsedSeconds : 0;
  const n = (value: number) => Math.round(value).toLocaleString('en-US');
  if (total === null) return `${label} ${n(done)} events  ${n(rate)} ev/s  (counting the log)`;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  const eta = rate > 0 ? formatDuration((total - done) / rate) : '?';
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${n(done)}/${n(total)} events  ${n(rate)} ev/s  ETA ${eta}`;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
