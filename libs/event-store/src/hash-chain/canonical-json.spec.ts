import { createRequire } from 'node:module';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { canonicalJson } from './canonical-json';
import { chainHashOf, GENESIS_HASH } from './chain-hash';

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
