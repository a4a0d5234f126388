import { given } from '../shared/testing';
import type { CommitRecipientFunds } from './recipient.commands';
import { configuredRecipientCeiling, DEFAULT_RECIPIENT_CEILING_MINOR, grantEndAdjustmentId, recipientCeilingFor, recipientDecider, recipientsOfAward, recipientTotalMinor } from './recipient.decider';
import {
  InvalidRecipientAmount,
  InvalidRecipientCeiling,
  MissingRecipientDetails,
  RecipientCeilingExceeded,
  RecipientCommitmentConflict,
  RecipientCommitmentNotFound,
} from './recipient.errors';
import { RECIPIENT_EVENT_TYPES, recipientEventSchemaVersions, recipientStreamName, type RecipientEvent } from './recipient.events';
import { fold } from '../shared/decider';

// One grassroots organisation, awarded under two calls of the same programme (EUR 60,000 ceiling).
const organisationId = '7d1c0e52-31f4-4e1b-9a55-0c8a7f3e2b10';
const programme = 'Civic Space and Minority Rights Programme 2027';
const callA = 'aaaaaaaa-0000-4000-8000-00000000000a';
const callB = 'bbbbbbbb-0000-4000-8000-00000000000b';
const grant1 = '11111111-0000-4000-8000-000000000001';
const grant2 = '22222222-0000-4000-8000-000000000002';
const grant3 = '33333333-0000-4000-8000-000000000003';
const now = '2027-05-03T09:00:00.000Z';
const ceilingMinor = DEFAULT_RECIPIENT_CEILING_MINOR;

const commit = (grantId: string, amountMinor: number, overrides: Partial<CommitRecipientFunds['data']> = {}): CommitRecipientFunds => ({
  type: 'CommitRecipientFunds',
  data: { organisationId, grantId, proposalId: `proposal-of-${grantId}`, callId: callA, programme, currency: 'EUR', role: 'lead', amountMinor, ceilingMinor, ...overrides },
  now,
});

const committed = (grantId: string, amountMinor: number, totalMinor: number, overrides: Partial<CommitRecipientFunds['data']> = {}): RecipientEvent => {
  const { data } = commit(grantId, amountMinor, overrides);
  return { type: 'RecipientFundsCommitted', data: { ...data, totalMinor, committedAt: now } };
};

const first = committed(grant1, 4_000_000, 4_000_000);

