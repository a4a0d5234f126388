/**
 * Watches every log consumer's checkpoint, polling every ~100 ms from its own connection (which it
 * re-opens whenever the database went away), and records each move backwards. Reads the lease table
 * `log_consumers` when it exists, else today's `projection_checkpoints` and
 * `webhook_fanout_checkpoint`, so it runs against either runtime.
 */
import { Client } from 'pg';

export interface BackwardsMove {
  consumer: string;
  from: string;
  to: string | null;
  at: number;
}

export interface CheckpointSnapshot {
  source: 'log_consumers' | 'projection_checkpoints' | 'none';
  positions: Map<string, string | null>;
}

/**
 * Compares two positions of the PostgreSQL store (zero-padded `TTTT...-PPPP...`, which sort as
 * strings). Positions of unequal length are compared part by part as integers.
 */
export function comparePositions(a: string, b: string): number {
  if (a.length === b.length) return a < b ? -1 : a > b ? 1 : 0;
  const pa = a.split('-');
  const pb = b.split('-');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = /^\d+$/.test(pa[i] ?? '') ? BigInt(pa[i]) : 0n;
    const y = /^\d+$/.test(pb[i] ?? '') ? BigInt(pb[i]) : 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** One read of every checkpoint (a throwaway connection): for figures and for waiting on catch-up. */
export async function readCheckpoints(client: Client): Promise<CheckpointSnapshot> {
  const { rows: tables } = await client.query<{ lc: string | null; pc: string | null; wf: string | null }>(
    `SELECT to_regclass('public.log_consumers')::text AS lc, to_regclass('public.projection_checkpoints')::text AS pc,
            to_regclass('public.webhook_fanout_checkpoint')::text AS wf`,
  );
  const positions = new Map<string, string | null>();
  if (tables[0].lc) {
    const { rows } = await client.query<{ name: string; position: string | null }>('SELECT name, position FROM log_consumers');
    for (const row of rows) positions.set(row.name, row.position);
    return { source: 'log_consumers', positions };
  }
  if (!tables[0].pc) return { source: 'none', positions };
  const { rows } = await client.query<{ name: string; position: string }>(
    `SELECT name, position FROM projection_checkpoints
     ${tables[0].wf ? `UNION ALL SELECT 'webhook-fanout:' || name, position FROM webhook_fanout_checkpoint` : ''}`,
  );
  for (const row of rows) positions.set(row.name, row.position);
  return { source: 'projection_checkpoints', positions };
}

export class CheckpointWatcher {
  readonly backwards: BackwardsMove[] = [];
  polls = 0;
  failedPolls = 0;
  /** Moves forward seen, per consumer (for figures). */
  readonly advances = new Map<string, number>();
  /** When some checkpoint moved forward (ms since epoch, at most one entry per poll): take-over times. */
  readonly advanceTimes: number[] = [];
  source: CheckpointSnapshot['source'] = 'none';
  private readonly last = new Map<string, string | null>();
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private polling?: Promise<void>;

  constructor(
    private readonly databaseUrl: string,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    const tick = async () => {
      if (this.stopped) return;
      this.polling = this.poll();
      await this.polling;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    void tick();
    return this;
  }

  /** Consumers seen so far, with their latest positions. */
  positions(): Map<string, string | null> {
    return new Map(this.last);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async poll(): Promise<void> {
    this.polls += 1;
    try {
      if (!this.client) {
        const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 1_000, query_timeout: 2_000 });
        client.on('error', () => undefined); // a dropped connection is noticed by the next query
        await client.connect();
        this.client = client;
      }
      const snapshot = await readCheckpoints(this.client);
      this.source = snapshot.source;
      const now = Date.now();
      let advanced = false;
      for (const [consumer, position] of snapshot.positions) {
        const before = this.last.get(consumer);
        if (before !== undefined && before !== null) {
          const order = position === null ? -1 : comparePositions(position, before);
          if (order < 0) this.backwards.push({ consumer, from: before, to: position, at: now });
          if (order > 0) {
            this.advances.set(consumer, (this.advances.get(consumer) ?? 0) + 1);
            advanced = true;
          }
        } else if (position !== null && before === null) {
          advanced = true;
        }
        this.last.set(consumer, position);
      }
      if (advanced) this.advanceTimes.push(now);
    } catch {
      this.failedPolls += 1;
      const client = this.client;
      this.client = undefined;
      await client?.end().catch(() => undefined);
    }
  }
}
