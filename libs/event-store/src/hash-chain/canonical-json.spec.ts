import { createRequire } from 'node:module';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { canonicalJson, CanonicalJsonText, CanonicalJsonWriter, sortedKeys } from './canonical-json';
import { chainHashOf, type ChainedContent, chainLinkOf, GENESIS_HASH, isHex64 } from './chain-hash';

/** scripts/verify-bundle.js, the standalone verifier: it carries its own copy of canonical JSON. */
const verifier = createRequire(__filename)(join(__dirname, '../../../../scripts/verify-bundle.js')) as { canonicalJson(value: unknown): string };

/** A small deterministic generator (no dependency), so a failure can be replayed. */
function randomSource(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  return { next, pick };
}

/** Random JSON values (what JSON.parse can return), with awkward keys, strings and numbers. */
function randomJsonValues(count: number, seed: number): unknown[] {
  const { next, pick } = randomSource(seed);
  const keys = ['a', 'B', 'é', 'ö', '€', '\ud83d\ude00', '\ufb33', '1', '10', '$pii', 'z z', '', '\u0000', '\r', '"q"', '\u0080'];
  const strings = ['', 'text', 'é\u2028"\\\n', '\u0000\u001f\u007f', '\ud83d\ude00 emoji', 'Tiziri’s “quotes”', '</script>'];
  const number = () =>
    pick([0, -0, 1, -1, 2 ** 53, -(2 ** 60), 1e21, 1e-7, 0.1 + 0.2, 333333333.33333329, 5e-324, 1.7976931348623157e308, (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20)]);
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 3 || r < 0.45) return pick<() => unknown>([() => null, () => true, () => false, number, () => pick(strings)])();
    if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [pick(keys), value(depth + 1)]));
  };
  return Array.from({ length: count }, () => value(0));
}

