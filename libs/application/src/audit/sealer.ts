import type { EventStore, RecordedEvent } from '@app/event-store';
import type { Reactor } from '@app/log-consumers';
import type { AuditDb } from './audit-db';
import { eventDigest, GLOBAL_GENESIS_HASH, nextGlobalHash } from './audit-digest';
import { type AuditSeal, insertSeal, latestSeal } from './audit-seals';
import { type AuditSigningKey, sealSigningPayload } from './audit-signing-key';

/**
 * Global log seals: h_n = sha256(h_{n-1} || digest(event_n)) over the whole log in the store's
 * global order, where the digest covers everything stored (audit-digest.ts) — position and
 * recordedAt included, which the per-stream chain cannot cover. Every `everyEvents` events, and
 * when the log goes quiet, a seal (position, count, h) is signed with Ed25519 and stored.
 *
 * Why the running hash is not kept in the checkpoint: a seal is a pure function of the log prefix,
 * so whenever the sealer is not sure that the events it is handed continue its running hash, it
 * starts again from its latest seal and reads the stored events itself (seals must cover the
 * stored ciphertext); a crash, a retried batch or a rebuild can therefore never make it hash an
 * event twice or skip one. While they do continue it (the usual case), it hashes them as handed.
 *
 * What seals do not cover: events after the latest seal. There, a database superuser's edit of a
 * chained field is still caught by the stream chain, but a well-formed forged append (the chain
 * algorithm is public) is not — and the next seal would cover it as if it were genuine. The seal
 * interval bounds that window; seals handed to outsiders (export manifests, /audit/verify output)
 * anchor everything before them, so deleting the latest seals is caught by whoever holds them.
 *
 * One sealer at a time: the log-consumer runtime's lease elects one process, calls are serialised
 * in-process, and insertSeal refuses a seal whose predecessor is no longer the latest.
 */
export interface AuditSealerOptions {
  store: EventStore;
  db: AuditDb;
  signingKey: AuditSigningKey;
  /** Seal at least every this many events (default 1000). */
  everyEvents?: number;
  pageSize?: number;
  now?: () => Date;
}

/** The running hash over the log up to `after` (inclusive), and the count the latest seal covers. */
interface RunningHash {
  after: string | undefined;
  count: number;
  hash: string;
  sealedCount: number;
}

export class AuditSealer {
  private readonly everyEvents: number;
  private readonly pageSize: number;
  private running: Promise<unknown> = Promise.resolve();
  /**
   * Where this process's running hash stands, when it knows: set by a read of the log from the
   * latest seal, moved by the batches that continue it; dropped when another sealer's seal comes
   * first, so the next call starts again from the latest seal.
   */
  private tail: RunningHash | undefined;

