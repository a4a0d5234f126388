import { randomBytes, randomUUID } from 'node:crypto';
import { deriveStateKey, openState, sealState, SealedStateAltered, type StateKey } from './sealed-state';

const master = randomBytes(32);
const key = (subject = `organisation-${randomUUID()}`): StateKey => ({ subject, keyId: randomUUID(), key: randomBytes(32) });
const clear = Buffer.from(JSON.stringify({ state: { contactPerson: { name: 'Rana Haddad' } } }));

describe('sealed states', () => {
  it('open under the same keys in any order, for the same binding only', () => {
    const keys = [key(), key(), key()];
    const sealed = sealState(deriveStateKey(master, keys), clear, 'stream-1\u00005');
    expect(sealed.includes(Buffer.from('Rana Haddad'))).toBe(false);
    expect(openState(deriveStateKey(master, [...keys].reverse()), sealed, 'stream-1\u00005')).toEqual(clear);
    expect(() => openState(deriveStateKey(master, keys), sealed, 'stream-2\u00005')).toThrow(SealedStateAltered);
    expect(() => openState(deriveStateKey(master, keys), sealed, 'stream-1\u00006')).toThrow(SealedStateAltered);
  });

  it('do not open without every one of their keys, with another master key, or once altered', () => {
    const keys = [key(), key()];
    const sealed = sealState(deriveStateKey(master, keys), clear, 'b');
    expect(() => openState(deriveStateKey(master, keys.slice(1)), sealed, 'b')).toThrow(SealedStateAltered);
    expect(() => openState(deriveStateKey(master, [keys[0], { ...keys[1], key: randomBytes(32) }]), sealed, 'b')).toThrow(SealedStateAltered);
    expect(() => openState(deriveStateKey(master, [keys[0], { ...keys[1], keyId: randomUUID() }]), sealed, 'b')).toThrow(SealedStateAltered);
    expect(() => openState(deriveStateKey(randomBytes(32), keys), sealed, 'b')).toThrow(SealedStateAltered);
    for (const at of [0, 5, 20, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at] ^= 0x01;
      expect(() => openState(deriveStateKey(master, keys), altered, 'b')).toThrow(SealedStateAltered);
    }
    expect(() => openState(deriveStateKey(master, keys), sealed.subarray(0, 10), 'b')).toThrow(SealedStateAltered);
  });

  it('take any number of keys (a proposal with many partner organisations), and none (a state with no personal data: the master key alone)', () => {
    const many = Array.from({ length: 200 }, () => key());
    expect(openState(deriveStateKey(master, many), sealState(deriveStateKey(master, many), clear, 'm'), 'm')).toEqual(clear);
    const none = sealState(deriveStateKey(master, []), clear, 'n');
    expect(openState(deriveStateKey(master, []), none, 'n')).toEqual(clear);
    expect(() => openState(deriveStateKey(randomBytes(32), []), none, 'n')).toThrow(SealedStateAltered);
  });

  it('seal each time with a fresh IV', () => {
    const derived = deriveStateKey(master, [key()]);
    expect(sealState(derived, clear, 'x').equals(sealState(derived, clear, 'x'))).toBe(false);
  });
});