describe('recipient decider: a ceiling per recipient across the programme', () => {
  it('given nothing awarded yet, when a grant is committed, then it counts, with the ceiling it was held to and the new total', () => {
    given(recipientDecider, []).when(commit(grant1, 4_000_000)).then([first]);
  });

  it('given 40,000 awarded under one call, when 20,000 more is committed under another call, then it fits exactly up to the ceiling', () => {
    given(recipientDecider, [first]).when(commit(grant2, 2_000_000, { callId: callB, role: 'partner' })).then([committed(grant2, 2_000_000, 6_000_000, { callId: callB, role: 'partner' })]);
  });

  const refusedGrant2: RecipientEvent = {
    type: 'RecipientFundsRefused',
    data: { organisationId, grantId: grant2, proposalId: `proposal-of-${grant2}`, callId: callB, programme, currency: 'EUR', role: 'lead', amountMinor: 2_000_001, ceilingMinor, totalMinor: 4_000_000, refusedAt: now },
  };

  it('given 40,000 awarded, when 20,000.01 more would be committed under another call, then the ledger records that it refused the grant: the ceiling would be passed', () => {
    given(recipientDecider, [first]).when(commit(grant2, 2_000_001, { callId: callB })).then([refusedGrant2]);
  });

  it('given a grant the ledger refused, when it is committed again (a redelivery, a second worker), then it is refused, even if room opened up meanwhile', () => {
    const releasedFirst: RecipientEvent = { type: 'RecipientFundsReleased', data: { organisationId, grantId: grant1, amountMinor: 4_000_000, reason: 'call.budget.exceeded', totalMinor: 0, releasedAt: now } };
    const error = given(recipientDecider, [first, refusedGrant2, releasedFirst]).when(commit(grant2, 2_000_001, { callId: callB })).thenThrows(RecipientCeilingExceeded);
    expect(error.rule).toBe('recipient.ceiling.exceeded');
    expect({ total: error.totalMinor, ceiling: error.ceilingMinor, requested: error.requestedMinor }).toEqual({ total: 4_000_000, ceiling: 6_000_000, requested: 2_000_001 });
  });

  it('given a call that sets a higher ceiling, then the award is held to that one', () => {
    given(recipientDecider, [first]).when(commit(grant2, 3_000_000, { callId: callB, ceilingMinor: 8_000_000 })).then([committed(grant2, 3_000_000, 7_000_000, { callId: callB, ceilingMinor: 8_000_000 })]);
  });

  it('given awards in another currency or another programme, then they do not count towards this total', () => {
    const inUsd = committed(grant1, 5_000_000, 5_000_000, { currency: 'USD' });
    const otherProgramme = committed(grant2, 5_000_000, 5_000_000, { programme: 'Another programme' });
    given(recipientDecider, [inUsd, otherProgramme]).when(commit(grant3, 6_000_000)).then([committed(grant3, 6_000_000, 6_000_000)]);
    given(recipientDecider, [inUsd, otherProgramme]).when(commit(grant3, 6_000_001)).then([
      { type: 'RecipientFundsRefused', data: { ...commit(grant3, 6_000_001).data, totalMinor: 0, refusedAt: now } },
    ]);
  });

  it('given 40,000 awarded under the programme spelt in another case and spacing, when 20,000.01 more would be committed, then it is refused: one programme, one ceiling', () => {
    const shouted = committed(grant1, 4_000_000, 4_000_000, { programme: `  ${programme.toUpperCase().replace(/ /g, '  ')}` });
    given(recipientDecider, [shouted]).when(commit(grant2, 2_000_001, { callId: callB })).then([refusedGrant2]);
  });

  it('given the grant already committed, when the same commitment is redelivered, then nothing is appended', () => {
    given(recipientDecider, [first]).when(commit(grant1, 4_000_000)).then([]);
  });

  it('given the grant already committed, when it is committed with another amount, then it is refused as a conflict', () => {
    given(recipientDecider, [first]).when(commit(grant1, 5_000_000)).thenThrows(RecipientCommitmentConflict);
  });

  it('given an amount or ceiling that is not a positive integer, or a blank programme, then it is refused', () => {
    given(recipientDecider, []).when(commit(grant1, 0)).thenThrows(InvalidRecipientAmount);
    given(recipientDecider, []).when(commit(grant1, 10.5)).thenThrows(InvalidRecipientAmount);
    given(recipientDecider, []).when(commit(grant1, 100, { ceilingMinor: 0 })).thenThrows(InvalidRecipientCeiling);
    given(recipientDecider, []).when(commit(grant1, 100, { programme: ' ' })).thenThrows(MissingRecipientDetails);
  });

  describe('a grant awarded before the ledger existed', () => {
    const record = (grantId: string, amountMinor: number, adjustmentIds: string[] = []) => {
      const { data } = commit(grantId, amountMinor);
      return { type: 'RecordAwardedGrant' as const, data: { ...data, adjustmentIds }, now };
    };

    it('given 40,000 counted, when a 30,000 grant awarded before the ledger is recorded, then it counts, past the ceiling if so: it is a fact, marked as counted after the award', () => {
      given(recipientDecider, [first]).when(record(grant2, 3_000_000)).then([
        { type: 'RecipientFundsCommitted', data: { ...commit(grant2, 3_000_000).data, totalMinor: 7_000_000, committedAt: now, recordedAfterAward: true, adjustmentIds: [] } },
      ]);
    });

    it('given a grant recorded with the amendments its amount already reflects, when one of them is adjusted again (the grant-funds backstop), then nothing more counts', () => {
      const recorded: RecipientEvent = { type: 'RecipientFundsCommitted', data: { ...commit(grant2, 3_000_000).data, totalMinor: 3_000_000, committedAt: now, recordedAfterAward: true, adjustmentIds: ['amendment-7'] } };
      given(recipientDecider, [recorded]).when({ type: 'AdjustRecipientCommitment', data: { organisationId, grantId: grant2, adjustmentId: 'amendment-7', changeMinor: 500_000, reason: 'raised' }, now }).then([]);
    });

    it('given the grant already on the ledger (counted by the award workflow), then nothing', () => {
      given(recipientDecider, [first]).when(record(grant1, 4_000_000)).then([]);
    });

    it('given the total already past the ceiling that way, then a new award is refused', () => {
      const prior: RecipientEvent = { type: 'RecipientFundsCommitted', data: { ...commit(grant2, 7_000_000).data, totalMinor: 7_000_000, committedAt: now, recordedAfterAward: true, adjustmentIds: [] } };
      given(recipientDecider, [prior]).when(commit(grant3, 500_000)).then([
        { type: 'RecipientFundsRefused', data: { ...commit(grant3, 500_000).data, totalMinor: 7_000_000, refusedAt: now } },
      ]);
    });
  });

  describe('release (an award refused after the organisation was counted)', () => {
    const release = (grantId: string) => ({ type: 'ReleaseRecipientFunds' as const, data: { organisationId, grantId, reason: 'call.budget.exceeded' }, now });
    const released: RecipientEvent = { type: 'RecipientFundsReleased', data: { organisationId, grantId: grant1, amountMinor: 4_000_000, reason: 'call.budget.exceeded', totalMinor: 0, releasedAt: now } };

    it('given a commitment, when it is released, then it no longer counts', () => {
      given(recipientDecider, [first]).when(release(grant1)).then([released]);
      expect(recipientTotalMinor(fold(recipientDecider, [first, released]), programme, 'EUR')).toBe(0);
    });

    it('given a released commitment, then the room is there again for another award', () => {
      given(recipientDecider, [first, released]).when(commit(grant2, 6_000_000)).then([committed(grant2, 6_000_000, 6_000_000)]);
    });

    it('given nothing committed for the grant, or already released, when released (again), then nothing happens', () => {
      given(recipientDecider, []).when(release(grant1)).then([]);
      given(recipientDecider, [first, released]).when(release(grant1)).then([]);
    });

    it('given a released commitment, when the same grant is committed again, then it is refused: a refused award is never counted again', () => {
      given(recipientDecider, [first, released]).when(commit(grant1, 4_000_000)).thenThrows(RecipientCommitmentConflict);
    });
  });

  describe('adjustment (an amendment changed the grant amount)', () => {
    const adjust = (changeMinor: number, adjustmentId = 'amendment-1') => ({ type: 'AdjustRecipientCommitment' as const, data: { organisationId, grantId: grant1, adjustmentId, changeMinor, reason: 'Grant amount raised by amendment' }, now });
    const adjusted = (changeMinor: number, totalMinor: number, adjustmentId = 'amendment-1'): RecipientEvent => ({
      type: 'RecipientCommitmentAdjusted',
      data: { organisationId, grantId: grant1, adjustmentId, changeMinor, amountMinor: 4_000_000 + changeMinor, ceilingMinor, totalMinor, reason: 'Grant amount raised by amendment', adjustedAt: now },
    });

    it('given an increase within the ceiling, then it counts', () => {
      given(recipientDecider, [first]).when(adjust(2_000_000)).then([adjusted(2_000_000, 6_000_000)]);
    });

    it('given an increase that would pass the ceiling (with another grant counted), then it is refused', () => {
      given(recipientDecider, [first, committed(grant2, 1_500_000, 5_500_000, { callId: callB })]).when(adjust(600_000)).thenThrows(RecipientCeilingExceeded);
    });

    it('given a decrease, then it counts less, and never less than nothing', () => {
      given(recipientDecider, [first]).when(adjust(-1_000_000)).then([adjusted(-1_000_000, 3_000_000)]);
      given(recipientDecider, [first]).when(adjust(-4_000_001)).thenThrows(InvalidRecipientAmount);
      given(recipientDecider, [first]).when(adjust(0)).thenThrows(InvalidRecipientAmount);
    });

    it('given the same adjustment again, then nothing is appended', () => {
      given(recipientDecider, [first, adjusted(2_000_000, 6_000_000)]).when(adjust(2_000_000)).then([]);
    });

    it('given no commitment for the grant, then it is refused', () => {
      given(recipientDecider, []).when(adjust(1)).thenThrows(RecipientCommitmentNotFound);
    });
  });

  describe('release of what a grant left unspent (closed or terminated)', () => {
    const termination = grantEndAdjustmentId('termination');
    const reason = 'Unspent at grant termination';
    const releaseUnspent = (unspentMinor: number, adjustmentId = termination, grantId = grant1) => ({
      type: 'ReleaseUnspentRecipientFunds' as const,
      data: { organisationId, grantId, adjustmentId, unspentMinor, reason },
      now,
    });
    const releasedUnspent = (changeMinor: number, amountMinor: number, totalMinor: number, adjustmentId = termination): RecipientEvent => ({
      type: 'RecipientCommitmentAdjusted',
      data: { organisationId, grantId: grant1, adjustmentId, changeMinor, amountMinor, ceilingMinor, totalMinor, reason, adjustedAt: now },
    });

    it('given 40,000 counted, when the grant is terminated with 30,000 unspent, then it counts only the 10,000 paid', () => {
      given(recipientDecider, [first]).when(releaseUnspent(3_000_000)).then([releasedUnspent(-3_000_000, 1_000_000, 1_000_000)]);
    });

    it('given 40,000 counted, then 50,000 more cannot be awarded; once the grant ended with 30,000 unspent, it can (up to the ceiling exactly)', () => {
      given(recipientDecider, [first]).when(commit(grant2, 5_000_000, { callId: callB })).then([
        { type: 'RecipientFundsRefused', data: { ...commit(grant2, 5_000_000, { callId: callB }).data, totalMinor: 4_000_000, refusedAt: now } },
      ]);
      given(recipientDecider, [first, releasedUnspent(-3_000_000, 1_000_000, 1_000_000)])
        .when(commit(grant2, 5_000_000, { callId: callB }))
        .then([committed(grant2, 5_000_000, 6_000_000, { callId: callB })]);
    });

    it('given the release already recorded, when the grant end is redelivered or replayed, then nothing more is released', () => {
      given(recipientDecider, [first, releasedUnspent(-3_000_000, 1_000_000, 1_000_000)]).when(releaseUnspent(3_000_000)).then([]);
    });

    it('releases at most what the grant counts: never below nothing', () => {
      const lowered: RecipientEvent = {
        type: 'RecipientCommitmentAdjusted',
        data: { organisationId, grantId: grant1, adjustmentId: 'amendment-1', changeMinor: -1_000_000, amountMinor: 3_000_000, ceilingMinor, totalMinor: 3_000_000, reason: 'lowered', adjustedAt: now },
      };
      given(recipientDecider, [first, lowered]).when(releaseUnspent(4_000_000)).then([releasedUnspent(-3_000_000, 0, 0)]);
    });

    it('given an increase counted for an amendment the grant never recorded, then its compensation after the release still leaves nothing below zero', () => {
      const raised: RecipientEvent = {
        type: 'RecipientCommitmentAdjusted',
        data: { organisationId, grantId: grant1, adjustmentId: 'amendment-9', changeMinor: 1_000_000, amountMinor: 5_000_000, ceilingMinor, totalMinor: 5_000_000, reason: 'raised', adjustedAt: now },
      };
      // The grant (40,000, nothing paid) was terminated while the amendment was under way: 40,000 unspent.
      const released = releasedUnspent(-4_000_000, 1_000_000, 1_000_000);
      given(recipientDecider, [first, raised]).when(releaseUnspent(4_000_000)).then([released]);
      given(recipientDecider, [first, raised, released])
        .when({ type: 'AdjustRecipientCommitment', data: { organisationId, grantId: grant1, adjustmentId: 'amendment-9:reverted', changeMinor: -1_000_000, reason: 'not recorded' }, now })
        .then([
          {
            type: 'RecipientCommitmentAdjusted',
            data: { organisationId, grantId: grant1, adjustmentId: 'amendment-9:reverted', changeMinor: -1_000_000, amountMinor: 0, ceilingMinor, totalMinor: 0, reason: 'not recorded', adjustedAt: now },
          },
        ]);
    });

    it('given nothing unspent, no commitment for the grant (awarded before the ledger) or an award refused and released, then nothing', () => {
      given(recipientDecider, [first]).when(releaseUnspent(0)).then([]);
      given(recipientDecider, [first]).when(releaseUnspent(1_000_000, termination, grant2)).then([]);
      const releasedWhole: RecipientEvent = { type: 'RecipientFundsReleased', data: { organisationId, grantId: grant1, amountMinor: 4_000_000, reason: 'call.budget.exceeded', totalMinor: 0, releasedAt: now } };
      given(recipientDecider, [first, releasedWhole]).when(releaseUnspent(1_000_000)).then([]);
    });

    it('needs a whole non-negative amount, an adjustment id and a reason', () => {
      given(recipientDecider, [first]).when(releaseUnspent(-1)).thenThrows(InvalidRecipientAmount);
      given(recipientDecider, [first]).when(releaseUnspent(0.5)).thenThrows(InvalidRecipientAmount);
      given(recipientDecider, [first]).when(releaseUnspent(1, ' ')).thenThrows(MissingRecipientDetails);
      given(recipientDecider, [first]).when({ ...releaseUnspent(1), data: { ...releaseUnspent(1).data, reason: '' } }).thenThrows(MissingRecipientDetails);
    });

    it('one id per grant end, never an amendment id', () => {
      expect([grantEndAdjustmentId('closure'), grantEndAdjustmentId('termination')]).toEqual(['unspent-at-closure', 'unspent-at-termination']);
    });
  });
});

