"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const decider_1 = require("../shared/decider");
const testing_1 = require("../shared/testing");
const call_decider_1 = require("./call.decider");
const call_errors_1 = require("./call.errors");
const call_events_1 = require("./call.events");
const iso_3166_1 = require("./iso-3166");
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
const criteria = [
    { id: 'relevance', name: 'Relevance to the policy issue', description: 'Does the network address the issue?', weight: 40, maxScore: 5 },
    { id: 'network', name: 'Strength of the network', weight: 30, maxScore: 5 },
    { id: 'feasibility', name: 'Feasibility and budget', weight: 30, maxScore: 5 },
];
const terms = {
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
function draft(overrides = {}) {
    return { type: 'DraftCall', data: { ...terms, ...overrides }, now: draftedAt };
}
function drafted(overrides = {}) {
    return { type: 'CallDrafted', data: { ...terms, ...overrides, draftedAt } };
}
const published = { type: 'CallPublished', data: { callId, publishedAt: beforeOpening } };
const closed = { type: 'CallClosed', data: { callId, closedAt: afterDeadline } };
const cancelled = {
    type: 'CallCancelled',
    data: { callId, reason: 'Programme funding withdrawn', cancelledAt: duringWindow },
};
const extendedTo = (newClosesAt, previousClosesAt = closesAt) => ({
    type: 'CallDeadlineExtended',
    data: { callId, previousClosesAt, newClosesAt, reason: 'Internet shutdown in the region', extendedAt: duringWindow },
});
const committed = (grantId, proposalId, amountMinor) => ({
    type: 'FundsCommitted',
    data: { callId, grantId, proposalId, amountMinor, committedAt: afterDeadline },
});
const released = (grantId, amountMinor) => ({
    type: 'FundsReleased',
    data: { callId, grantId, amountMinor, reason: 'Unspent at grant closure', releasedAt: afterDeadline },
});
const publish = (now = beforeOpening) => ({ type: 'PublishCall', data: { callId }, now });
const extend = (newClosesAt, reason = 'Internet shutdown in the region', now = duringWindow) => ({
    type: 'ExtendCallDeadline',
    data: { callId, newClosesAt, reason },
    now,
});
const close = (now, reason) => ({
    type: 'CloseCall',
    data: reason === undefined ? { callId } : { callId, reason },
    now,
});
const cancel = (reason = 'Programme funding withdrawn', now = duringWindow) => ({
    type: 'CancelCall',
    data: { callId, reason },
    now,
});
const commit = (grantId, proposalId, amountMinor) => ({
    type: 'CommitFunds',
    data: { callId, grantId, proposalId, amountMinor },
    now: afterDeadline,
});
const release = (grantId, amountMinor, reason = 'Unspent at grant closure') => ({
    type: 'ReleaseFunds',
    data: { callId, grantId, amountMinor, reason },
    now: afterDeadline,
});
const draftedState = {
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
            (0, testing_1.given)(call_decider_1.callDecider).when(draft()).then([drafted()]);
        });
        it('stores programme and title without surrounding whitespace', () => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ programme: `  ${terms.programme} `, title: ` ${terms.title}\n` }))
                .then([drafted()]);
        });
        it('refuses to draft a call that already exists', () => {
            const error = (0, testing_1.given)(call_decider_1.callDecider, [drafted()]).when(draft()).thenThrows(decider_1.AlreadyExists);
            expect(error.streamId).toBe((0, call_events_1.callStreamName)(callId));
        });
        it.each([
            ['programme', { programme: '  ' }],
            ['title', { title: '' }],
        ])('requires a %s', (_field, overrides) => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft(overrides)).thenThrows(call_errors_1.MissingCallDetails);
        });
        it.each(['eur', 'EURO', 'E1R', ''])('rejects currency %j that is not an ISO 4217 code', (currency) => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ currency })).thenThrows(call_errors_1.InvalidCurrency);
        });
        it.each([0, -100, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])('rejects a budget that is not a positive integer of minor units (%p)', (budgetMinor) => {
            const error = (0, testing_1.given)(call_decider_1.callDecider).when(draft({ budgetMinor })).thenThrows(call_errors_1.InvalidBudget);
            expect(error.rule).toBe('call.budget.invalid');
        });
        it.each([
            ['a zero minimum award', { minAwardMinor: 0 }],
            ['a fractional minimum award', { minAwardMinor: 4_999_999.5 }],
            ['a fractional maximum award', { maxAwardMinor: 25_000_000.25 }],
        ])('rejects award limits that are not positive integers: %s', (_case, overrides) => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft(overrides)).thenThrows(call_errors_1.InvalidAwardRange);
        });
        it('rejects a minimum award above the maximum award', () => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ minAwardMinor: 30_000_000, maxAwardMinor: 25_000_000 }))
                .thenThrows(call_errors_1.InvalidAwardRange);
        });
        it('rejects a maximum award above the budget', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ maxAwardMinor: 150_000_001 })).thenThrows(call_errors_1.InvalidAwardRange);
        });
        it('accepts minimum award = maximum award = budget (one single grant)', () => {
            const single = { minAwardMinor: 150_000_000, maxAwardMinor: 150_000_000 };
            (0, testing_1.given)(call_decider_1.callDecider).when(draft(single)).then([drafted(single)]);
        });
        it('requires at least one eligible country', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ eligibleCountries: [] })).thenThrows(call_errors_1.InvalidEligibleCountries);
        });
        it.each(['lb', 'LBN', 'XX', 'UK', ''])('rejects eligible country %j that is not an ISO 3166-1 alpha-2 code', (code) => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ eligibleCountries: ['LB', code] }))
                .thenThrows(call_errors_1.InvalidEligibleCountries);
        });
        it('rejects duplicate eligible countries', () => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ eligibleCountries: ['LB', 'PS', 'LB'] }))
                .thenThrows(call_errors_1.InvalidEligibleCountries);
        });
        it.each([0, -1, 2.5])('rejects a minimum number of partners that is not an integer >= 1 (%p)', (minPartners) => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ minPartners })).thenThrows(call_errors_1.InvalidMinPartners);
        });
        it('accepts a minimum of one organisation per network (the lead alone, since the lead counts)', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ minPartners: 1 })).then([drafted({ minPartners: 1 })]);
        });
        it('requires at least one scoring criterion', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ criteria: [] })).thenThrows(call_errors_1.InvalidScoringCriteria);
        });
        it('rejects duplicate criterion ids', () => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ criteria: [{ ...criteria[0], weight: 50 }, { ...criteria[0], name: 'Other', weight: 50 }] }))
                .thenThrows(call_errors_1.InvalidScoringCriteria);
        });
        it.each([
            ['a blank id', { id: ' ' }],
            ['a blank name', { name: '' }],
            ['a zero max score', { maxScore: 0 }],
            ['a fractional max score', { maxScore: 4.5 }],
        ])('rejects a criterion with %s', (_case, overrides) => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ criteria: [{ ...criteria[0], ...overrides }, criteria[1], criteria[2]] }))
                .thenThrows(call_errors_1.InvalidScoringCriteria);
        });
        it.each([
            ['zero', [0, 50, 50]],
            ['negative', [-10, 60, 50]],
            ['fractional', [40.5, 29.5, 30]],
        ])('rejects criterion weights that are not positive integers (%s)', (_case, weights) => {
            const weighted = criteria.map((criterion, index) => ({ ...criterion, weight: weights[index] }));
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ criteria: weighted })).thenThrows(call_errors_1.InvalidCriteriaWeights);
        });
        it.each([
            [99, [40, 30, 29]],
            [101, [40, 30, 31]],
        ])('rejects criterion weights that do not sum to 100 (sum %p)', (_sum, weights) => {
            const weighted = criteria.map((criterion, index) => ({ ...criterion, weight: weights[index] }));
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ criteria: weighted })).thenThrows(call_errors_1.InvalidCriteriaWeights);
        });
        it('accepts a single criterion weighing 100', () => {
            const single = [{ id: 'overall', name: 'Overall quality', weight: 100, maxScore: 10 }];
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ criteria: single })).then([drafted({ criteria: single })]);
        });
        it.each([0, -2, 1.5])('rejects a number of required reviews that is not an integer >= 1 (%p)', (reviewsRequired) => {
            (0, testing_1.given)(call_decider_1.callDecider).when(draft({ reviewsRequired })).thenThrows(call_errors_1.InvalidReviewsRequired);
        });
        it.each(['2026-04-30', '30/04/2026 23:59', '2026-04-30T23:59:59', 'soon', '2026-13-01T00:00:00Z'])('rejects a deadline %j that is not an ISO 8601 date-time with offset', (value) => {
            const error = (0, testing_1.given)(call_decider_1.callDecider).when(draft({ closesAt: value })).thenThrows(call_errors_1.InvalidTimestamp);
            expect(error.field).toBe('closesAt');
        });
        it('rejects a submission window that closes before it opens', () => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ opensAt: closesAt, closesAt: opensAt }))
                .thenThrows(call_errors_1.InvalidSubmissionWindow);
        });
        it('rejects a submission window that closes the moment it opens', () => {
            (0, testing_1.given)(call_decider_1.callDecider)
                .when(draft({ opensAt, closesAt: '2026-02-01T01:00:00+01:00' }))
                .thenThrows(call_errors_1.InvalidSubmissionWindow);
        });
    });
    describe('PublishCall', () => {
        it('publishes a draft', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted()]).when(publish()).then([published]);
        });
        it('publishes while the window is already open, as long as the deadline is ahead', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted()])
                .when(publish(duringWindow))
                .then([{ type: 'CallPublished', data: { callId, publishedAt: duringWindow } }]);
        });
        it('cannot publish a call that does not exist', () => {
            const error = (0, testing_1.given)(call_decider_1.callDecider).when(publish()).thenThrows(decider_1.StreamNotFound);
            expect(error.streamId).toBe(`call-${callId}`);
        });
        it.each([
            ['published', [published]],
            ['closed', [published, closed]],
            ['cancelled', [cancelled]],
        ])('refuses to publish a call that is already %s', (_status, events) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), ...events]).when(publish()).thenThrows(decider_1.InvalidStateTransition);
        });
        it.each([closesAt, afterDeadline])('requires the deadline to still be in the future (now %s)', (now) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted()]).when(publish(now)).thenThrows(call_errors_1.DeadlinePassed);
        });
    });
    describe('ExtendCallDeadline', () => {
        it('extends the deadline of a published call', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(extend(laterDeadline)).then([extendedTo(laterDeadline)]);
        });
        it('extends from the current, already extended deadline', () => {
            const evenLater = '2026-06-15T23:59:59.000Z';
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, extendedTo(laterDeadline)])
                .when(extend(evenLater))
                .then([extendedTo(evenLater, laterDeadline)]);
        });
        it('cannot extend a call that does not exist', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(extend(laterDeadline)).thenThrows(decider_1.StreamNotFound);
        });
        it.each([
            ['draft', []],
            ['closed', [published, closed]],
            ['cancelled', [published, cancelled]],
        ])('extends only while published, not when %s', (_status, events) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), ...events]).when(extend(laterDeadline)).thenThrows(decider_1.InvalidStateTransition);
        });
        it.each([
            ['the same instant', closesAt],
            ['the same instant in another offset', '2026-05-01T01:59:59.000+02:00'],
            ['an earlier date', '2026-04-15T23:59:59.000Z'],
        ])('requires a date later than the current deadline, not %s', (_case, newClosesAt) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(extend(newClosesAt)).thenThrows(call_errors_1.DeadlineNotLater);
        });
        it('requires a date later than an already extended deadline', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, extendedTo(laterDeadline)])
                .when(extend('2026-05-15T23:59:59.000Z'))
                .thenThrows(call_errors_1.DeadlineNotLater);
        });
        it.each(['', '   '])('requires a reason (%j)', (reason) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(extend(laterDeadline, reason)).thenThrows(call_errors_1.ReasonRequired);
        });
        it('refuses to reopen a call whose deadline has already passed', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published])
                .when(extend(laterDeadline, 'Late applicants asked', afterDeadline))
                .thenThrows(call_errors_1.DeadlinePassed);
        });
        it('rejects a new deadline that is not an ISO 8601 date-time', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(extend('next month')).thenThrows(call_errors_1.InvalidTimestamp);
        });
    });
    describe('CloseCall', () => {
        it('closes a call after its deadline without a reason', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(close(afterDeadline)).then([closed]);
        });
        it('closes a call exactly at its deadline without a reason', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published])
                .when(close(closesAt))
                .then([{ type: 'CallClosed', data: { callId, closedAt: closesAt } }]);
        });
        it('keeps an optional reason given after the deadline', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published])
                .when(close(afterDeadline, 'Window over'))
                .then([{ type: 'CallClosed', data: { callId, closedAt: afterDeadline, reason: 'Window over' } }]);
        });
        it('closes a call before its deadline when given a reason', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published])
                .when(close(duringWindow, 'Budget oversubscribed'))
                .then([{ type: 'CallClosed', data: { callId, closedAt: duringWindow, reason: 'Budget oversubscribed' } }]);
        });
        it.each([undefined, '', '  '])('requires a reason to close before the deadline (%j)', (reason) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(close(duringWindow, reason)).thenThrows(call_errors_1.ReasonRequired);
        });
        it('requires a reason to close before an extended deadline, even after the original one', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, extendedTo(laterDeadline)])
                .when(close(afterDeadline))
                .thenThrows(call_errors_1.ReasonRequired);
        });
        it('cannot close a call that does not exist', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(close(afterDeadline)).thenThrows(decider_1.StreamNotFound);
        });
        it.each([
            ['a draft', []],
            ['an already closed call', [published, closed]],
            ['a cancelled call', [published, cancelled]],
        ])('cannot close %s', (_case, events) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), ...events]).when(close(afterDeadline)).thenThrows(decider_1.InvalidStateTransition);
        });
    });
    describe('CancelCall', () => {
        it.each([
            ['draft', []],
            ['published', [published]],
            ['closed without awards', [published, closed]],
        ])('cancels a %s call with a reason', (_status, events) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), ...events]).when(cancel()).then([cancelled]);
        });
        it.each(['', ' \t'])('requires a reason (%j)', (reason) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).when(cancel(reason)).thenThrows(call_errors_1.ReasonRequired);
        });
        it('cannot cancel a call that does not exist', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(cancel()).thenThrows(decider_1.StreamNotFound);
        });
        it('refuses to cancel twice', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), cancelled]).when(cancel()).thenThrows(decider_1.InvalidStateTransition);
        });
        it('refuses to cancel while funds are committed', () => {
            const error = (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
                .when(cancel())
                .thenThrows(call_errors_1.CallHasCommittedFunds);
            expect(error.committedMinor).toBe(10_000_000);
        });
        it('cancels once every committed euro has been released', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [
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
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed])
                .when(commit(grantA, proposalA, 10_000_000))
                .then([committed(grantA, proposalA, 10_000_000)]);
        });
        it('commits funds for a grant on a published call', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published])
                .when(commit(grantA, proposalA, 10_000_000))
                .then([committed(grantA, proposalA, 10_000_000)]);
        });
        it('is idempotent: committing again for the same grant, proposal and amount produces nothing', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
                .when(commit(grantA, proposalA, 10_000_000))
                .then([]);
        });
        it('refuses a different amount for a grant that already has a commitment', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
                .when(commit(grantA, proposalA, 12_000_000))
                .thenThrows(call_errors_1.ConflictingCommitment);
        });
        it('refuses to fund the same proposal under a second grant', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)])
                .when(commit(grantB, proposalA, 10_000_000))
                .thenThrows(call_errors_1.ConflictingCommitment);
        });
        it('cannot commit funds on a call that does not exist', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(commit(grantA, proposalA, 10_000_000)).thenThrows(decider_1.StreamNotFound);
        });
        it.each([
            ['draft', []],
            ['cancelled', [published, cancelled]],
        ])('commits only on a published or closed call, not a %s one', (_status, events) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), ...events])
                .when(commit(grantA, proposalA, 10_000_000))
                .thenThrows(decider_1.InvalidStateTransition);
        });
        it.each([0, -5_000_000, 10_000_000.5])('requires a positive integer amount (%p)', (amountMinor) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed])
                .when(commit(grantA, proposalA, amountMinor))
                .thenThrows(call_errors_1.InvalidAmount);
        });
        it.each([4_999_999, 25_000_001])('keeps an award within the call minimum and maximum (%p)', (amountMinor) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed])
                .when(commit(grantA, proposalA, amountMinor))
                .thenThrows(call_errors_1.AwardOutsideRange);
        });
        it.each([5_000_000, 25_000_000])('accepts an award exactly at the limit of the range (%p)', (amountMinor) => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, closed])
                .when(commit(grantA, proposalA, amountMinor))
                .then([committed(grantA, proposalA, amountMinor)]);
        });
        describe('budget invariant', () => {
            const smallCall = [drafted({ budgetMinor: 40_000_000 }), published, closed];
            it('never commits more than the budget', () => {
                const error = (0, testing_1.given)(call_decider_1.callDecider, [...smallCall, committed(grantA, proposalA, 25_000_000)])
                    .when(commit(grantB, proposalB, 15_000_001))
                    .thenThrows(call_errors_1.BudgetExceeded);
                expect(error).toMatchObject({
                    rule: 'call.budget.exceeded',
                    budgetMinor: 40_000_000,
                    committedMinor: 25_000_000,
                    requestedMinor: 15_000_001,
                });
            });
            it('commits up to exactly the budget', () => {
                (0, testing_1.given)(call_decider_1.callDecider, [...smallCall, committed(grantA, proposalA, 25_000_000)])
                    .when(commit(grantB, proposalB, 15_000_000))
                    .then([committed(grantB, proposalB, 15_000_000)]);
            });
            it('makes released funds available again', () => {
                (0, testing_1.given)(call_decider_1.callDecider, [...smallCall, committed(grantA, proposalA, 25_000_000), released(grantA, 5_000_000)])
                    .when(commit(grantB, proposalB, 20_000_000))
                    .then([committed(grantB, proposalB, 20_000_000)]);
            });
        });
    });
    describe('ReleaseFunds', () => {
        const withCommitment = [drafted(), published, closed, committed(grantA, proposalA, 10_000_000)];
        it('releases part of a grant commitment', () => {
            (0, testing_1.given)(call_decider_1.callDecider, withCommitment).when(release(grantA, 2_500_000)).then([released(grantA, 2_500_000)]);
        });
        it('releases what is left after an earlier release', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [...withCommitment, released(grantA, 2_500_000)])
                .when(release(grantA, 7_500_000))
                .then([released(grantA, 7_500_000)]);
        });
        it('releases only for an existing commitment', () => {
            (0, testing_1.given)(call_decider_1.callDecider, withCommitment).when(release(grantB, 1_000_000)).thenThrows(call_errors_1.CommitmentNotFound);
        });
        it('cannot release funds on a call that does not exist', () => {
            (0, testing_1.given)(call_decider_1.callDecider).when(release(grantA, 1_000_000)).thenThrows(decider_1.StreamNotFound);
        });
        it('never releases more than the grant has committed', () => {
            (0, testing_1.given)(call_decider_1.callDecider, withCommitment).when(release(grantA, 10_000_001)).thenThrows(call_errors_1.ReleaseExceedsCommitment);
        });
        it('never releases more than the grant still has committed after earlier releases', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [...withCommitment, released(grantA, 2_500_000)])
                .when(release(grantA, 7_500_001))
                .thenThrows(call_errors_1.ReleaseExceedsCommitment);
        });
        it.each([0, -1, 0.5])('requires a positive integer amount (%p)', (amountMinor) => {
            (0, testing_1.given)(call_decider_1.callDecider, withCommitment).when(release(grantA, amountMinor)).thenThrows(call_errors_1.InvalidAmount);
        });
        it('requires a reason', () => {
            (0, testing_1.given)(call_decider_1.callDecider, withCommitment).when(release(grantA, 1_000_000, ' ')).thenThrows(call_errors_1.ReasonRequired);
        });
    });
    describe('evolve', () => {
        it('starts from a call that does not exist', () => {
            (0, testing_1.given)(call_decider_1.callDecider, []).thenState({ status: 'none' });
        });
        it('holds the drafted terms and deadline', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted()]).thenState(draftedState);
        });
        it('ignores events of a call that was never drafted', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [published]).thenState({ status: 'none' });
        });
        it('follows the lifecycle: published, extended, closed', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published]).thenState({ ...draftedState, status: 'published' });
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, extendedTo(laterDeadline)]).thenState({
                ...draftedState,
                status: 'published',
                closesAt: laterDeadline,
            });
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), published, extendedTo(laterDeadline), closed]).thenState({
                ...draftedState,
                status: 'closed',
                closesAt: laterDeadline,
            });
        });
        it('becomes cancelled', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [drafted(), cancelled]).thenState({ ...draftedState, status: 'cancelled' });
        });
        it('tracks commitments per grant and the total still committed', () => {
            (0, testing_1.given)(call_decider_1.callDecider, [
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
    describe('callIsOpenForSubmissions', () => {
        const state = (events) => events.reduce(call_decider_1.callDecider.evolve, call_decider_1.callDecider.initialState);
        it('is open from opensAt to closesAt inclusive while published', () => {
            const call = state([drafted(), published]);
            expect([opensAt, duringWindow, closesAt].map((now) => (0, call_decider_1.callIsOpenForSubmissions)(call, now))).toEqual([
                true,
                true,
                true,
            ]);
        });
        it('is closed before the window opens and after the deadline', () => {
            const call = state([drafted(), published]);
            expect((0, call_decider_1.callIsOpenForSubmissions)(call, beforeOpening)).toBe(false);
            expect((0, call_decider_1.callIsOpenForSubmissions)(call, '2026-05-01T00:00:00.000Z')).toBe(false);
        });
        it('follows an extended deadline', () => {
            expect((0, call_decider_1.callIsOpenForSubmissions)(state([drafted(), published, extendedTo(laterDeadline)]), afterDeadline)).toBe(true);
        });
        it('is closed unless published', () => {
            expect((0, call_decider_1.callIsOpenForSubmissions)(state([]), duringWindow)).toBe(false);
            expect((0, call_decider_1.callIsOpenForSubmissions)(state([drafted()]), duringWindow)).toBe(false);
            expect((0, call_decider_1.callIsOpenForSubmissions)(state([drafted(), published, closed]), duringWindow)).toBe(false);
            expect((0, call_decider_1.callIsOpenForSubmissions)(state([drafted(), published, cancelled]), duringWindow)).toBe(false);
        });
    });
    describe('event catalogue', () => {
        it('lists every event type with schema version 1', () => {
            expect(call_events_1.CALL_EVENT_TYPES).toEqual([
                'CallDrafted',
                'CallPublished',
                'CallDeadlineExtended',
                'CallClosed',
                'CallCancelled',
                'FundsCommitted',
                'FundsReleased',
            ]);
            expect(call_events_1.CALL_EVENT_TYPES.map((type) => call_events_1.callEventSchemaVersions[type])).toEqual([1, 1, 1, 1, 1, 1, 1]);
        });
        it('knows the officially assigned ISO 3166-1 alpha-2 codes', () => {
            expect(iso_3166_1.ISO_3166_ALPHA_2_COUNT).toBe(249);
            expect(['LB', 'PS', 'MA', 'TN'].every(iso_3166_1.isIso3166Alpha2)).toBe(true);
        });
    });
});
//# sourceMappingURL=call.decider.spec.js.map