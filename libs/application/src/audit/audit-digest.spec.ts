import { PINNED_EVENT } from '../../../event-store/test/pinned-event';
import { eventDigest, GLOBAL_GENESIS_HASH, nextGlobalHash, storedEventRecord } from './audit-digest';

/** Known outputs from the first implementation: existing seals and export bundles depend on these bytes. */
const event = PINNED_EVENT;

const DIGEST = 'be3480a0ae7f246192f801fd22d0be22c30cce7f9cf60f89b7b024720ef39b90';

describe('audit digest (pinned)', () => {
  it('digests a recorded event and its stored record (export line) to the same known value', () => {
    expect(eventDigest(event)).toBe(DIGEST);
    expect(eventDigest(storedEventRecord(event))).toBe(DIGEST);
  });

  it('folds the global running hash to the known value', () => {
    expect(nextGlobalHash(GLOBAL_GENESIS_HASH, DIGEST)).toBe('c3e8ee02509f8d17601584ffb5bb18b4eaf519a6318d326bc9c9e4cbc5925656');
  });
});