  constructor(private readonly options: AuditSealerOptions) {
    this.everyEvents = options.everyEvents ?? 1000;
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Hashes every event after the latest seal and seals it all (in steps of `everyEvents`). */
  sealPending(): Promise<AuditSeal[]> {
    return this.serialised(async () => {
      const written: AuditSeal[] = [];
      const running = await this.readOn(await this.fromLatestSeal(), undefined, written);
      if (running) await this.sealRemainder(running, written);
      return written;
    });
  }

  /**
   * Extends the running hash with `events`, which are every event of the log after `after` (null:
   * the start), in order, as the log-consumer runtime hands them to a reactor; seals every
   * `everyEvents` events. When they do not continue the running hash (the first batch after a start,
   * a batch redone from an older checkpoint, another sealer's seal in between), the log is read from
   * the latest seal up to the batch's last event instead: an event is never hashed twice nor skipped.
   * Events after the latest seal stay unsealed until `everyEvents` are reached or `sealTail` is called.
   */
  extend(after: string | null, events: readonly RecordedEvent[]): Promise<AuditSeal[]> {
    return this.serialised(async () => {
      const written: AuditSeal[] = [];
      if (events.length === 0) return written;
      const tail = this.tail;
      if (tail && tail.after === (after ?? undefined)) {
        for (const event of events) {
          this.hashIn(tail, event);
          if (tail.count - tail.sealedCount >= this.everyEvents && !(await this.seal(tail, written))) return written;
        }
        return written;
      }
      this.tail = await this.readOn(await this.fromLatestSeal(), events[events.length - 1].position, written);
      return written;
    });
  }

  /** Seals the events hashed since the latest seal (a quiet log); reads from the latest seal first if the running hash is unknown. */
  sealTail(): Promise<AuditSeal[]> {
    if (!this.tail) return this.sealPending();
    return this.serialised(async () => {
      const written: AuditSeal[] = [];
      if (this.tail) await this.sealRemainder(this.tail, written);
      return written;
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.running.catch(() => undefined).then(work);
    // A failure (an outage) leaves the running hash unknown: the next call reads from the latest seal.
    this.running = next.catch(() => {
      this.tail = undefined;
    });
    return next;
  }

  private async fromLatestSeal(): Promise<RunningHash> {
    const last = await latestSeal(this.options.db);
    const count = last?.eventCount ?? 0;
    return { after: last?.position, count, hash: last?.chainHash ?? GLOBAL_GENESIS_HASH, sealedCount: count };
  }

  /**
   * Reads the log after `running.after`, hashing and sealing every `everyEvents`, until the event at
   * `until` (inclusive) or the end of the log. Leaves `this.tail` where it stopped; undefined if
   * another sealer's seal came first.
   */
  private async readOn(running: RunningHash, until: string | undefined, written: AuditSeal[]): Promise<RunningHash | undefined> {
    this.tail = running;
    for (;;) {
      const page = await this.options.store.readAll({ after: running.after, maxCount: this.pageSize });
      for (const event of page) {
        this.hashIn(running, event);
        if (running.count - running.sealedCount >= this.everyEvents && !(await this.seal(running, written))) return undefined;
        if (event.position === until) return running;
      }
      if (page.length < this.pageSize) return running;
    }
  }

  private hashIn(running: RunningHash, event: RecordedEvent): void {
    running.hash = nextGlobalHash(running.hash, eventDigest(event));
    running.count += 1;
    running.after = event.position;
  }

  private async sealRemainder(running: RunningHash, written: AuditSeal[]): Promise<void> {
    if (running.count > running.sealedCount) await this.seal(running, written);
  }

  /** Seals the running hash; false (and the running hash forgotten) if another sealer got there first. */
  private async seal(running: RunningHash, written: AuditSeal[]): Promise<boolean> {
    const { signingKey } = this.options;
    const createdAt = (this.options.now?.() ?? new Date()).toISOString();
    const statement = { position: running.after!, eventCount: running.count, chainHash: running.hash, createdAt, keyId: signingKey.keyId };
    const seal = await insertSeal(this.options.db, { ...statement, signature: signingKey.sign(sealSigningPayload(statement)) }, running.sealedCount);
    if (!seal) {
      this.tail = undefined;
      return false;
    }
    written.push(seal);
    running.sealedCount = running.count;
    return true;
  }
}

export interface AuditSealerReactorOptions {
  /** Seal a quiet log this long after its last event (default 5 s). */
  idleMs?: number;
  now?: () => number;
}

/**
 * The sealer as the log-consumer runtime runs it: a reactor over the stored (never decoded) log.
 * Each batch extends the running hash in memory (sealing every `everyEvents`), so the log is read
 * once, by the runtime; whatever is left unsealed is sealed when the log has been quiet for
 * `idleMs`. A batch that does not continue the running hash (after a start, a crash, a lost lease)
 * makes the sealer read the log itself from the latest seal, so no event is hashed twice or skipped.
 */
export function createAuditSealerReactor(sealer: AuditSealer, options: AuditSealerReactorOptions = {}): Reactor {
  const idleMs = options.idleMs ?? 5000;
  const now = options.now ?? Date.now;
  let lastEventAt = 0;
  return {
    kind: 'reactor',
    name: 'audit-sealer',
    filter: {},
    input: 'stored',
    // A seal is stored only if it follows the latest (insertSeal), and its hash is the log's own:
    // a deposed sealer's batch can store nothing another would not, so no proof of the lease first.
    selfFenced: true,
    async react(events, batch): Promise<void> {
      await sealer.extend(batch.after, events);
      lastEventAt = now();
    },
    async idle(): Promise<void> {
      // After a start, whatever the previous process left unsealed is sealed at the first quiet moment.
      if (now() - lastEventAt < idleMs) return;
      await sealer.sealTail();
    },
  };
}
