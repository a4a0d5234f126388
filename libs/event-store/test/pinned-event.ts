import type { RecordedEvent } from '../src/event-store.port';

/**
 * One stored event with every awkward part (nested arrays, a personal-data envelope, a chain link,
 * a recorded time with milliseconds). The pinned-hash specs of the chain and of the audit digest
 * both hash it: its bytes may never change.
 */
export const PINNED_EVENT: RecordedEvent = {
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
};
