import type { RecordedEvent } from '@app/event-store';
import { eventDigest, GLOBAL_GENESIS_HASH, nextGlobalHash, storedEventRecord } from './audit-digest';

/** Known outputs from the first implementation: existing seals and export bundles depend on these bytes. */
const event = {
  position: '000000000042',
  streamId: 'proposal-7',
  streamVersion: 3,
  eventId: '6f1c2c3e-0d55-4d4e-9f4e-3f0c2b4b7a10',
  type: 'Proposal.Submitted.v1',
  schemaVersion: 2,
  data: {
    proposalId: 'p-7',
    amountMinor: 1250000,
    budget: [
      { line: 'staff', amountMinor: 1000000 },
      { line: 'travel', amountMinor: 250000 },
    ],
    contact: { $pii: { v: 1, kid: 'k1', ct: 'AAAA' } },
  },
  metadata: {
    eventId: '6f1c2c3e-0d55-4d4e-9f4e-3f0c2b4b7a10',
    actorId: 'alice',
    actorRole: 'grant-manager',
    correlationId: 'c',
    causationId: 'd',
    recordedAt: '2027-01-01T00:00:00.000Z',
    chain: { prev: 'a'.repeat(64), hash: 'b'.repeat(64) },
  },
  recordedAt: new Date('2027-01-01T00:00:00.123Z'),
} as RecordedEvent;

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
