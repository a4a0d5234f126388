/**
 * Probes routes at a fixed interval (each target in a loop of its own, one request at a time, on a
 * client of its own so it never queues behind the load) and records every answer that was late,
 * missing or wrong.
 */
import { type HttpAnswer, HttpClient, outcomeLabel } from './http';
import { percentile } from './figures';

export interface ProbeTarget {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** What counts as a good answer (default: 200). */
  ok?: (answer: HttpAnswer) => boolean;
}

export interface ProbeStats {
  name: string;
  probes: number;
  failures: { at: number; outcome: string; ms: number }[];
  latencies: number[];
  statuses: string[];
}

export class Prober {
  readonly stats: ProbeStats[];
  private readonly client: HttpClient;
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    baseUrl: string,
    private readonly targets: ProbeTarget[],
    private readonly intervalMs = 250,
    private readonly timeoutMs = 2_000,
  ) {
    this.client = new HttpClient(baseUrl, { maxSockets: targets.length * 2 });
    this.stats = targets.map((t) => ({ name: t.name, probes: 0, failures: [], latencies: [], statuses: [] }));
  }

  start(): this {
    this.loops = this.targets.map((target, i) => this.loop(target, this.stats[i]));
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.client.close();
  }

  describe(stats: ProbeStats): string {
    return (
      `${stats.name}: ${stats.probes} probes, ${stats.failures.length} failed (no good answer within ${this.timeoutMs} ms)` +
      `, p50 ${Math.round(percentile(stats.latencies, 50))} ms, p99 ${Math.round(percentile(stats.latencies, 99))} ms, max ${Math.round(percentile(stats.latencies, 100))} ms`
    );
  }

  private async loop(target: ProbeTarget, stats: ProbeStats): Promise<void> {
    const ok = target.ok ?? ((answer: HttpAnswer) => answer.status === 200);
    while (!this.stopped) {
      const started = Date.now();
      const answer = await this.client.get(target.path, { headers: target.headers, timeoutMs: this.timeoutMs });
      stats.probes += 1;
      stats.latencies.push(answer.ms);
      stats.statuses.push(outcomeLabel(answer));
      if (!ok(answer)) stats.failures.push({ at: started, outcome: outcomeLabel(answer), ms: answer.ms });
      const wait = this.intervalMs - (Date.now() - started);
      if (wait > 0 && !this.stopped) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