describe('canonical JSON is RFC 8785 (JCS)', () => {
  it("writes the RFC's own examples: primitive forms (3.2.2) and property sorting by UTF-16 code units (3.2.3)", () => {
    const primitives = String.raw`{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}`;
    expect(canonicalJson(JSON.parse(primitives))).toBe(String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
    const sorting = String.raw`{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}`;
    // Order: "\r" (U+000D), "1", U+0080, "ö", "€", the emoji (surrogates D83D DE00), U+FB33; only "\r" is escaped.
    expect(canonicalJson(JSON.parse(sorting))).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('writes numbers as RFC 8785 Appendix B lists them (IEEE 754 bits → text)', () => {
    const samples: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555554', '333333333.33333325'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of samples) expect([bits, canonicalJson(Buffer.from(bits, 'hex').readDoubleBE(0))]).toEqual([bits, text]);
  });

  it('is byte-identical to the `canonicalize` package (RFC 8785) on random JSON values', () => {
    for (const sample of randomJsonValues(3000, 11)) expect(canonicalJson(sample)).toBe(canonicalize(sample));
  });
});

describe('the standalone verifier carries the same canonical JSON', () => {
  const awkward = () => ({
    b: [1, -0, 1e21, 1.5e-7, 'é\u2028"\\\n', null, true, undefined, () => 1, NaN, -Infinity, new Number(3), new String('s'), new Boolean(false)],
    a: { at: new Date('2027-03-04T05:06:07.089Z'), gone: undefined, fn: () => 1, '10': 1, '2': 2, Z: 'upper', ä: 'umlaut', '\ud83d\ude00': 'emoji' },
    nested: { toJSON: (key: string) => ({ key, x: [{ q: 1, p: 0 }] }) },
  });

  it('byte for byte, on random JSON values and on values JSON.stringify has to coerce', () => {
    for (const sample of randomJsonValues(3000, 29)) expect(verifier.canonicalJson(sample)).toBe(canonicalJson(sample));
    expect(verifier.canonicalJson(awkward())).toBe(canonicalJson(awkward()));
    for (const top of [undefined, null, 'x', 0, NaN, () => 1, new Date(0)]) expect(verifier.canonicalJson(top)).toBe(canonicalJson(top));
  });
});

describe('canonical JSON', () => {
  it('gives the same text whatever the key order, as Postgres jsonb reorders keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson({ a: { c: 'x', d: [1, { y: null, z: true }] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } }));
  });

  it('serialises as an adapter does: dates through toJSON, undefined properties dropped', () => {
    expect(canonicalJson({ at: new Date('2027-01-01T00:00:00Z'), gone: undefined, list: [undefined] })).toBe('{"at":"2027-01-01T00:00:00.000Z","list":[null]}');
  });
});

describe('chain hash', () => {
  const event = {
    streamId: 's-1',
    streamVersion: 0,
    eventId: '6f1c2c3e-0d55-4d4e-9f4e-3f0c2b4b7a10',
    type: 'Thing.Happened.v1',
    schemaVersion: 1,
    data: { amountMinor: 100, contact: { $pii: { v: 1, ct: 'AAAA' } } },
    metadata: { eventId: '6f1c2c3e-0d55-4d4e-9f4e-3f0c2b4b7a10', actorId: 'a', actorRole: 'admin', correlationId: 'c', causationId: 'c' },
  };

  it('ignores the link itself and the server-set recordedAt', () => {
    const hash = chainHashOf(event, GENESIS_HASH);
    expect(chainHashOf({ ...event, metadata: { ...event.metadata, recordedAt: '2027-01-01T00:00:00.000Z', chain: { prev: 'x', hash: 'y' } } }, GENESIS_HASH)).toBe(hash);
  });

  it('changes with any chained field and with the previous hash', () => {
    const hash = chainHashOf(event, GENESIS_HASH);
    expect(chainHashOf({ ...event, data: { ...event.data, amountMinor: 101 } }, GENESIS_HASH)).not.toBe(hash);
    expect(chainHashOf({ ...event, streamVersion: 1 }, GENESIS_HASH)).not.toBe(hash);
    expect(chainHashOf({ ...event, metadata: { ...event.metadata, actorId: 'b' } }, GENESIS_HASH)).not.toBe(hash);
    expect(chainHashOf(event, 'f'.repeat(64))).not.toBe(hash);
  });
});

/** Random strings of any UTF-16 code units: lone and paired surrogates, controls, every plane's characters. */
function randomStrings(count: number, seed: number): string[] {
  const { next, pick } = randomSource(seed);
  const unit = () =>
    pick<() => number>([
      () => Math.floor(next() * 0x80),
      () => Math.floor(next() * 0x20),
      () => pick([0x22, 0x5c, 0x7f, 0x2f]),
      () => 0x80 + Math.floor(next() * 0x780),
      () => 0x800 + Math.floor(next() * 0xf800),
      () => 0xd800 + Math.floor(next() * 0x800), // any surrogate, paired or not
      () => 0xfffe + Math.floor(next() * 2),
    ])();
  return Array.from({ length: count }, () => {
    const units = Array.from({ length: Math.floor(next() * 12) }, unit);
    let text = String.fromCharCode(...units);
    if (next() < 0.2) text += '\ud83d\ude00'; // a well-formed pair at the end
    if (next() < 0.1) text = `\udc00${text}\ud800`; // lone surrogates at both ends
    return text;
  });
}

describe('the canonical JSON writer (UTF-8 bytes)', () => {
  const bytesOf = (value: unknown): Buffer => {
    const writer = new CanonicalJsonWriter(8); // tiny: every document makes it grow
    if (!writer.value(value)) writer.ascii('null');
    return Buffer.from(writer.bytes());
  };

  it('writes the UTF-8 of the `canonicalize` package\'s text on random JSON values', () => {
    for (const sample of randomJsonValues(3000, 41)) expect(bytesOf(sample).equals(Buffer.from(canonicalize(sample) as string, 'utf8'))).toBe(true);
  });

  it('writes strings and keys of any code units as JSON.stringify does: escapes, lone surrogates, pairs, U+2028, DEL', () => {
    const strings = randomStrings(5000, 5);
    for (const text of strings) {
      expect(bytesOf(text).toString('latin1')).toBe(Buffer.from(JSON.stringify(text), 'utf8').toString('latin1'));
      expect(canonicalJson(text)).toBe(canonicalize(text));
    }
    // Keys sorted by UTF-16 code units (a surrogate pair before U+FB33, lone surrogates among them).
    for (let i = 0; i + 6 <= strings.length; i += 6) {
      const record = Object.fromEntries(strings.slice(i, i + 6).map((key, k) => [key, k]));
      expect(canonicalJson(record)).toBe(canonicalize(record));
      expect(bytesOf(record).equals(Buffer.from(canonicalize(record) as string, 'utf8'))).toBe(true);
    }
  });

  it('writes numbers as ECMAScript does: -0, 1e21, 1e-7, the extremes, integers around 2^53', () => {
    const numbers = [0, -0, 1, -1, 1e21, 1e20, -1e21, 1e-7, 1e-6, 5e-324, -5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 0.1 + 0.2, 123456789012345680000, 4.35, 100, 1e300];
    for (const n of numbers) {
      expect(canonicalJson(n)).toBe(canonicalize(n));
      expect(canonicalJson([n, { n }])).toBe(canonicalize([n, { n }]));
    }
    expect(canonicalJson([NaN, Infinity, -Infinity])).toBe('[null,null,null]');
  });

  it('nests arrays and objects deeply, and grows its buffer as needed', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = i % 2 ? [deep, i] : { [`k${i}`]: deep, a: [] };
    expect(canonicalJson(deep)).toBe(canonicalize(deep));
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key-${(i * 37) % 100}`, 'é'.repeat(i * 10)]));
    expect(canonicalJson(wide)).toBe(canonicalize(wide));
    expect(bytesOf(wide).equals(Buffer.from(canonicalize(wide) as string, 'utf8'))).toBe(true);
  });

  it('sorts keys by UTF-16 code units, integer-like keys included, as Array.prototype.sort does', () => {
    const keys = ['10', '2', '1', 'b', 'B', 'ä', '\ufb33', '\ud83d\ude00', '', 'a b', 'ab', 'a'];
    expect(sortedKeys(Object.fromEntries(keys.map((k) => [k, 1])))).toEqual([...keys].sort());
    const many = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}`);
    expect(sortedKeys(Object.fromEntries(many.map((k) => [k, 1])))).toEqual([...many].sort());
  });

  it('serialises a toJSON that itself calls canonicalJson (the shared writer is not reused while busy)', () => {
    const inner = { toJSON: () => canonicalJson({ b: 1, a: 2 }) };
    expect(canonicalJson({ x: inner, y: [inner] })).toBe('{"x":"{\\"a\\":2,\\"b\\":1}","y":["{\\"a\\":2,\\"b\\":1}"]}');
    expect(canonicalJson({ z: 1 })).toBe('{"z":1}');
  });

  it('leaves no state behind after a throw (a BigInt, as JSON.stringify refuses it)', () => {
    expect(() => canonicalJson({ a: [1, { b: BigInt(1) }] })).toThrow(TypeError);
    expect(canonicalJson({ a: 1 })).toBe('{"a":1}');
  });

  it('embeds CanonicalJsonText as is, non-ASCII included', () => {
    const data = { é: ['\u2028', '😀'] };
    expect(bytesOf({ d: new CanonicalJsonText(canonicalJson(data)) }).toString('utf8')).toBe(canonicalJson({ d: data }));
  });
});

