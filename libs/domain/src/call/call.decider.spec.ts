import { AlreadyExists, fold, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import { given } from '../shared/testing';
import type { CallCommand, DraftCallData } from './call.commands';
import { callDecider, callIsOpenForSubmissions, type CallState, type ExistingCall } from './call.decider';
import {
  AwardOutsideRange,
  BudgetExceeded,
  CallHasCommittedFunds,
  CommitmentNotFound,
  ConflictingCommitment,
  DeadlineNotLater,
  DeadlinePassed,
  InvalidAmount,
  InvalidAwardRange,
  InvalidBudget,
  InvalidCommitmentAdjustment,
  InvalidCriteriaWeights,
  InvalidCurrency,
  InvalidEligibleCountries,
  InvalidMinPartners,
  InvalidRecipientCeiling,
  RecipientCeilingRequired,
  InvalidReviewsRequired,
  InvalidScoringCriteria,
  InvalidSubmissionWindow,
  InvalidTimestamp,
  MissingCallDetails,
  ReasonRequired,
  ReleaseExceedsCommitment,
} from './call.errors';
import { CALL_EVENT_TYPES, callEventSchemaVersions, callStreamName, type CallEvent } from './call.events';
import { ISO_3166_ALPHA_2_COUNT, isIso3166Alpha2 } from './iso-3166';

// A EUR 1.5m call for issue-based networks in Lebanon, Palestine, Morocco and Tunisia.
const callId = '0b6f5d2e-4c1a-4f7e-9a53-7f1d2c3b4a01';
const draftedAt = '2026-01-10T09:00:00.000Z';
const opensAt = '2026-02-01T00:00:00.000Z';
const closesAt = '2026-04-30T23:59:59.000Z';
const beforeOpening = '2026-01-20T12:00:00.000Z';
const duringWindow = '2026-03-15T12:00:00.000Z';
const afterDeadline = '2026-05-02T08:00:00.000Z';
const laterDeadline = '2026-05-31T23:59:59.000Z';
const grantA = 'a1a1a1a1-0000-4000-8000-000000000001';
const grantB = 'b2b2b2b2-0000-4000-8000-000000000002';
const proposalA = 'c3c3c3c3-0000-4000-8000-000000000003';
const proposalB = 'd4d4d4d4-0000-4000-8000-000000000004';
const grantC = 'e5e5e5e5-0000-4000-8000-000000000005';
const proposalC = 'f6f6f6f6-0000-4000-8000-000000000006';

const criteria = [
  { id: 'relevance', name: 'Relevance to the policy issue', description: 'Does the network address the issue?', weight: 40, maxScore: 5 },
  { id: 'network', name: 'Strength of the network', weight: 30, maxScore: 5 },
  { id: 'feasibility', name: 'Feasibility and budget', weight: 30, maxScore: 5 },
];

const terms: DraftCallData = {
  callId,
  programme: 'Rights in the Southern Neighbourhood',
  title: 'Networks for equal citizenship 2026',
  description: 'Grants to networks of grassroots organisations working together on one policy issue.',
  currency: 'EUR',
  budgetMinor: 150_000_000,
  minAwardMinor: 5_000_000,
  maxAwardMinor: 25_000_000,
  eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
  minPartners: 3,
  criteria,
  reviewsRequired: 2,
  opensAt,
  closesAt,
};

function draft(overrides: Partial<DraftCallData> = {}): CallCommand {
  return { type: 'DraftCall', data: { ...terms, ...overrides }, now: draftedAt };
}

function drafted(overrides: Partial<DraftCallData> = {}): CallEvent {
  return { type: 'CallDrafted', data: { ...terms, ...overrides, draftedAt } };
}

const published: CallEvent = { type: 'CallPublished', data: { callId, publishedAt: beforeOpening } };
const closed: CallEvent = { type: 'CallClosed', data: { callId, closedAt: afterDeadline } };
const cancelled: CallEvent = {
  type: 'CallCancelled',
  data: { callId, reason: 'Programme funding withdrawn', cancelledAt: duringWindow },
};
const extendedTo = (newClosesAt: string, previousClosesAt = closesAt): CallEvent => ({
  type: 'CallDeadlineExtended',
  data: { callId, previousClosesAt, newClosesAt, reason: 'Internet shutdown in the region', extendedAt: duringWindow },
});
const committed = (grantId: string, proposalId: string, amountMinor: number): CallEvent => ({
  type: 'FundsCommitted',
  data: { callId, grantId, proposalId, amountMinor, committedAt: afterDeadline },
});
const released = (grantId: string, amountMinor: number): CallEvent => ({
  type: 'FundsReleased',
  data: { callId, grantId, amountMinor, reason: 'Unspent at grant closure', releasedAt: afterDeadline },
});

const adjusted = (grantId: string, adjustmentId: string, changeMinor: number, amountMinor: number): CallEvent => ({
  type: 'CommitmentAdjusted',
  data: { callId, grantId, adjustmentId, changeMinor, amountMinor, reason: 'Amount-change amendment', adjustedAt: afterDeadline },
});

const publish = (now = beforeOpening): CallCommand => ({ type: 'PublishCall', data: { callId }, now });
const extend = (newClosesAt: string, reason = 'Internet shutdown in the region', now = duringWindow): CallCommand => ({
  type: 'ExtendCallDeadline',
  data: { callId, newClosesAt, reason },
  now,
});
const close = (now: string, reason?: string): CallCommand => ({
  type: 'CloseCall',
  data: reason === undefined ? { callId } : { callId, reason },
  now,
});
const cancel = (reason = 'Programme funding withdrawn', now = duringWindow): CallCommand => ({
  type: 'CancelCall',
  data: { callId, reason },
  now,
});
const commit = (grantId: string, proposalId: string, amountMinor: number): CallCommand => ({
  type: 'CommitFunds',
  data: { callId, grantId, proposalId, amountMinor },
  now: afterDeadline,
});
const release = (grantId: string, amountMinor: number, reason = 'Unspent at grant closure'): CallCommand => ({
  type: 'ReleaseFunds',
  data: { callId, grantId, amountMinor, reason },
  now: afterDeadline,
});

const adjust = (grantId: string, adjustmentId: string, changeMinor: number, reason = 'Amount-change amendment'): CallCommand => ({
  type: 'AdjustCommitment',
  data: { callId, grantId, adjustmentId, changeMinor, reason },
  now: afterDeadline,
});

const draftedState: ExistingCall = {
  status: 'draft',
  callId,
  terms: {
    programme: terms.programme,
    title: terms.title,
    description: terms.description,
    currency: 'EUR',
    budgetMinor: 150_000_000,
    minAwardMinor: 5_000_000,
    maxAwardMinor: 25_000_000,
    eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
    minPartners: 3,
    criteria,
    reviewsRequired: 2,
    opensAt,
  },
  closesAt,
  committedMinor: 0,
  commitments: {},
};

describe('call decider', () => {
  describe('DraftCall', () => {
    it('drafts a call with its terms and submission window', () => {
      given(callDecider).when(draft()).then([drafted()]);
    });

    it('stores programme and title without surrounding whitespace', () => {
      given(callDecider)
        .when(draft({ programme: `  ${terms.programme} `, title: ` ${terms.title}\n` }))
        .then([drafted()]);
    });

    it('refuses to draft a call that already exists', () => {
      const error = given(callDecider, [drafted()]).when(draft()).thenThrows(AlreadyExists);
      expect(error.streamId).toBe(callStreamName(callId));
    });

    it.each([
      ['programme', { programme: '  ' }],
      ['title', { title: '' }],
    ])('requires a %s', (_field, overrides) => {
      given(callDecider).when(draft(overrides)).thenThrows(MissingCallDetails);
    });

    it.each(['eur', 'EURO', 'E1R', ''])('rejects currency %j that is not an ISO 4217 code', (currency) => {
      given(callDecider).when(draft({ currency })).thenThrows(InvalidCurrency);
    });

    it.each(['XXX', 'ABC', 'XTS', 'XAU', 'HRK', 'ANG'])('rejects currency %j that is well formed but not a currency in circulation', (currency) => {
      given(callDecider).when(draft({ currency })).thenThrows(InvalidCurrency);
    });

    it.each(['EUR', 'USD', 'LBP', 'TND', 'XOF', 'JPY'])('accepts currency %s in circulation', (currency) => {
      expect(callDecider.decide(draft({ currency }), callDecider.initialState)).toMatchObject([{ type: 'CallDrafted', data: { currency } }]);
    });

    it.each([0, -100, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])(
      'rejects a budget that is not a positive integer of minor units (%p)',
      (budgetMinor) => {
        const error = given(callDecider).when(draft({ budgetMinor })).thenThrows(InvalidBudget);
        expect(error.rule).toBe('call.budget.invalid');
      },
    );

    it.each([
      ['a zero minimum award', { minAwardMinor: 0 }],
      ['a fractional minimum award', { minAwardMinor: 4_999_999.5 }],
      ['a fractional maximum award', { maxAwardMinor: 25_000_000.25 }],
    ])('rejects award limits that are not positive integers: %s', (_case, overrides) => {
      given(callDecider).when(draft(overrides)).thenThrows(InvalidAwardRange);
    });

    it('rejects a minimum award above the maximum award', () => {
      given(callDecider)
        .when(draft({ minAwardMinor: 30_000_000, maxAwardMinor: 25_000_000 }))
        .thenThrows(InvalidAwardRange);
    });

    it('rejects a maximum award above the budget', () => {
      given(callDecider).when(draft({ maxAwardMinor: 150_000_001 })).thenThrows(InvalidAwardRange);
    });

    it('accepts minimum award = maximum award = budget (one single grant)', () => {
      const single = { minAwardMinor: 150_000_000, maxAwardMinor: 150_000_000 };
      given(callDecider).when(draft(single)).then([drafted(single)]);
    });

    it('requires at least one eligible country', () => {
      given(callDecider).when(draft({ eligibleCountries: [] })).thenThrows(InvalidEligibleCountries);
    });

    it.each(['lb', 'LBN', 'XX', 'UK', ''])('rejects eligible country %j that is not an ISO 3166-1 alpha-2 code', (code) => {
      given(callDecider)
        .when(draft({ eligibleCountries: ['LB', code] }))
        .thenThrows(InvalidEligibleCountries);
    });

    it('rejects duplicate eligible countries', () => {
      given(callDecider)
        .when(draft({ eligibleCountries: ['LB', 'PS', 'LB'] }))
        .thenThrows(InvalidEligibleCountries);
    });

    it.each([0, -1, 2.5])('rejects a minimum number of partners that is not an integer >= 1 (%p)', (minPartners) => {
      given(callDecider).when(draft({ minPartners })).thenThrows(InvalidMinPartners);
    });

    it('accepts a minimum of one organisation per network (the lead alone, since the lead counts)', () => {
      given(callDecider).when(draft({ minPartners: 1 })).then([drafted({ minPartners: 1 })]);
    });

    it('requires at least one scoring criterion', () => {
      given(callDecider).when(draft({ criteria: [] })).thenThrows(InvalidScoringCriteria);
    });

    it('rejects duplicate criterion ids', () => {
      given(callDecider)
        .when(draft({ criteria: [{ ...criteria[0], weight: 50 }, { ...criteria[0], name: 'Other', weight: 50 }] }))
        .thenThrows(InvalidScoringCriteria);
    });

    it.each([
      ['a blank id', { id: ' ' }],
      ['a blank name', { name: '' }],
      ['a zero max score', { maxScore: 0 }],
      ['a fractional max score', { maxScore: 4.5 }],
    ])('rejects a criterion with %s', (_case, overrides) => {
      given(callDecider)
        .when(draft({ criteria: [{ ...criteria[0], ...overrides }, criteria[1], criteria[2]] }))
        .thenThrows(InvalidScoringCriteria);
    });

    it.each([
      ['zero', [0, 50, 50]],
      ['negative', [-10, 60, 50]],
      ['fractional', [40.5, 29.5, 30]],
    ])('rejects criterion weights that are not positive integers (%s)', (_case, weights) => {
      const weighted = criteria.map((criterion, index) => ({ ...criterion, weight: weights[index] }));
      given(callDecider).when(draft({ criteria: weighted })).thenThrows(InvalidCriteriaWeights);
    });

    it.each([
      [99, [40, 30, 29]],
      [101, [40, 30, 31]],
    ])('rejects criterion weights that do not sum to 100 (sum %p)', (_sum, weights) => {
      const weighted = criteria.map((criterion, index) => ({ ...criterion, weight: weights[index] }));
      given(callDecider).when(draft({ criteria: weighted })).thenThrows(InvalidCriteriaWeights);
    });

    it('accepts a single criterion weighing 100', () => {
      const single = [{ id: 'overall', name: 'Overall quality', weight: 100, maxScore: 10 }];
      given(callDecider).when(draft({ criteria: single })).then([drafted({ criteria: single })]);
    });

    it.each([0, -2, 1.5])('rejects a number of required reviews that is not an integer >= 1 (%p)', (reviewsRequired) => {
      given(callDecider).when(draft({ reviewsRequired })).thenThrows(InvalidReviewsRequired);
    });

    it('records a ceiling per recipient when the call states one, and folds it into the terms', () => {
      given(callDecider).when(draft({ recipientCeilingMinor: 40_000_000 })).then([drafted({ recipientCeilingMinor: 40_000_000 })]);
      const state = fold(callDecider, [drafted({ recipientCeilingMinor: 40_000_000 })]) as ExistingCall;
      expect(state.terms.recipientCeilingMinor).toBe(40_000_000);
      expect((fold(callDecider, [drafted()]) as ExistingCall).terms).not.toHaveProperty('recipientCeilingMinor');
    });

    describe('a call that states no ceiling is held to the one configured for its programme', () => {
      const configured = (currency: string, minor: number): CallCommand => ({ ...(draft() as Extract<CallCommand, { type: 'DraftCall' }>), configuredRecipientCeiling: { currency, minor } });

      it('given the configured ceiling in the call\'s currency, then the call is drafted without a ceiling of its own, also when its maximum award is above it (the decision refuses such an award)', () => {
        given(callDecider).when(configured('EUR', 25_000_000)).then([drafted()]);
        given(callDecider).when(configured('EUR', 6_000_000)).then([drafted()]);
      });

      it('given the configured ceiling in another currency, then the call must state its own: 6,000,000 minor units are EUR 60,000 but JPY 6,000,000', () => {
        const error = given(callDecider).when(configured('JPY', 60_000_000)).thenThrows(RecipientCeilingRequired);
        expect(error.rule).toBe('call.recipient-ceiling.required');
        expect(error.message).toContain('(60000000) is in JPY, the call in EUR');
      });

      it('given a ceiling of its own, then the configured one does not matter', () => {
        const own: CallCommand = { ...(draft({ recipientCeilingMinor: 40_000_000 }) as Extract<CallCommand, { type: 'DraftCall' }>), configuredRecipientCeiling: { currency: 'JPY', minor: 1 } };
        given(callDecider).when(own).then([drafted({ recipientCeilingMinor: 40_000_000 })]);
      });
    });

    it.each([0, 1.5, 24_999_999])('rejects a ceiling per recipient that is not an integer of at least the maximum award (%p)', (recipientCeilingMinor) => {
      given(callDecider).when(draft({ recipientCeilingMinor })).thenThrows(InvalidRecipientCeiling);
    });

    it.each(['2026-04-30', '30/04/2026 23:59', '2026-04-30T23:59:59', 'soon', '2026-13-01T00:00:00Z', '2026-04-31T23:59:59Z', '2027-02-29T12:00:00+02:00'])(
      'rejects a deadline %j that is not an ISO 8601 date-time with offset on a day the calendar has',
      (value) => {
        const error = given(callDecider).when(draft({ closesAt: value })).thenThrows(InvalidTimestamp);
        expect(error.field).toBe('closesAt');
      },
    );

    it('rejects a submission window that closes before it opens', () => {
      given(callDecider)
        .when(draft({ opensAt: closesAt, closesAt: opensAt }))
        .thenThrows(InvalidSubmissionWindow);
    });

    it('rejects a submission window that closes the moment it opens', () => {
      given(callDecider)
        .when(draft({ opensAt, closesAt: '2026-02-01T01:00:00+01:00' }))
        .thenThrows(InvalidSubmissionWindow);
    });
  });

  describe('PublishCall', () => {
    it('publishes a draft', () => {
      given(callDecider, [drafted()]).when(publish()).then([published]);
    });

    it('publishes while the window is already open, as long as the deadline is ahead', () => {
      given(callDecider, [drafted()])
        .when(publish(duringWindow))
        .then([{ type: 'CallPublished', data: { callId, publishedAt: duringWindow } }]);
    });

    it('cannot publish a call that does not exist', () => {
      const error = given(callDecider).when(publish()).thenThrows(StreamNotFound);
      expect(error.streamId).toBe(`call-${callId}`);
    });

    it.each([
      ['published', [published]],
      ['closed', [published, closed]],
      ['cancelled', [cancelled]],
    ])('refuses to publish a call that is already %s', (_status, events) => {
      given(callDecider, [drafted(), ...events]).when(publish()).thenThrows(InvalidStateTransition);
    });

    it.each([closesAt, afterDeadline])('requires the deadline to still be in the future (now %s)', (now) => {
      given(callDecider, [drafted()]).when(publish(now)).thenThrows(DeadlinePassed);
    });
  });

  describe('ExtendCallDeadline', () => {
    it('extends the deadline of a published call', () => {
      given(callDecider, [drafted(), published]).when(extend(laterDeadline)).then([extendedTo(laterDeadline)]);
    });

    it('extends from the current, already extended deadline', () => {
      const evenLater = '2026-06-15T23:59:59.000Z';
      given(callDecider, [drafted(), published, extendedTo(laterDeadline)])
        .when(extend(evenLater))
        .then([extendedTo(evenLater, laterDeadline)]);
    });

    it('cannot extend a call that does not exist', () => {
      given(callDecider).when(extend(laterDeadline)).thenThrows(StreamNotFound);
    });

    it.each([
      ['draft', []],
      ['closed', [published, closed]],
      ['cancelled', [published, cancelled]],
    ])('extends only while published, not when %s', (_status, events) => {
      given(callDecider, [drafted(), ...events]).when(extend(laterDeadline)).thenThrows(InvalidStateTransition);
    });

    it.each([
      ['the same instant', closesAt],
      ['the same instant in another offset', '2026-05-01T01:59:59.000+02:00'],
      ['an earlier date', '2026-04-15T23:59:59.000Z'],
    ])('requires a date later than the current deadline, not %s', (_case, newClosesAt) => {
      given(callDecider, [drafted(), published]).when(extend(newClosesAt)).thenThrows(DeadlineNotLater);
    });

    it('requires a date later than an already extended deadline', () => {
      given(callDecider, [drafted(), published, extendedTo(laterDeadline)])
        .when(extend('2026-05-15T23:59:59.000Z'))
        .thenThrows(DeadlineNotLater);
    });

    it.each(['', '   '])('requires a reason (%j)', (reason) => {
      given(callDecider, [drafted(), published]).when(extend(laterDeadline, reason)).thenThrows(ReasonRequired);
    });

    it('refuses to reopen a call whose deadline has already passed', () => {
      given(callDecider, [drafted(), published])
        .when(extend(laterDeadline, 'Late applicants asked', afterDeadline))
        .thenThrows(DeadlinePassed);
    });

    it('rejects a new deadline that is not an ISO 8601 date-time', () => {
      given(callDecider, [drafted(), published]).when(extend('next month')).thenThrows(InvalidTimestamp);
    });
  });

  describe('CloseCall', () => {
    it('closes a call after its deadline without a reason', () => {
      given(callDecider, [drafted(), published]).when(close(afterDeadline)).then([closed]);
    });

    it('closes a call exactly at its deadline without a reason', () => {
      given(callDecider, [drafted(), published])
        .when(close(closesAt))
        .then([{ type: 'CallClosed', data: { callId, closedAt: closesAt } }]);
    });

    it('keeps an optional reason given after the deadline', () => {
      given(callDecider, [drafted(), published])
        .when(close(afterDeadline, 'Window over'))
        .then([{ type: 'CallClosed', data: { callId, closedAt: afterDeadline, reason: 'Window over' } }]);
    });

    it('closes a call before its deadline when given a reason', () => {
      given(callDecider, [drafted(), published])
        .when(close(duringWindow, 'Budget oversubscribed'))
        .then([{ type: 'CallClosed', data: { callId, closedAt: duringWindow, reason: 'Budget oversubscribed' } }]);
    });

    it.each([undefined, '', '  '])('requires a reason to close before the deadline (%j)', (reason) => {
      given(callDecider, [drafted(), published]).when(close(duringWindow, reason)).thenThrows(ReasonRequired);
    });

    it('requires a reason to close before an extended deadline, even after the original one', () => {
      given(callDecider, [drafted(), published, extendedTo(laterDeadline)])
        .when(close(afterDeadline))
        .thenThrows(ReasonRequired);
    });

    it('cannot close a call that does not exist', () => {
      given(callDecider).when(close(afterDeadline)).thenThrows(StreamNotFound);
    });

    it.each([
      ['a draft', []],
      ['an already closed call', [published, closed]],
      ['a cancelled call', [published, cancelled]],
    ])('cannot close %s', (_case, events) => {
      given(callDecider, [drafted(), ...events]).when(close(afterDeadline)).thenThrows(InvalidStateTransition);
    });
  });

  describe('CancelCall', () => {
    it.each([
      ['draft', []],
      ['published', [published]],
      ['closed without awards', [published, closed]],
    ])('cancels a %s call with a reason', (_status, events) => {
      given(callDecider, [drafted(), ...events]).when(cancel()).then([cancelled]);
    });

    it.each(['', ' \t'])('requires a reason (%j)', (reason) => {
      given(callDecider, [drafted(), published]).when(cancel(reason)).thenThrows(ReasonRequired);
    });

    it('cannot cancel a call that does not exist', () => {
      given(callDecider).when(cancel()).thenThrows(StreamNotFound);
    });

    it('refuses to cancel twice', () => {
      given(callDecider, [drafted(), cancelled]).when(cancel()).thenThrows(InvalidStateTransition);
    });

    it('refuses to cancel while funds are committed', () => {
      const error = given(callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
        .when(cancel())
        .thenThrows(CallHasCommittedFunds);
      expect(error.committedMinor).toBe(10_000_000);
    });

    it('cancels once every committed euro has been released', () => {
      given(callDecider, [
        drafted(),
        published,
        closed,
        committed(grantA, proposalA, 10_000_000),
        released(grantA, 10_000_000),
      ])
        .when(cancel())
        .then([cancelled]);
    });
  });

  describe('CommitFunds', () => {
    it('commits funds for a grant on a closed call', () => {
      given(callDecider, [drafted(), published, closed])
        .when(commit(grantA, proposalA, 10_000_000))
        .then([committed(grantA, proposalA, 10_000_000)]);
    });

    it('commits funds for a grant on a published call', () => {
      given(callDecider, [drafted(), published])
        .when(commit(grantA, proposalA, 10_000_000))
        .then([committed(grantA, proposalA, 10_000_000)]);
    });

    it('is idempotent: committing again for the same grant, proposal and amount produces nothing', () => {
      given(callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
        .when(commit(grantA, proposalA, 10_000_000))
        .then([]);
    });

    it('refuses a different amount for a grant that already has a commitment', () => {
      given(callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
        .when(commit(grantA, proposalA, 12_000_000))
        .thenThrows(ConflictingCommitment);
    });

    it('refuses to fund the same proposal under a second grant', () => {
      given(callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
        .when(commit(grantB, proposalA, 10_000_000))
        .thenThrows(ConflictingCommitment);
    });

    it('cannot commit funds on a call that does not exist', () => {
      given(callDecider).when(commit(grantA, proposalA, 10_000_000)).thenThrows(StreamNotFound);
    });

    it.each([
      ['draft', []],
      ['cancelled', [published, cancelled]],
    ])('commits only on a published or closed call, not a %s one', (_status, events) => {
      given(callDecider, [drafted(), ...events])
        .when(commit(grantA, proposalA, 10_000_000))
        .thenThrows(InvalidStateTransition);
    });

    it.each([0, -5_000_000, 10_000_000.5])('requires a positive integer amount (%p)', (amountMinor) => {
      given(callDecider, [drafted(), published, closed])
        .when(commit(grantA, proposalA, amountMinor))
        .thenThrows(InvalidAmount);
    });

    it.each([4_999_999, 25_000_001])('keeps an award within the call minimum and maximum (%p)', (amountMinor) => {
      given(callDecider, [drafted(), published, closed])
        .when(commit(grantA, proposalA, amountMinor))
        .thenThrows(AwardOutsideRange);
    });

    it.each([5_000_000, 25_000_000])('accepts an award exactly at the limit of the range (%p)', (amountMinor) => {
      given(callDecider, [drafted(), published, closed])
        .when(commit(grantA, proposalA, amountMinor))
        .then([committed(grantA, proposalA, amountMinor)]);
    });

    describe('budget invariant', () => {
      const smallCall = [drafted({ budgetMinor: 40_000_000 }), published, closed];

      it('never commits more than the budget', () => {
        const error = given(callDecider, [...smallCall, committed(grantA, proposalA, 25_000_000)])
          .when(commit(grantB, proposalB, 15_000_001))
          .thenThrows(BudgetExceeded);
        expect(error).toMatchObject({
          rule: 'call.budget.exceeded',
          budgetMinor: 40_000_000,
          committedMinor: 25_000_000,
          requestedMinor: 15_000_001,
        });
      });

      it('commits up to exactly the budget', () => {
        given(callDecider, [...smallCall, committed(grantA, proposalA, 25_000_000)])
          .when(commit(grantB, proposalB, 15_000_000))
          .then([committed(grantB, proposalB, 15_000_000)]);
      });

      it('makes released funds available again', () => {
        given(callDecider, [...smallCall, committed(grantA, proposalA, 25_000_000), released(grantA, 5_000_000)])
          .when(commit(grantB, proposalB, 20_000_000))
          .then([committed(grantB, proposalB, 20_000_000)]);
      });
    });
  });

  describe('ReleaseFunds', () => {
    const withCommitment = [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)];

    it('releases part of a grant commitment', () => {
      given(callDecider, withCommitment).when(release(grantA, 2_500_000)).then([released(grantA, 2_500_000)]);
    });

    it('releases what is left after an earlier release', () => {
      given(callDecider, [...withCommitment, released(grantA, 2_500_000)])
        .when(release(grantA, 7_500_000))
        .then([released(grantA, 7_500_000)]);
    });

    it('releases only for an existing commitment', () => {
      given(callDecider, withCommitment).when(release(grantB, 1_000_000)).thenThrows(CommitmentNotFound);
    });

    it('cannot release funds on a call that does not exist', () => {
      given(callDecider).when(release(grantA, 1_000_000)).thenThrows(StreamNotFound);
    });

    it('never releases more than the grant has committed', () => {
      given(callDecider, withCommitment).when(release(grantA, 10_000_001)).thenThrows(ReleaseExceedsCommitment);
    });

    it('never releases more than the grant still has committed after earlier releases', () => {
      given(callDecider, [...withCommitment, released(grantA, 2_500_000)])
        .when(release(grantA, 7_500_001))
        .thenThrows(ReleaseExceedsCommitment);
    });

    it.each([0, -1, 0.5])('requires a positive integer amount (%p)', (amountMinor) => {
      given(callDecider, withCommitment).when(release(grantA, amountMinor)).thenThrows(InvalidAmount);
    });

    it('requires a reason', () => {
      given(callDecider, withCommitment).when(release(grantA, 1_000_000, ' ')).thenThrows(ReasonRequired);
    });
  });

  describe('AdjustCommitment', () => {
    const smallCall = [drafted({ budgetMinor: 40_000_000 }), published, closed];
    const withCommitments = [...smallCall, committed(grantA, proposalA, 10_000_000), committed(grantB, proposalB, 25_000_000)];

    it('raises a commitment while the budget covers it', () => {
      given(callDecider, withCommitments)
        .when(adjust(grantA, 'amendment-1', 5_000_000))
        .then([adjusted(grantA, 'amendment-1', 5_000_000, 15_000_000)]);
    });

    it('never raises a commitment beyond the budget', () => {
      const error = given(callDecider, withCommitments).when(adjust(grantA, 'amendment-1', 5_000_001)).thenThrows(BudgetExceeded);
      expect(error).toMatchObject({ budgetMinor: 40_000_000, committedMinor: 35_000_000, requestedMinor: 5_000_001 });
    });

    it('lowers a commitment, giving the difference back to the budget', () => {
      given(callDecider, withCommitments)
        .when(adjust(grantB, 'amendment-2', -5_000_000))
        .then([adjusted(grantB, 'amendment-2', -5_000_000, 20_000_000)]);
    });

    it('never lowers a commitment below zero outstanding', () => {
      given(callDecider, [...withCommitments, released(grantA, 4_000_000)])
        .when(adjust(grantA, 'amendment-3', -6_000_001))
        .thenThrows(ReleaseExceedsCommitment);
    });

    it('is idempotent per adjustment id: the same adjustment again appends nothing', () => {
      given(callDecider, [...withCommitments, adjusted(grantA, 'amendment-1', 5_000_000, 15_000_000)])
        .when(adjust(grantA, 'amendment-1', 5_000_000))
        .then([]);
    });

    it('accepts a compensating adjustment under its own id', () => {
      given(callDecider, [...withCommitments, adjusted(grantA, 'amendment-1', 5_000_000, 15_000_000)])
        .when(adjust(grantA, 'amendment-1:reverted', -5_000_000))
        .then([adjusted(grantA, 'amendment-1:reverted', -5_000_000, 10_000_000)]);
    });

    it('adjusts only an existing commitment', () => {
      given(callDecider, smallCall).when(adjust(grantA, 'amendment-1', 1_000_000)).thenThrows(CommitmentNotFound);
    });

    it.each([0, 0.5, Number.NaN])('requires a non-zero integer change (%p)', (changeMinor) => {
      given(callDecider, withCommitments).when(adjust(grantA, 'amendment-1', changeMinor)).thenThrows(InvalidCommitmentAdjustment);
    });

    it('requires a reason', () => {
      given(callDecider, withCommitments).when(adjust(grantA, 'amendment-1', 1_000_000, ' ')).thenThrows(ReasonRequired);
    });

    it('makes freed funds available to new awards and counts raised ones against the budget', () => {
      given(callDecider, [...withCommitments, adjusted(grantB, 'amendment-2', -5_000_000, 20_000_000)])
        .when(commit(grantC, proposalC, 10_000_000))
        .then([committed(grantC, proposalC, 10_000_000)]);
      given(callDecider, [...withCommitments, adjusted(grantA, 'amendment-1', 5_000_000, 15_000_000)])
        .when(commit(grantC, proposalC, 5_000_000))
        .thenThrows(BudgetExceeded);
    });

    it('tracks the adjusted commitment and the total', () => {
      given(callDecider, [...withCommitments, adjusted(grantA, 'amendment-1', 5_000_000, 15_000_000)]).thenState({
        ...draftedState,
        terms: { ...draftedState.terms, budgetMinor: 40_000_000 },
        status: 'closed',
        committedMinor: 40_000_000,
        commitments: {
          [grantA]: { proposalId: proposalA, amountMinor: 15_000_000, releasedMinor: 0, adjustmentIds: ['amendment-1'] },
          [grantB]: { proposalId: proposalB, amountMinor: 25_000_000, releasedMinor: 0 },
        },
      });
    });
  });

  describe('evolve', () => {
    it('starts from a call that does not exist', () => {
      given(callDecider, []).thenState({ status: 'none' });
    });

    it('holds the drafted terms and deadline', () => {
      given(callDecider, [drafted()]).thenState(draftedState);
    });

    it('ignores events of a call that was never drafted', () => {
      given(callDecider, [published]).thenState({ status: 'none' });
    });

    it('follows the lifecycle: published, extended, closed', () => {
      given(callDecider, [drafted(), published]).thenState({ ...draftedState, status: 'published' });
      given(callDecider, [drafted(), published, extendedTo(laterDeadline)]).thenState({
        ...draftedState,
        status: 'published',
        closesAt: laterDeadline,
      });
      given(callDecider, [drafted(), published, extendedTo(laterDeadline), closed]).thenState({
        ...draftedState,
        status: 'closed',
        closesAt: laterDeadline,
      });
    });

    it('becomes cancelled', () => {
      given(callDecider, [drafted(), cancelled]).thenState({ ...draftedState, status: 'cancelled' });
    });

    it('tracks commitments per grant and the total still committed', () => {
      given(callDecider, [
        drafted(),
        published,
        closed,
        committed(grantA, proposalA, 10_000_000),
        committed(grantB, proposalB, 20_000_000),
        released(grantA, 4_000_000),
      ]).thenState({
        ...draftedState,
        status: 'closed',
        committedMinor: 26_000_000,
        commitments: {
          [grantA]: { proposalId: proposalA, amountMinor: 10_000_000, releasedMinor: 4_000_000 },
          [grantB]: { proposalId: proposalB, amountMinor: 20_000_000, releasedMinor: 0 },
        },
      });
    });
  });

  describe('many commitments', () => {
    // Enough grants that the fold's commitment book merges its recent changes into its base several times.
    const grantIds = Array.from({ length: 300 }, (_, i) => `grant-${String(i).padStart(3, '0')}`);
    const proposalOf = (grantId: string) => `proposal-of-${grantId}`;
    const history: CallEvent[] = [
      drafted({ budgetMinor: 10_000_000_000, maxAwardMinor: 100_000_000 }),
      published,
      ...grantIds.flatMap((grantId, i) => [
        committed(grantId, proposalOf(grantId), 10_000_000),
        ...(i % 3 === 0 ? [released(grantId, 1_000_000)] : []),
        ...(i % 5 === 0 ? [adjusted(grantId, `amendment-${i}`, 2_000_000, 12_000_000)] : []),
      ]),
      released(grantIds[0], 500_000),
    ];
    const expectedCommitments = Object.fromEntries(
      grantIds.map((grantId, i) => [
        grantId,
        {
          proposalId: proposalOf(grantId),
          amountMinor: i % 5 === 0 ? 12_000_000 : 10_000_000,
          releasedMinor: (i % 3 === 0 ? 1_000_000 : 0) + (i === 0 ? 500_000 : 0),
          ...(i % 5 === 0 ? { adjustmentIds: [`amendment-${i}`] } : {}),
        },
      ]),
    );
    const fold = (events: CallEvent[]): CallState => events.reduce(callDecider.evolve, callDecider.initialState);

    it('tracks every grant across a long stream, in the order they were committed', () => {
      const call = fold(history) as ExistingCall;
      expect(call.commitments).toEqual(expectedCommitments);
      expect(Object.keys(call.commitments)).toEqual(grantIds);
      const outstanding = Object.values(expectedCommitments).reduce((sum, c) => sum + c.amountMinor - c.releasedMinor, 0);
      expect(call.committedMinor).toBe(outstanding);
    });

    it('leaves every earlier state as it was (evolve is pure)', () => {
      const states: CallState[] = [callDecider.initialState];
      const whenMade: string[] = [JSON.stringify(callDecider.initialState)];
      for (const event of history) {
        states.push(callDecider.evolve(states[states.length - 1], event));
        whenMade.push(JSON.stringify(states[states.length - 1]));
      }
      expect(states.map((state) => JSON.stringify(state))).toEqual(whenMade);
      // Folding on from a middle state again yields the same end state, and leaves the middle state alone.
      const middle = 200;
      const before = JSON.stringify(states[middle]);
      expect(history.slice(middle).reduce(callDecider.evolve, states[middle])).toEqual(states[states.length - 1]);
      expect(JSON.stringify(states[middle])).toBe(before);
      expect((states[middle] as ExistingCall).commitments[grantIds[299]]).toBeUndefined();
    });

    describe('evolveAll (a long fold changes its own copy of the book in place)', () => {
      const evolveAll = callDecider.evolveAll as NonNullable<typeof callDecider.evolveAll>;
      const snapshot = (state: CallState) => JSON.stringify(state);

      it('gives the state evolve per event gives, from the start and from a state in the middle', () => {
        expect(evolveAll(callDecider.initialState, history)).toEqual(fold(history));
        expect(Object.keys((evolveAll(callDecider.initialState, history) as ExistingCall).commitments)).toEqual(grantIds);
        const middle = fold(history.slice(0, 150));
        expect(evolveAll(middle, history.slice(150))).toEqual(fold(history));
        // Short folds take evolve per event; the answer is the same.
        expect(evolveAll(middle, history.slice(150, 160))).toEqual(fold(history.slice(0, 160)));
      });

      it('leaves the state it started from, and every state it returned, as they were', () => {
        const middle = fold(history.slice(0, 150));
        const before = snapshot(middle);
        const first = evolveAll(middle, history.slice(150, 300));
        const firstBefore = snapshot(first);
        // Two folds on from the same returned state, and evolve per event on from it: none changes it or the other.
        const on = evolveAll(first, history.slice(300));
        const again = evolveAll(first, history.slice(300));
        const stepped = history.slice(300).reduce(callDecider.evolve, first);
        expect(snapshot(middle)).toBe(before);
        expect(snapshot(first)).toBe(firstBefore);
        expect(on).toEqual(fold(history));
        expect(again).toEqual(on);
        expect(stepped).toEqual(on);
        expect((first as ExistingCall).commitments[grantIds[299]]).toBeUndefined();
      });

      it('decides on the state it returns as on the state evolve gives', () => {
        const state = evolveAll(callDecider.initialState, history);
        expect(() => callDecider.decide(commit('grant-new', proposalOf(grantIds[7]), 10_000_000), state)).toThrow(ConflictingCommitment);
        expect(callDecider.decide(commit(grantIds[151], proposalOf(grantIds[151]), 10_000_000), state)).toEqual([]);
        expect(() => callDecider.decide(release(grantIds[3], 9_000_001), state)).toThrow(ReleaseExceedsCommitment);
      });
    });

    it('decides on commitments deep in a long stream', () => {
      given(callDecider, history).when(commit(grantIds[151], proposalOf(grantIds[151]), 10_000_000)).then([]);
      given(callDecider, history).when(commit('grant-new', proposalOf(grantIds[7]), 10_000_000)).thenThrows(ConflictingCommitment);
      given(callDecider, history).when(release(grantIds[3], 9_000_001)).thenThrows(ReleaseExceedsCommitment);
      given(callDecider, history).when(adjust(grantIds[5], 'amendment-5', 1)).then([]);
      given(callDecider, history).when(release('grant-unknown', 1)).thenThrows(CommitmentNotFound);
    });

    it('reads commitments of a state built outside the fold', () => {
      const state: ExistingCall = {
        ...(fold(history.slice(0, 2)) as ExistingCall),
        commitments: { [grantA]: { proposalId: proposalA, amountMinor: 10_000_000, releasedMinor: 0 } },
      };
      expect(callDecider.evolve(state, released(grantA, 1_000_000))).toEqual({
        ...state,
        committedMinor: -1_000_000,
        commitments: { [grantA]: { proposalId: proposalA, amountMinor: 10_000_000, releasedMinor: 1_000_000 } },
      });
    });
  });

  describe('callIsOpenForSubmissions', () => {
    const state = (events: CallEvent[]): CallState => events.reduce(callDecider.evolve, callDecider.initialState);

    it('is open from opensAt to closesAt inclusive while published', () => {
      const call = state([drafted(), published]);
      expect([opensAt, duringWindow, closesAt].map((now) => callIsOpenForSubmissions(call, now))).toEqual([
        true,
        true,
        true,
      ]);
    });

    it('is closed before the window opens and after the deadline', () => {
      const call = state([drafted(), published]);
      expect(callIsOpenForSubmissions(call, beforeOpening)).toBe(false);
      expect(callIsOpenForSubmissions(call, '2026-05-01T00:00:00.000Z')).toBe(false);
    });

    it('follows an extended deadline', () => {
      expect(callIsOpenForSubmissions(state([drafted(), published, extendedTo(laterDeadline)]), afterDeadline)).toBe(true);
    });

    it('is closed unless published', () => {
      expect(callIsOpenForSubmissions(state([]), duringWindow)).toBe(false);
      expect(callIsOpenForSubmissions(state([drafted()]), duringWindow)).toBe(false);
      expect(callIsOpenForSubmissions(state([drafted(), published, closed]), duringWindow)).toBe(false);
      expect(callIsOpenForSubmissions(state([drafted(), published, cancelled]), duringWindow)).toBe(false);
    });
  });

  describe('event catalogue', () => {
    it('lists every event type with schema version 1', () => {
      expect(CALL_EVENT_TYPES).toEqual([
        'CallDrafted',
        'CallPublished',
        'CallDeadlineExtended',
        'CallClosed',
        'CallCancelled',
        'FundsCommitted',
        'FundsReleased',
        'CommitmentAdjusted',
      ]);
      expect(CALL_EVENT_TYPES.map((type) => callEventSchemaVersions[type])).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    });

    it('knows the officially assigned ISO 3166-1 alpha-2 codes', () => {
      expect(ISO_3166_ALPHA_2_COUNT).toBe(249);
      expect(['LB', 'PS', 'MA', 'TN'].every(isIso3166Alpha2)).toBe(true);
    });
  });
});
