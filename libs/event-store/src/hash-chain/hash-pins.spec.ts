import { createHash } from 'node:crypto';
import { canonicalJson, CanonicalJsonText } from './canonical-json';
import { chainHashOf, GENESIS_HASH } from './chain-hash';
import { PINNED_EVENT } from '../../test/pinned-event';

/**
 * Known outputs, taken from the first implementation: chains and seals already written must keep
 * verifying, and scripts/verify-bundle.js must keep agreeing, so these bytes may never change.
 */
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');


describe('pinned hash outputs', () => {
  it('canonical JSON of awkward values is byte-identical to the first implementation', () => {
    const tricky = {
      b: [1, -0, 1e21, 1.5e-7, 'é\u2028"\\\n', null, true, undefined, () => 1],
      a: { at: new Date('2027-03-04T05:06:07.089Z'), gone: undefined, '10': 1, '2': 2, Z: 'upper', ä: 'umlaut', '\ud83d\ude00': 'emoji' },
      n: NaN,
      inf: Infinity,
      nested: { toJSON: () => ({ y: 2, x: [{ q: 1, p: 0 }] }) },
    };
    const text = canonicalJson(tricky);
    expect(text).toBe(
      '{"a":{"10":1,"2":2,"Z":"upper","at":"2027-03-04T05:06:07.089Z","ä":"umlaut","😀":"emoji"},"b":[1,0,1e+21,1.5e-7,"é\u2028\\"\\\\\\n",null,true,null,null],"inf":null,"n":null,"nested":{"x":[{"p":0,"q":1}],"y":2}}',
    );
    expect(sha256(text)).toBe('a16ee050da9d408edd178f1c1c672227dfb74052e34fbc8efd2b36d4d08d92a2');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
  });

  it('chain hashes are byte-identical to the first implementation', () => {
    expect(chainHashOf(PINNED_EVENT, 'a'.repeat(64))).toBe('c320dd76fc9f07a8341d417e9e507bb5d373ebad3ac595b4ffe803804047803f');
    expect(chainHashOf(PINNED_EVENT, GENESIS_HASH)).toBe('8aec8def9a19b5edeab9cfd4b44d65b84be2c604b28db5664659327ac94b46ab');
  });
});

/** The first implementation, kept as the reference the one-pass writer must match. */
function referenceCanonicalJson(value: unknown): string {
  const text = JSON.stringify(value);
  const write = (item: unknown): string => {
    if (item === null || typeof item !== 'object') return JSON.stringify(item);
    if (Array.isArray(item)) return `[${item.map(write).join(',')}]`;
    const record = item as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${write(record[key])}`)
      .join(',')}}`;
  };
  return text === undefined ? 'null' : write(JSON.parse(text) as unknown);
}

describe('one-pass canonical JSON', () => {
  it('matches the reference implementation on random values', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const keys = ['a', 'B', 'é', '1', '10', '$pii', 'z z', '', '\u0000', '"q"'];
    const leaf = (): unknown => {
      const leaves = [null, true, false, 0, -0, 1.5, -1e-9, 2 ** 60, NaN, Infinity, 'text', '\n"\\\u2028', undefined, new Date(Date.UTC(2027, 0, 1)), () => 1, new Number(3), new String('s'), new Boolean(false)];
      return leaves[Math.floor(random() * leaves.length)];
    };
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.4) return leaf();
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [keys[Math.floor(random() * keys.length)], value(depth + 1)]));
    };
    for (let i = 0; i < 2000; i++) {
      const sample = value(0);
      expect(canonicalJson(sample)).toBe(referenceCanonicalJson(sample));
    }
  });

  it('embeds pre-serialised canonical text as is', () => {
    const data = { b: [2, 1], a: 'x' };
    expect(canonicalJson({ z: 1, data: new CanonicalJsonText(canonicalJson(data)) })).toBe(canonicalJson({ z: 1, data }));
  });
});