describe('who counts what, and which ceiling', () => {
  it('the lead and every partner each count the whole grant (no shares are stated), each once', () => {
    expect(recipientsOfAward('lead', ['p1', 'p2', 'p1', 'lead'])).toEqual([
      { organisationId: 'lead', role: 'lead' },
      { organisationId: 'p1', role: 'partner' },
      { organisationId: 'p2', role: 'partner' },
    ]);
  });

  it("the call's term wins, then the programme's configuration, then the default EUR 60,000", () => {
    const policy = { defaultMinor: DEFAULT_RECIPIENT_CEILING_MINOR, byProgramme: { [programme]: 5_000_000 }, currency: 'EUR' };
    expect(recipientCeilingFor({ programme, recipientCeilingMinor: 9_000_000 }, policy)).toBe(9_000_000);
    expect(recipientCeilingFor({ programme }, policy)).toBe(5_000_000);
    expect(recipientCeilingFor({ programme: 'Another programme' }, policy)).toBe(6_000_000);
    // A programme is named in any case, spacing or compatibility form.
    expect(recipientCeilingFor({ programme: `  ${programme.toUpperCase().replace(/ /g, '  ')} ` }, policy)).toBe(5_000_000);
    expect(configuredRecipientCeiling(programme.toLowerCase(), policy)).toEqual({ currency: 'EUR', minor: 5_000_000 });
  });

  it('events have explicit versioned types and the stream is recipient-{organisationId}', () => {
    expect(RECIPIENT_EVENT_TYPES).toEqual(['RecipientFundsCommitted', 'RecipientFundsRefused', 'RecipientFundsReleased', 'RecipientCommitmentAdjusted']);
    expect(Object.values(recipientEventSchemaVersions)).toEqual([1, 1, 1, 1]);
    expect(recipientStreamName(organisationId)).toBe(`recipient-${organisationId}`);
  });
});
