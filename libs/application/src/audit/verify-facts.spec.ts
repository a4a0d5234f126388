import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { RecordedEvent } from '@app/event-store';
import { chainHashOf, chainLinkOf } from '@app/event-store/hash-chain';
import { PINNED_EVENT } from '../../../event-store/test/pinned-event';
import {
  type EventFactsPage,
  eventDigest,
  eventDigestBytes,
  eventFactsPage,
  foldRunningHash,
  GLOBAL_GENESIS_HASH,
  linkHex,
  markRuns,
  markSeals,
  nextGlobalHash,
  packEventFacts,
  storedEventRecord,
  unpackEventFacts,
} from './audit-digest';
import { mulberry32 } from '../../../../test/support/mulberry32';

/** Event i's link as the page holds it, in chainLinkOf's form. */
const linkAt = (page: EventFactsPage, i: number) => (page.linked[i] === 1 ? { prev: linkHex(page.links, i, 0), hash: linkHex(page.links, i, 32) } : null);

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function generator(seed: number) {
  const next = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)];
  const text = () => pick(['', 'a', 'é', 'Ωmega', 'line\nbreak', 'quote"', '\u2028', '😀', 'z1', '10', '2', 'B', 'b', '\u0007']);
  const value = (depth: number): unknown => {
    const kind = depth > 2 ? pick(['s', 'n', 'b', 'z']) : pick(['s', 'n', 'b', 'z', 'a', 'o', 'o']);
    if (kind === 's') return text();
    if (kind === 'n') return pick([0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012, 2 ** 53, 5e-324]);
    if (kind === 'b') return next() < 0.5;
    if (kind === 'z') return null;
    if (kind === 'a') return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [text() + text(), value(depth + 1)]));
  };
  return { next, pick, value, text };
}

function randomEvent(random: ReturnType<typeof generator>, i: number): RecordedEvent {
  const eventId = randomUUID();
  const metadata: Record<string, unknown> = { eventId, actorId: random.text(), actorRole: 'admin', correlationId: 'c', causationId: 'd', recordedAt: '2027-01-01T00:00:00.000Z' };
  if (random.next() < 0.8) metadata.chain = { prev: random.pick(['a', 'b', 'c']).repeat(64), hash: random.pick(['d', 'e']).repeat(64) };
  if (random.next() < 0.5) metadata[random.text()] = random.value(1);
  return {
    position: String(i).padStart(41, '0'),
    streamId: `case-${random.text()}`,
    streamVersion: Math.floor(random.next() * 100),
    eventId,
    type: 'Case.Noted.v1',
    schemaVersion: 1 + Math.floor(random.next() * 3),
    data: random.value(0),
    metadata: metadata as RecordedEvent['metadata'],
    recordedAt: new Date(Date.UTC(2027, 0, 1, 0, 0, 0, Math.floor(random.next() * 1e9))),
  };
}

/** The two hashes as first defined: objects built, then canonicalised by the `canonicalize` package (RFC 8785). */
const sha256 = (value: unknown) => createHash('sha256').update(canonicalize(JSON.parse(JSON.stringify(value))) as string, 'utf8').digest('hex');
const referenceDigest = (event: RecordedEvent) => sha256(storedEventRecord(event));
const referenceChainHash = (event: RecordedEvent, prev: string) => {
  const { chain: _chain, recordedAt: _recordedAt, ...metadata } = event.metadata;
  const { streamId, streamVersion, eventId, type, schemaVersion, data } = event;
  return sha256({ streamId, streamVersion, eventId, type, schemaVersion, data, metadata, prev });
};

