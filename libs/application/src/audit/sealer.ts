import type { EventStore } from '@app/event-store';
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
 * Why the running hash is not kept in the projection checkpoint: a seal is a pure function of the
 * log prefix, so the sealer starts every catch-up from its latest seal and reads the raw events
 * itself (seals must cover the stored ciphertext). The reactor below only tells it when new events arrived;
 * a crash, a retried event or a rebuild can therefore never make it hash an event twice or skip one.
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

export class AuditSealer {
  private readonly everyEvents: number;
  private readonly pageSize: number;
  private running: Promise<AuditSeal[]> = Promise.resolve([]);

  constructor(private readonly options: AuditSealerOptions) {
    this.everyEvents = options.everyEvents ?? 1000;
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Hashes every event after the latest seal and seals it (in steps of `everyEvents`). */
  sealPending(): Promise<AuditSeal[]> {
    const next = this.running.catch(() => []).then(() => this.catchUp());
    this.running = next;
    return next;
  }

  private async catchUp(): Promise<AuditSeal[]> {
    const { store, db } = this.options;
    const last = await latestSeal(db);
    let hash = last?.chainHash ?? GLOBAL_GENESIS_HASH;
    let count = last?.eventCount ?? 0;
    let sealedCount = count;
    let after = last?.position;
    const written: AuditSeal[] = [];
    for (;;) {
      const page = await store.readAll({ after, maxCount: this.pageSize });
      for (const event of page) {
        hash = nextGlobalHash(hash, eventDigest(event));
        count += 1;
        after = event.position;
        if (count - sealedCount >= this.everyEvents) {
          const seal = await this.write(event.position, count, hash, sealedCount);
          if (!seal) return written; // another sealer got there first
          written.push(seal);
          sealedCount = count;
        }
      }
      if (page.length < this.pageSize) break;
    }
    if (count > sealedCount && after !== undefined) {
      const seal = await this.write(after, count, hash, sealedCount);
      if (seal) written.push(seal);
    }
    return written;
  }

  private async write(position: string, eventCount: number, chainHash: string, previousCount: number): Promise<AuditSeal | undefined> {
    const { signingKey } = this.options;
    const createdAt = (this.options.now?.() ?? new Date()).toISOString();
    const statement = { position, eventCount, chainHash, createdAt, keyId: signingKey.keyId };
    return insertSeal(this.options.db, { ...statement, signature: signingKey.sign(sealSigningPayload(statement)) }, previousCount);
  }
}

export interface AuditSealerReactorOptions {
  /** Seal as soon as this many new events arrived (default: 1000). */
  everyEvents?: number;
  /** Seal a quiet log this long after its last event (default 5 s). */
  idleMs?: number;
  now?: () => number;
}

/**
 * The sealer as the log-consumer runtime runs it: a reactor over the stored (never decoded) log
 * that only counts events, and seals every `everyEvents` and when the log has been quiet for
 * `idleMs`. Sealing reads the log itself from the latest seal, outside any transaction, so a batch
 * redone after a crash can never make it hash an event twice or skip one.
 */
export function createAuditSealerReactor(sealer: AuditSealer, options: AuditSealerReactorOptions = {}): Reactor {
  const everyEvents = options.everyEvents ?? 1000;
  const idleMs = options.idleMs ?? 5000;
  const now = options.now ?? Date.now;
  // After a start, whatever the previous process left unsealed is sealed at the first quiet moment.
  let pending = 1;
  let lastEventAt = 0;
  return {
    kind: 'reactor',
    name: 'audit-sealer',
    filter: {},
    input: 'stored',
    async react(events): Promise<void> {
      pending += events.length;
      lastEventAt = now();
      if (pending >= everyEvents) {
        await sealer.sealPending();
        pending = 0;
      }
    },
    async idle(): Promise<void> {
      if (pending === 0 || now() - lastEventAt < idleMs) return;
      await sealer.sealPending();
      pending = 0;
    },
  };
}
