import { canonicalJson } from './canonical-json';
import { chainHashOf, GENESIS_HASH } from './chain-hash';

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