describe('verify facts', () => {
  it('writes both documents of an event to the bytes their first definitions hashed', () => {
    const random = generator(5);
    const events = Array.from({ length: 2_000 }, (_, i) => randomEvent(random, i));
    // Metadata keys around "chain" and "recordedAt", with the link first or alone.
    events.push({ ...PINNED_EVENT, metadata: { chain: { ...(PINNED_EVENT.metadata.chain as object) }, eventId: 'e' } as unknown as RecordedEvent['metadata'] });
    events.push({ ...PINNED_EVENT, metadata: { chain: { ...(PINNED_EVENT.metadata.chain as object) } } as unknown as RecordedEvent['metadata'] });
    events.push({ ...PINNED_EVENT, metadata: { a: 1, chain: { ...(PINNED_EVENT.metadata.chain as object) }, recordedAt: 'x', z: [] } as unknown as RecordedEvent['metadata'] });
    const page = eventFactsPage(events);
    for (const [i, event] of events.entries()) {
      const link = chainLinkOf(event.metadata);
      expect(Buffer.from(page.digests.subarray(i * 32, i * 32 + 32)).toString('hex')).toBe(referenceDigest(event));
      // Made to hold against the reference: the page must say it holds exactly then.
      if (link) {
        const holds = referenceChainHash(event, link.prev) === link.hash;
        expect(page.linkHolds[i]).toBe(holds ? 1 : 0);
        (event.metadata.chain as { hash: string }).hash = referenceChainHash(event, link.prev);
      }
    }
    const again = eventFactsPage(events);
    for (const [i, event] of events.entries()) expect(again.linkHolds[i]).toBe(chainLinkOf(event.metadata) ? 1 : 0);
  });

  it('computes, per event, the chain check and the digest exactly as chainHashOf and eventDigestBytes do', () => {
    const random = generator(11);
    const events = [PINNED_EVENT, ...Array.from({ length: 2_000 }, (_, i) => randomEvent(random, i))];
    // Half the links made to hold, so both answers are exercised.
    for (const [i, event] of events.entries()) {
      const link = chainLinkOf(event.metadata);
      if (link && i % 2 === 0) (event.metadata.chain as { hash: string }).hash = chainHashOf(event, link.prev);
    }
    const page = eventFactsPage(events);
    for (const [i, event] of events.entries()) {
      const link = chainLinkOf(event.metadata);
      expect(page.linkHolds[i]).toBe(link !== undefined && chainHashOf(event, link.prev) === link.hash ? 1 : 0);
      expect(Buffer.from(page.digests.subarray(i * 32, i * 32 + 32)).equals(eventDigestBytes(event))).toBe(true);
      expect([page.positions[i], page.streamIds[i], page.streamVersions[i], page.eventIds[i], linkAt(page, i)]).toEqual([
        event.position, event.streamId, event.streamVersion, event.eventId, link ?? null,
      ]);
    }
    expect(page.linkHolds.reduce((a, b) => a + b, 0)).toBeGreaterThan(500);
  });

  it('falls back to the general path for values that are not plain JSON, with the same results', () => {
    const withToJson = { ...PINNED_EVENT, data: { when: new Date('2027-01-01T00:00:00Z'), n: 1 }, metadata: { ...PINNED_EVENT.metadata, chain: { ...(PINNED_EVENT.metadata.chain as object) } } as RecordedEvent['metadata'] };
    const withUndefined = { ...PINNED_EVENT, metadata: { ...PINNED_EVENT.metadata, chain: { ...(PINNED_EVENT.metadata.chain as object) }, extra: undefined } as RecordedEvent['metadata'] };
    const ownToJson = { ...PINNED_EVENT, metadata: { ...PINNED_EVENT.metadata, chain: { ...(PINNED_EVENT.metadata.chain as object) }, toJSON: () => ({ replaced: 1 }) } as unknown as RecordedEvent['metadata'] };
    const events = [withToJson, withUndefined, ownToJson];
    for (const event of events) {
      const link = chainLinkOf(event.metadata);
      if (link) (event.metadata.chain as { hash: string }).hash = chainHashOf(event, link.prev);
    }
    const page = eventFactsPage(events);
    for (const [i, event] of events.entries()) {
      expect(Buffer.from(page.digests.subarray(i * 32, i * 32 + 32)).equals(eventDigestBytes(event))).toBe(true);
      expect(page.linkHolds[i]).toBe(1);
    }
    expect(Buffer.from(page.digests.subarray(0, 32)).toString('hex')).toBe(referenceDigest(withToJson));
    expect(Buffer.from(page.digests.subarray(32, 64)).toString('hex')).toBe(referenceDigest(withUndefined));
  });

  it('folds a page into the running hash as the sealer does, one digest after the other, from any start', () => {
    const random = generator(3);
    const events = Array.from({ length: 50 }, (_, i) => randomEvent(random, i));
    const page = eventFactsPage(events);
    for (const start of [GLOBAL_GENESIS_HASH, 'ab'.repeat(32)]) {
      foldRunningHash(page, start);
      expect(page.runningFrom).toBe(start);
      expect(page.runningAfter).toBe(events.reduce((running, event) => nextGlobalHash(running, eventDigest(event)), start));
    }
    const empty = eventFactsPage([]);
    foldRunningHash(empty, GLOBAL_GENESIS_HASH);
    expect(empty.runningAfter).toBe(GLOBAL_GENESIS_HASH);
  });

  it('hands a page over between threads packed, and unpacks it to the same facts (links or none, any stream ids)', () => {
    const random = generator(13);
    const events = Array.from({ length: 300 }, (_, i) => randomEvent(random, i));
    events.push({ ...PINNED_EVENT, streamId: '', metadata: { ...PINNED_EVENT.metadata, chain: { prev: 'x', hash: 'y' } } as RecordedEvent['metadata'] });
    // Runs: a stream's events one after the other, each linking to the one before.
    let prev = 'f'.repeat(64);
    for (let v = 0; v < 6; v++) {
      const event = { ...PINNED_EVENT, streamId: 'run-stream', streamVersion: v, eventId: randomUUID(), metadata: { ...PINNED_EVENT.metadata, chain: { prev, hash: '' } } } as RecordedEvent;
      (event.metadata.chain as { hash: string }).hash = chainHashOf(event, prev);
      prev = (event.metadata.chain as { hash: string }).hash;
      events.push(event);
    }
    const page = eventFactsPage(events);
    foldRunningHash(page, GLOBAL_GENESIS_HASH);
    markRuns(page);
    markSeals(page, new Set([events[7].position, 'elsewhere']));
    const expected = structuredClone(page);
    const view = unpackEventFacts(structuredClone(packEventFacts(page)));
    const inRun = expected.inRun as Uint8Array;
    expect([...inRun.subarray(301)]).toEqual([0, 1, 1, 1, 1, 1]);
    expect([...(expected.sealMarks as Uint8Array)].flatMap((mark, i) => (mark ? [i] : []))).toEqual(events.flatMap((event, i) => (event.position === events[7].position ? [i] : [])));
    expect(view).toMatchObject({ count: expected.count, runningFrom: expected.runningFrom, runningAfter: expected.runningAfter });
    expect(Array.from(view.streamVersions)).toEqual(expected.streamVersions);
    expect(view.linked).toEqual(expected.linked);
    expect(view.links).toEqual(expected.links);
    expect(view.linkHolds).toEqual(expected.linkHolds);
    expect(view.digests).toEqual(expected.digests);
    expect(view.inRun).toEqual(inRun);
    expect(view.sealMarks).toEqual(expected.sealMarks);
    for (let i = 0; i < expected.count; i++) {
      expect([view.position(i), view.eventId(i), view.streamId(i)]).toEqual([expected.positions[i], expected.eventIds[i], expected.streamIds[i]]);
    }
    expect([...expected.linked].filter((linked) => linked === 0).length).toBeGreaterThan(10);
  });
});
