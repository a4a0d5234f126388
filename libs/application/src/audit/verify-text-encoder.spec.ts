import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { canonicalJson, chainHashOf } from '@app/event-store/hash-chain';
import type { StoredEventTextPage } from '@app/event-store/postgres/postgres-event-store';
import { eventFactsPage, eventFactsPageFromText } from './audit-digest';
import { jsonbCanonicalBytes } from './verify-text-encoder';
import { mulberry32 } from '../../../../test/support/mulberry32';

/**
 * The byte encoder of jsonb text (verify-text-encoder.ts) against canonicalJson of the parsed
 * value, byte for byte, on texts written as PostgreSQL's jsonb_out writes them (keys by length then
 * bytes, ": " and ", ", numeric's number text); verify-text.int-spec.ts does the same with texts
 * PostgreSQL itself wrote.
 */

/** A value's text as jsonb_out writes it. */
function jsonbText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((key) => `${JSON.stringify(key)}: ${jsonbText((value as Record<string, unknown>)[key])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

const canonicalBytes = (text: string) => Buffer.from(canonicalJson(JSON.parse(text))).toString('hex');
const encoded = (text: string) => jsonbCanonicalBytes(text)?.toString('hex');

const awkwardValues: unknown[] = [
  { b: 1, a: 2, aa: 3, B: 4, Z: { y: [1, { d: 0, c: -0 }], x: {} }, '': 'empty key', 'a b': 1, 'a!': 2, '~': 3, _: 4 },
  { n: [1.5, 100, 1e3, 1e21, 1.2e-7, 123456789012345, 1234567890123456, 12345678901234567890, 0.1, -3, 2.5e300, 5e-324, 2 ** 53] },
  { s: 'slash / é \u2028 \u2029 \u{1F600} Ωmega \u00ff \u0100 \uffff', nested: [[], [[]], [{}], { '': [] }] },
  { emoji: '\u{1F600}\u{1F601}', cjk: '漢字', mixed: ['é', 1, null, true, false, { k: 'ü' }] },
  [],
  {},
  [[[[]]]],
  'just a string',
  '',
  42,
  0,
  -1.5,
  true,
  false,
  null,
  [{ b: null, a: false }, [], [[]], ''],
  { deep: { deeper: { deepest: { z: 1, a: [{ y: 2, x: 1 }] } } } },
];

describe('jsonb text to canonical bytes (verify-text-encoder)', () => {
  it('writes the bytes canonicalJson writes for awkward values', () => {
    for (const value of awkwardValues) {
      const text = jsonbText(value);
      expect({ text, bytes: encoded(text) }).toEqual({ text, bytes: canonicalBytes(text) });
    }
  });

  it('normalises numbers as JSON.stringify writes the doubles they parse to', () => {
    const texts = [
      '[1.50, 1000, 1E+3, 1e3, -0, 0, 0.0, 0.10, 1e400, -1e400, 12345678901234567890, 123456789012345, 1234567890123456, 007]'.replace('007', '7'),
      '{"n": 100000000000000000000000, "m": 0.000001, "k": 0.0000001, "j": -5, "i": 1.0e-7, "h": 2.50E+10}',
      '[9007199254740993, 5e-324, 1.7976931348623157e308, 3.14159265358979323846]',
    ];
    for (const text of texts) expect({ text, bytes: encoded(text) }).toEqual({ text, bytes: canonicalBytes(text) });
  });

  it('ignores whitespace anywhere JSON allows it', () => {
    for (const text of ['  { "b" :\t[ 1 ,2 ] ,\n"a":{ } }  ', '[ ]', '{ }', '\n"x"\r\n', ' [ { "a" : null } , true ] ']) {
      expect({ text, bytes: encoded(text) }).toEqual({ text, bytes: canonicalBytes(text) });
    }
  });

  it('leaves to the general path what it does not handle (undefined)', () => {
    const texts = [
      JSON.stringify({ lone: '\ud800' }), // a lone surrogate, escaped: a backslash
      JSON.stringify({ s: 'quote " inside' }),
      JSON.stringify({ s: 'tab \t' }),
      '{"é": 1}', // a key beyond ASCII (UTF-8 orders as code points, RFC 8785 as UTF-16 units)
      '{"\u{1F600}": 1, "\uffff": 2}',
      '{"a": 1, "a": 2}', // a repeated key
      '{"a": 1',
      '{"a" 1}',
      '[1, 2',
      '[1 2]',
      '{"a": tru}',
      '{"a": nul}',
      '{"a": -}',
      '{"a": 1} x',
      '"unterminated',
      '',
    ];
    for (const text of texts) expect({ text, bytes: encoded(text) }).toEqual({ text, bytes: undefined });
  });

  it('agrees with canonicalJson on random values', () => {
    const random = generator(20261204);
    for (let n = 0; n < 2000; n++) {
      const text = jsonbText(random.value(0));
      const bytes = encoded(text);
      if (bytes === undefined) expect(/\\|"[^"]*[^\x00-\x7f][^"]*":/.test(text)).toBe(true);
      else expect({ text, bytes }).toEqual({ text, bytes: canonicalBytes(text) });
    }
  });
});

describe('facts from stored text (eventFactsPageFromText) against parsed events (eventFactsPage)', () => {
  it('gives the same facts, digests and link checks byte for byte, on awkward and random events', () => {
    const random = generator(7);
    const stored: { eventId: string; data: string; metadata: string; recordedMs: number; streamId: string; type: string; schemaVersion: number; streamVersion: number }[] = [];
    for (let i = 0; i < 600; i++) {
      const data = i < awkwardValues.length ? awkwardValues[i] : random.value(0);
      const metadata: Record<string, unknown> = { eventId: randomUUID(), actorId: random.text(), actorRole: 'admin', correlationId: 'c', causationId: 'd' };
      if (random.next() < 0.3) metadata.recordedAt = random.pick(['client', '2027-01-01T00:00:00.000Z', 5]);
      if (random.next() < 0.5) metadata[random.pick(['zz', 'a', 'recordedAu', 'recordedA', 'chains', 'cha', 'é'])] = random.value(1);
      const row = {
        eventId: randomUUID(),
        recordedMs: 1_800_000_000_000 + Math.floor(i / 3) * 1000 + (i % 7),
        streamId: random.pick(['case-1', 'case-1', 'case-ü', 'case "q"', 'organisation-3a2148cb-af63-473a-af90-efd3ccdb49e6']),
        type: random.pick(['Case.Noted.v1', 'Case.Noted.v1', 'Grant.Tranche"Paid\\', 'Über.v1']),
        schemaVersion: random.pick([1, 2, 10, 0]),
        streamVersion: random.pick([0, 1, 9, 10, 99, 123456, 1e15]),
      };
      if (random.next() < 0.9) {
        const prev = random.pick(['a', 'b', '0']).repeat(64);
        // Most links hold (the hash the append path computes); the rest are wrong or malformed.
        const hash = random.next() < 0.7 ? chainHashOf({ ...row, data, metadata: metadata as RecordedEvent['metadata'] }, prev) : random.pick(['d', 'e', 'F']).repeat(64);
        metadata.chain = random.next() < 0.05 ? { prev, hash, extra: 1 } : { prev, hash };
      }
      stored.push({ ...row, data: jsonbText(data), metadata: i === 1 ? '[1, 2]' : i === 2 ? '{}' : jsonbText(metadata) });
    }
    const page: StoredEventTextPage = {
      count: stored.length,
      positions: stored.map((_, i) => `${1000 + i}${String(i).padStart(20, '0')}`),
      streamIds: stored.map((s) => s.streamId),
      streamVersions: stored.map((s) => s.streamVersion),
      eventIds: stored.map((s) => s.eventId),
      types: stored.map((s) => s.type),
      schemaVersions: stored.map((s) => s.schemaVersion),
      data: stored.map((s) => s.data),
      metadata: stored.map((s) => s.metadata),
      recordedMs: stored.map((s) => s.recordedMs),
    };
    // The events readAll returns for those rows (PostgresEventStore's rowToRecordedEvent).
    const events: RecordedEvent[] = stored.map((s, i) => {
      const metadata = JSON.parse(s.metadata) as RecordedEvent['metadata'];
      metadata.recordedAt = new Date(s.recordedMs).toISOString();
      return {
        position: page.positions[i],
        streamId: s.streamId,
        streamVersion: s.streamVersion,
        eventId: page.eventIds[i],
        type: s.type,
        schemaVersion: s.schemaVersion,
        data: JSON.parse(s.data) as unknown,
        metadata,
        recordedAt: new Date(s.recordedMs),
      };
    });
    const fromText = eventFactsPageFromText(page);
    const parsed = eventFactsPage(events);
    const comparable = (facts: typeof parsed) => ({ ...facts, digests: Buffer.from(facts.digests).toString('hex'), links: Buffer.from(facts.links).toString('hex'), linked: [...facts.linked], linkHolds: [...facts.linkHolds] });
    expect(comparable(fromText)).toEqual(comparable(parsed));
    expect([...parsed.linkHolds].filter((holds) => holds === 1).length).toBeGreaterThan(200);
  });

  it('detects a link that holds, and any field that changes under it', () => {
    const metadata = { eventId: 'e', actorId: 'officer', actorRole: 'admin', correlationId: 'c', causationId: 'd', chain: { prev: 'a'.repeat(64), hash: '' } };
    const event: RecordedEvent = {
      position: '100000000000000000000000042',
      streamId: 'case-1',
      streamVersion: 3,
      eventId: randomUUID(),
      type: 'Case.Noted.v1',
      schemaVersion: 2,
      data: { z: [1, { b: 'é', a: null }], a: 1.5, m: {} },
      metadata: { ...metadata, recordedAt: new Date(1_800_000_000_123).toISOString() },
      recordedAt: new Date(1_800_000_000_123),
    };
    // The hash the append path would have stored.
    const linkHash = chainHashOf(event, 'a'.repeat(64));
    const rowOf = (e: RecordedEvent, chain: { prev: string; hash: string }): StoredEventTextPage => ({
      count: 1,
      positions: [e.position],
      streamIds: [e.streamId],
      streamVersions: [e.streamVersion],
      eventIds: [e.eventId],
      types: [e.type],
      schemaVersions: [e.schemaVersion],
      data: [jsonbText(e.data)],
      metadata: [jsonbText({ ...metadata, chain })],
      recordedMs: [e.recordedAt.getTime()],
    });
    const chain = { prev: 'a'.repeat(64), hash: linkHash };
    expect(eventFactsPageFromText(rowOf(event, chain)).linkHolds[0]).toBe(1);
    const tampered: [string, StoredEventTextPage][] = [
      ['data', { ...rowOf(event, chain), data: [jsonbText({ ...(event.data as object), a: 1.6 })] }],
      ['metadata', { ...rowOf(event, chain), metadata: [jsonbText({ ...metadata, actorId: 'mallory', chain })] }],
      ['prev', rowOf(event, { ...chain, prev: 'b'.repeat(64) })],
      ['type', { ...rowOf(event, chain), types: ['Case.Noted.v2'] }],
      ['schemaVersion', { ...rowOf(event, chain), schemaVersions: [3] }],
      ['streamId', { ...rowOf(event, chain), streamIds: ['case-2'] }],
      ['streamVersion', { ...rowOf(event, chain), streamVersions: [4] }],
      ['eventId', { ...rowOf(event, chain), eventIds: [randomUUID()] }],
    ];
    for (const [field, row] of tampered) expect({ field, holds: eventFactsPageFromText(row).linkHolds[0] }).toEqual({ field, holds: 0 });
    // Fields outside the stream chain (position, recorded time) change the global digest instead.
    const digest = Buffer.from(eventFactsPageFromText(rowOf(event, chain)).digests).toString('hex');
    for (const row of [{ ...rowOf(event, chain), positions: ['100000000000000000000000043'] }, { ...rowOf(event, chain), recordedMs: [1_800_000_000_124] }]) {
      expect(Buffer.from(eventFactsPageFromText(row).digests).toString('hex')).not.toBe(digest);
    }
  });
});

/** A deterministic pseudo-random generator, so a failure can be replayed (as verify-facts.spec.ts's). */
function generator(seed: number) {
  const next = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)];
  const text = () => pick(['', 'a', 'é', 'Ωmega', 'line\nbreak', 'quote"', '\u2028', '😀', 'z1', '10', '2', 'B', 'b', '\u0007', '\ud800', 'ab', 'a b', '~']);
  const key = () => pick(['', 'a', 'B', 'b', 'z1', '10', '2', 'ab', 'a b', '~', 'aa', 'A', '_', 'recordedAt', 'chain']) + pick(['', 'x', '1', 'é']);
  const value = (depth: number): unknown => {
    const kind = depth > 3 ? pick(['s', 'n', 'b', 'z']) : pick(['s', 'n', 'b', 'z', 'a', 'o', 'o']);
    if (kind === 's') return text();
    if (kind === 'n') return pick([0, -0, 1, -1, 0.1, 1.5, 1e21, 1e-7, 123456789012, 2 ** 53, 5e-324, 1234567890123456]);
    if (kind === 'b') return next() < 0.5;
    if (kind === 'z') return null;
    if (kind === 'a') return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 6) }, () => [key(), value(depth + 1)]));
  };
  return { next, pick, value, text };
}
