import type { EventStore, RecordedEvent } from '@app/event-store';
import { canonicalJson, CanonicalJsonText, chainHashOf, chainLinkOf, GENESIS_HASH } from '@app/event-store/hash-chain';
import type { AuditDb } from './audit-db';
import { eventDigestBytes, GLOBAL_GENESIS_HASH, nextGlobalHashBytes } from './audit-digest';
import { type AuditSeal, loadSeals } from './audit-seals';
import { type AuditVerificationKey, sealSignatureValid } from './audit-signing-key';

/**
 * Recomputes the audit trail from the log and reports the first broken link, in global order.
 *
 * - Per stream: versions run 0, 1, 2, … in the global order; each event's chain.hash recomputes
 *   over its stored content and its chain.prev is the previous event's chain.hash.
 * - Globally: the running hash (audit-digest.ts) over every event equals each seal's chain_hash
 *   when the seal's event count is reached, at the seal's position; each seal's Ed25519 signature
 *   verifies with the configured public key; seals in seq order cover strictly growing prefixes.
 *
 * Memory: two pages of events (the next is read while the current one is hashed), the seals, and
 * per stream only its last version and hash — bounded by the number of streams, not of events.
 *
 * Speed: each event's data (the bulk of it) is serialised to canonical JSON once and shared by the
 * chain hash and the global digest; the running hash stays in bytes between seals.
 */
export type AuditBreakKind =
  /** A chained field (data, metadata, type, ids…) differs from what was appended. */
  | 'altered'
  /** A stream version is missing from the log. */
  | 'deleted'
  /** A stream's versions appear out of order in the global log. */
  | 'reordered'
  /** chain.prev does not point at the stream's previous event (an event was put in or taken out and the rest renumbered). */
  | 'broken-link'
  /** The event has no chain link at all. */
  | 'unchained'
  /** The log no longer folds to what a seal signed: events deleted, inserted, altered in unchained fields, or reordered. */
  | 'seal-mismatch'
  | 'signature-invalid'
  /** The seals themselves are inconsistent (counts not growing with seq, a seal beyond the end of the log). */
  | 'seal-sequence';

export interface AuditBreak {
  kind: AuditBreakKind;
  detail: string;
  /** Where it was found: the event being checked (for a seal break, the event at the seal's count). */
  streamId?: string;
  streamVersion?: number;
  position?: string;
  eventId?: string;
  sealSeq?: number;
}

export interface AuditVerifyReport {
  ok: boolean;
  eventsChecked: number;
  streamsChecked: number;
  sealsChecked: number;
  lastSealedPosition: string | null;
  /** Events after the latest seal: covered by their stream chains only. */
  unsealedEvents: number;
  keyId: string;
  publicKey: string;
  /** The key is the public DEV-ONLY key: seals prove nothing outside development. */
  devKey: boolean;
  firstBreak?: AuditBreak;
}

export interface VerifyAuditLogOptions {
  store: EventStore;
  db: AuditDb;
  key: AuditVerificationKey;
  pageSize?: number;
}

interface StreamHead {
  version: number;
  hash: string;
}

export async function verifyAuditLog(options: VerifyAuditLogOptions): Promise<AuditVerifyReport> {
  const { store, db, key } = options;
  const pageSize = options.pageSize ?? 5000;
  const seals = await loadSeals(db);
  const streams = new Map<string, StreamHead>();
  const sealsByPosition = new Map(seals.map((seal) => [seal.position, seal]));
  let hash: Buffer = Buffer.from(GLOBAL_GENESIS_HASH, 'hex');
  let count = 0;
  let sealIndex = 0;
  let lastSealed: AuditSeal | undefined;

  const report = (firstBreak?: AuditBreak): AuditVerifyReport => ({
    ok: firstBreak === undefined,
    eventsChecked: count,
    streamsChecked: streams.size,
    sealsChecked: sealIndex,
    lastSealedPosition: lastSealed?.position ?? null,
    unsealedEvents: count - (lastSealed?.eventCount ?? 0),
    keyId: key.keyId,
    publicKey: key.publicKeyPem,
    devKey: key.devKey,
    ...(firstBreak ? { firstBreak } : {}),
  });

  const sequenceBreak = checkSealSequence(seals);

  const read = (after: string | undefined): Promise<RecordedEvent[]> => {
    const pending = store.readAll({ after, maxCount: pageSize });
    // Handled when awaited; a prefetch left behind by an early return must not go unhandled.
    pending.catch(() => undefined);
    return pending;
  };
  let nextPage = read(undefined);
  for (;;) {
    const page = await nextPage;
    const more = page.length >= pageSize;
    if (more) nextPage = read(page[page.length - 1].position);
    for (const event of page) {
      const data = sharedData(event);
      const streamBreak = await checkStreamLink(store, streams, event, data);
      if (streamBreak) return report(streamBreak);
      hash = nextGlobalHashBytes(hash, eventDigestBytes(event, data));
      count += 1;

      const seal = seals[sealIndex];
      if (seal && seal.eventCount === count) {
        if (sequenceBreak && sequenceBreak.seal === seal) return report(at(event, { kind: 'seal-sequence', sealSeq: seal.seq, detail: sequenceBreak.detail }));
        if (seal.position !== event.position) {
          return report(at(event, {
            kind: 'seal-mismatch',
            sealSeq: seal.seq,
            detail: `seal ${seal.seq} covers ${seal.eventCount} events ending at ${seal.position}, but event ${count} of the log is at ${event.position}: events deleted, inserted or reordered before it`,
          }));
        }
        if (seal.chainHash !== hash.toString('hex')) {
          return report(at(event, {
            kind: 'seal-mismatch',
            sealSeq: seal.seq,
            detail: `the log up to seal ${seal.seq} no longer hashes to the sealed value: an event before it was altered (e.g. recordedAt), inserted, deleted or reordered`,
          }));
        }
        if (seal.keyId !== key.keyId || !sealSignatureValid(key, seal, seal.signature)) {
          return report(at(event, {
            kind: 'signature-invalid',
            sealSeq: seal.seq,
            detail: seal.keyId !== key.keyId ? `seal ${seal.seq} is signed with key ${seal.keyId}, not the trusted key ${key.keyId}` : `seal ${seal.seq}'s signature does not verify`,
          }));
        }
        lastSealed = seal;
        sealIndex += 1;
      }
      // A later seal's last event reached too early or too late: events deleted or inserted before it.
      const sealHere = sealsByPosition.get(event.position);
      if (sealHere && sealHere.eventCount !== count) {
        return report(at(event, {
          kind: 'seal-mismatch',
          sealSeq: sealHere.seq,
          detail: `seal ${sealHere.seq} ends at this event as the log's event ${sealHere.eventCount}, but it is now event ${count}: ${
            count < sealHere.eventCount ? `${sealHere.eventCount - count} earlier event(s) deleted` : `${count - sealHere.eventCount} event(s) inserted before it`
          }`,
        }));
      }
    }
    if (!more) break;
  }
  const beyond = seals[sealIndex];
  if (beyond) {
    return report({
      kind: beyond.eventCount > count ? 'seal-mismatch' : 'seal-sequence',
      sealSeq: beyond.seq,
      position: beyond.position,
      detail:
        beyond.eventCount > count
          ? `seal ${beyond.seq} covers ${beyond.eventCount} events but the log holds only ${count}: events deleted`
          : (sequenceBreak?.detail ?? `seal ${beyond.seq} was never reached`),
    });
  }
  return report();
}

