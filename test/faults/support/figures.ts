/**
 * The figures a fault scenario measured, printed as they come (straight to stdout, so Jest's
 * console decoration does not bury them) and again as one block when the scenario ends.
 */
export class Figures {
  private readonly lines: string[] = [];

  constructor(private readonly scenario: string) {}

  /** Records and prints one figure line. */
  add(line: string): void {
    this.lines.push(line);
    process.stdout.write(`[faults ${this.scenario}] ${line}\n`);
  }

  /** Prints every figure of the scenario at once (call it in afterAll). */
  print(): void {
    if (this.lines.length === 0) return;
    process.stdout.write(`\n=== fault scenario ${this.scenario}: figures ===\n${this.lines.map((l) => `  ${l}`).join('\n')}\n\n`);
  }
}

/** Percentile of an unsorted sample (nearest rank); NaN for an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function tally(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) => `${label}: ${count}`)
    .join(', ');
}

export const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a');

export const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));
