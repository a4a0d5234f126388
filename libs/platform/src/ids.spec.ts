import { nameBasedId, newEventId, RandomIdGenerator, UUID_PATTERN } from './ids';

describe('newEventId', () => {
  it('gives RFC 9562 version 7 UUIDs, which sort in the order they were made (the event_id index grows at its end)', () => {
    const ids = Array.from({ length: 20_000 }, () => newEventId());
    for (const id of ids) {
      expect(id).toMatch(UUID_PATTERN);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // 20,000 ids take a few milliseconds: many share one, and still come out in order.
    expect([...ids].sort()).toEqual(ids);
  });

  it('begins with the time it was made, in milliseconds', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });
});

describe('ids for the things a command creates', () => {
  it('are random (version 4) without an Idempotency-Key, and name-based (version 5) with one: a retry names the same stream', () => {
    const ids = new RandomIdGenerator();
    const first = ids.forCommand({ actor: { id: 'alice' } }, 'call');
    expect(first[14]).toBe('4');
    expect(ids.forCommand({ actor: { id: 'alice' } }, 'call')).not.toBe(first);
    const keyed = ids.forCommand({ actor: { id: 'alice' }, idempotencyKey: 'k-1' }, 'call');
    expect(keyed[14]).toBe('5');
    expect(ids.forCommand({ actor: { id: 'alice' }, idempotencyKey: 'k-1' }, 'call')).toBe(keyed);
    expect(ids.forCommand({ actor: { id: 'bob' }, idempotencyKey: 'k-1' }, 'call')).not.toBe(keyed);
    expect(nameBasedId('a', 'bc')).not.toBe(nameBasedId('ab', 'c'));
  });

  it('derive the ids they always derived: a retry after an upgrade must name what the first attempt appended', () => {
    // Pinned from the implementation before one-shot hashing (createHash('sha1').update(NAMESPACE).update(name)).
    expect(nameBasedId('event', 'alice', 'k-1', 'call-1', '0')).toBe('ee71ca53-a685-51d1-ada0-c3711f237402');
    expect(nameBasedId('grant-manager:ümlaut', 'key')).toBe('1048531b-5439-5141-ac35-3c66ecbef1f1');
  });
});