/** The event's data in canonical JSON, computed once for both hashes (plain stored JSON only). */
function sharedData(event: RecordedEvent): CanonicalJsonText | undefined {
  const data = event.data as { toJSON?: unknown } | null | undefined;
  if (data === undefined || (data !== null && typeof data === 'object' && typeof data.toJSON === 'function')) return undefined;
  return new CanonicalJsonText(canonicalJson(data));
}

const NO_HEAD: Readonly<StreamHead> = { version: -1, hash: GENESIS_HASH };

async function checkStreamLink(
  store: EventStore,
  streams: Map<string, StreamHead>,
  event: RecordedEvent,
  data: CanonicalJsonText | undefined,
): Promise<AuditBreak | undefined> {
  const known = streams.get(event.streamId);
  const head = known ?? NO_HEAD;
  const expectedVersion = head.version + 1;
  if (event.streamVersion > expectedVersion) {
    // Missing here: is it elsewhere in the log (reordered) or gone (deleted)?
    const [missing] = await store.readStream(event.streamId, { fromVersion: expectedVersion, maxCount: 1 });
    const reordered = missing?.streamVersion === expectedVersion;
    return at(event, {
      kind: reordered ? 'reordered' : 'deleted',
      detail: reordered
        ? `version ${expectedVersion} of the stream comes after version ${event.streamVersion} in the global log`
        : `version${event.streamVersion - expectedVersion > 1 ? `s ${expectedVersion}..${event.streamVersion - 1}` : ` ${expectedVersion}`} of the stream missing before this event`,
    });
  }
  if (event.streamVersion < expectedVersion) {
    return at(event, { kind: 'reordered', detail: `version ${event.streamVersion} comes after version ${head.version} in the global log` });
  }
  const link = chainLinkOf(event.metadata);
  if (!link) return at(event, { kind: 'unchained', detail: 'the event carries no metadata.chain' });
  if (chainHashOf(event, link.prev, data) !== link.hash) return at(event, { kind: 'altered', detail: 'the event no longer hashes to its chain.hash' });
  if (link.prev !== head.hash) {
    return at(event, { kind: 'broken-link', detail: `chain.prev does not match the chain hash of version ${head.version}` });
  }
  // The link was just checked, so the successor links to it (linkTargetOf).
  if (known) {
    known.version = event.streamVersion;
    known.hash = link.hash;
  } else {
    streams.set(event.streamId, { version: event.streamVersion, hash: link.hash });
  }
  return undefined;
}

/** Seals in seq order must cover strictly growing prefixes. */
function checkSealSequence(seals: AuditSeal[]): { seal: AuditSeal; detail: string } | undefined {
  for (let i = 1; i < seals.length; i++) {
    if (seals[i].eventCount <= seals[i - 1].eventCount) {
      return { seal: seals[i], detail: `seal ${seals[i].seq} covers ${seals[i].eventCount} events, no more than seal ${seals[i - 1].seq} before it (${seals[i - 1].eventCount})` };
    }
  }
  return undefined;
}

function at(event: RecordedEvent, found: Omit<AuditBreak, 'streamId' | 'streamVersion' | 'position' | 'eventId'>): AuditBreak {
  return { ...found, streamId: event.streamId, streamVersion: event.streamVersion, position: event.position, eventId: event.eventId };
}