describe('chainHashOf, written field by field', () => {
  /** What chainHashOf hashed when it built the content object and canonicalised it (the first implementation). */
  const reference = (event: ChainedContent, prev: string): string => {
    const { chain: _chain, recordedAt: _recordedAt, ...metadata } = event.metadata;
    const content = { streamId: event.streamId, streamVersion: event.streamVersion, eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata, prev };
    return createHash('sha256').update(canonicalize(JSON.parse(JSON.stringify(content))) as string, 'utf8').digest('hex');
  };

  it('hashes the same bytes as the content object did, on random events', () => {
    const { next, pick } = randomSource(17);
    const values = randomJsonValues(1500, 23);
    const strings = randomStrings(200, 9);
    for (let i = 0; i < 1500; i++) {
      const metadata: Record<string, unknown> = { eventId: pick(strings), actorId: pick(strings), correlationId: 'c', causationId: 'd' };
      if (next() < 0.5) metadata.recordedAt = '2027-01-01T00:00:00.000Z';
      if (next() < 0.5) metadata.chain = { prev: 'a'.repeat(64), hash: 'b'.repeat(64) };
      if (next() < 0.5) metadata[pick(strings)] = values[(i + 7) % values.length];
      if (next() < 0.2) metadata.gone = undefined;
      const event = {
        streamId: pick(strings),
        streamVersion: Math.floor(next() * 1000),
        eventId: pick(strings),
        type: pick(strings),
        schemaVersion: pick([1, 2, 1.5, -0]),
        data: next() < 0.05 ? undefined : values[i],
        metadata: metadata as ChainedContent['metadata'],
      };
      const prev = next() < 0.5 ? GENESIS_HASH : pick(strings);
      expect(chainHashOf(event, prev)).toBe(reference(event, prev));
      expect(chainHashOf(event, prev, new CanonicalJsonText(canonicalJson(event.data)))).toBe(event.data === undefined ? chainHashOf({ ...event, data: null }, prev) : reference(event, prev));
    }
  });

  it('serialises unusual metadata as the content object did: a toJSON of its own, dates, boxed values', () => {
    const base = { streamId: 's', streamVersion: 1, eventId: 'e', type: 't', schemaVersion: 1, data: { at: new Date(0), n: new Number(2) } };
    const own = { ...base, metadata: { eventId: 'e', toJSON: () => ({ replaced: true }) } as unknown as ChainedContent['metadata'] };
    const { chain: _c, recordedAt: _r, ...rest } = own.metadata;
    const expected = createHash('sha256').update(canonicalJson({ ...base, metadata: rest, prev: GENESIS_HASH })).digest('hex');
    expect(chainHashOf(own, GENESIS_HASH)).toBe(expected);
    const dated = { ...base, metadata: { eventId: 'e', at: new Date(5), chain: { prev: 'x', hash: 'y' } } as unknown as ChainedContent['metadata'] };
    expect(chainHashOf(dated, GENESIS_HASH)).toBe(reference(dated, GENESIS_HASH));
  });

  it('reads a link only when both hashes are 64 lowercase hex digits', () => {
    const hex = 'ab'.repeat(32);
    expect(chainLinkOf({ eventId: 'e', chain: { prev: hex, hash: hex } } as never)).toEqual({ prev: hex, hash: hex });
    for (const bad of ['AB'.repeat(32), 'ab'.repeat(31), `${'ab'.repeat(31)}ag`, `${'ab'.repeat(32)}0`, '']) {
      expect(isHex64(bad)).toBe(false);
      expect(chainLinkOf({ eventId: 'e', chain: { prev: hex, hash: bad } } as never)).toBeUndefined();
      expect(chainLinkOf({ eventId: 'e', chain: { prev: bad, hash: hex } } as never)).toBeUndefined();
    }
    expect(isHex64('0123456789abcdef'.repeat(4))).toBe(true);
  });
});
