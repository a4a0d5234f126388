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

/**
 * The canonical JSON the proposal domain once had of its own, which hashed the ProposalSubmitted
 * contentHash values stored before it was removed. Those hashes are recomputed (the audit dossier)
 * with the one canonical JSON, so the two must agree on everything a proposal's content can hold:
 * JSON values. Kept here as the reference.
 */
function formerProposalCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : formerProposalCanonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${formerProposalCanonicalJson(v)}`).join(',')}}`;
}

describe('proposal content hashes already stored (ProposalSubmitted.contentHash)', () => {
  const content = {
    proposalId: '1b6f1f9e-3c0a-4f5e-9a31-6c1f2d9e8a01',
    callId: '0d7c3a52-8e1b-4a6f-b2d4-5e9f1c7a3b10',
    leadOrganisationId: 'e4a2c9d1-7b3f-4e8a-9c5d-2f1b6a8e4c37',
    partners: [{ organisationId: '9f3e1d7c-2a5b-4c8e-b1f6-7d4a9e2c5b83', role: 'partner' }],
    title: 'Nationality rights for stateless children',
    summary: 'Legal aid and advocacy on birth registration — "Bidoun" families',
    policyIssue: 'statelessness',
    requestedMinor: 2_500_000,
    currency: 'EUR',
    budgetLines: [
      { label: 'Legal aid (lawyers’ fees)', amountMinor: 1_500_000 },
      { label: 'Outreach', amountMinor: 1_000_000 },
    ],
    durationMonths: 12,
  };

  it('are reproduced byte for byte by the one canonical JSON', () => {
    const pinned = '927be4b79991fca13942e32268e9d92db6a37564b282cd84fa0751a39a6f99c0';
    expect(sha256(formerProposalCanonicalJson(content))).toBe(pinned);
    expect(sha256(canonicalJson(content))).toBe(pinned);
  });

  it('the former function and the one canonical JSON agree on any JSON value', () => {
    let seed = 3;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const keys = ['proposalId', 'label', 'amountMinor', 'é', '€', '\ud83d\ude00', '1', '10', 'Z', '', '\u0000'];
    const leaves = [null, true, false, 0, -0, 12, 2_500_000, 0.5, 1e21, -1e-7, '', 'Legal aid', '“quoted” \n\\ \u2028', '\ud83d\ude00'];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.4) return pick(leaves);
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [pick(keys), value(depth + 1)]));
    };
    for (let i = 0; i < 2000; i++) {
      const sample = value(0);
      expect(canonicalJson(sample)).toBe(formerProposalCanonicalJson(sample));
    }
  });
});
