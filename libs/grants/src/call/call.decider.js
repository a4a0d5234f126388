"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.callDecider = exports.initialCallState = void 0;
exports.outstandingMinor = outstandingMinor;
exports.availableBudgetMinor = availableBudgetMinor;
exports.callIsOpenForSubmissions = callIsOpenForSubmissions;
exports.evolveCall = evolveCall;
exports.decideCall = decideCall;
const decider_1 = require("../shared/decider");
const money_1 = require("../shared/money");
const call_errors_1 = require("./call.errors");
const call_events_1 = require("./call.events");
const iso_3166_1 = require("./iso-3166");
exports.initialCallState = { status: 'none' };
function outstandingMinor(commitment) {
    return commitment.amountMinor - commitment.releasedMinor;
}
function availableBudgetMinor(call) {
    return call.terms.budgetMinor - call.committedMinor;
}
function callIsOpenForSubmissions(state, now) {
    if (state.status !== 'published')
        return false;
    const instant = Date.parse(now);
    return Date.parse(state.terms.opensAt) <= instant && instant <= Date.parse(state.closesAt);
}
function evolveCall(state, event) {
    if (event.type === 'CallDrafted') {
        const drafted = event.data;
        return {
            status: 'draft',
            callId: drafted.callId,
            terms: {
                programme: drafted.programme,
                title: drafted.title,
                description: drafted.description,
                currency: drafted.currency,
                budgetMinor: drafted.budgetMinor,
                minAwardMinor: drafted.minAwardMinor,
                maxAwardMinor: drafted.maxAwardMinor,
                eligibleCountries: [...drafted.eligibleCountries],
                minPartners: drafted.minPartners,
                criteria: drafted.criteria.map(copyCriterion),
                reviewsRequired: drafted.reviewsRequired,
                opensAt: drafted.opensAt,
            },
            closesAt: drafted.closesAt,
            committedMinor: 0,
            commitments: {},
        };
    }
    if (state.status === 'none')
        return state;
    switch (event.type) {
        case 'CallPublished':
            return { ...state, status: 'published' };
        case 'CallDeadlineExtended':
            return { ...state, closesAt: event.data.newClosesAt };
        case 'CallClosed':
            return { ...state, status: 'closed' };
        case 'CallCancelled':
            return { ...state, status: 'cancelled' };
        case 'FundsCommitted': {
            const { grantId, proposalId, amountMinor } = event.data;
            return {
                ...state,
                committedMinor: state.committedMinor + amountMinor,
                commitments: { ...state.commitments, [grantId]: { proposalId, amountMinor, releasedMinor: 0 } },
            };
        }
        case 'FundsReleased': {
            const { grantId, amountMinor } = event.data;
            const commitment = state.commitments[grantId];
            if (!commitment)
                return state;
            return {
                ...state,
                committedMinor: state.committedMinor - amountMinor,
                commitments: {
                    ...state.commitments,
                    [grantId]: { ...commitment, releasedMinor: commitment.releasedMinor + amountMinor },
                },
            };
        }
        default:
            return (0, decider_1.assertNever)(event);
    }
}
function decideCall(command, state) {
    if (command.type === 'DraftCall')
        return draftCall(command, state);
    if (state.status === 'none')
        throw new decider_1.StreamNotFound((0, call_events_1.callStreamName)(command.data.callId));
    switch (command.type) {
        case 'PublishCall':
            return publishCall(command, state);
        case 'ExtendCallDeadline':
            return extendDeadline(command, state);
        case 'CloseCall':
            return closeCall(command, state);
        case 'CancelCall':
            return cancelCall(command, state);
        case 'CommitFunds':
            return commitFunds(command, state);
        case 'ReleaseFunds':
            return releaseFunds(command, state);
        default:
            return (0, decider_1.assertNever)(command);
    }
}
exports.callDecider = {
    initialState: exports.initialCallState,
    evolve: evolveCall,
    decide: decideCall,
};
function draftCall({ data, now }, state) {
    if (state.status !== 'none')
        throw new decider_1.AlreadyExists((0, call_events_1.callStreamName)(data.callId));
    if (isBlank(data.programme))
        throw new call_errors_1.MissingCallDetails('A call needs a programme');
    if (isBlank(data.title))
        throw new call_errors_1.MissingCallDetails('A call needs a title');
    if (!money_1.ISO_4217.test(data.currency))
        throw new call_errors_1.InvalidCurrency(data.currency);
    assertBudget(data.budgetMinor);
    assertAwardRange(data.minAwardMinor, data.maxAwardMinor, data.budgetMinor);
    assertEligibleCountries(data.eligibleCountries);
    if (!isIntegerAtLeast(data.minPartners, 1))
        throw new call_errors_1.InvalidMinPartners(data.minPartners);
    assertCriteria(data.criteria);
    if (!isIntegerAtLeast(data.reviewsRequired, 1))
        throw new call_errors_1.InvalidReviewsRequired(data.reviewsRequired);
    const opensAt = toInstant('opensAt', data.opensAt);
    const closesAt = toInstant('closesAt', data.closesAt);
    if (opensAt >= closesAt)
        throw new call_errors_1.InvalidSubmissionWindow(data.opensAt, data.closesAt);
    return [
        {
            type: 'CallDrafted',
            data: {
                callId: data.callId,
                programme: data.programme.trim(),
                title: data.title.trim(),
                description: data.description,
                currency: data.currency,
                budgetMinor: data.budgetMinor,
                minAwardMinor: data.minAwardMinor,
                maxAwardMinor: data.maxAwardMinor,
                eligibleCountries: [...data.eligibleCountries],
                minPartners: data.minPartners,
                criteria: data.criteria.map(copyCriterion),
                reviewsRequired: data.reviewsRequired,
                opensAt: data.opensAt,
                closesAt: data.closesAt,
                draftedAt: now,
            },
        },
    ];
}
function publishCall({ data, now }, call) {
    if (call.status !== 'draft')
        throw new decider_1.InvalidStateTransition(call.status, 'publish the call');
    if (toInstant('now', now) >= toInstant('closesAt', call.closesAt))
        throw new call_errors_1.DeadlinePassed(call.closesAt, now);
    return [{ type: 'CallPublished', data: { callId: data.callId, publishedAt: now } }];
}
function extendDeadline({ data, now }, call) {
    if (call.status !== 'published')
        throw new decider_1.InvalidStateTransition(call.status, 'extend the deadline');
    if (isBlank(data.reason))
        throw new call_errors_1.ReasonRequired('extend the deadline');
    const currentDeadline = toInstant('closesAt', call.closesAt);
    if (toInstant('now', now) > currentDeadline)
        throw new call_errors_1.DeadlinePassed(call.closesAt, now);
    if (toInstant('newClosesAt', data.newClosesAt) <= currentDeadline) {
        throw new call_errors_1.DeadlineNotLater(call.closesAt, data.newClosesAt);
    }
    return [
        {
            type: 'CallDeadlineExtended',
            data: {
                callId: data.callId,
                previousClosesAt: call.closesAt,
                newClosesAt: data.newClosesAt,
                reason: data.reason.trim(),
                extendedAt: now,
            },
        },
    ];
}
function closeCall({ data, now }, call) {
    if (call.status !== 'published')
        throw new decider_1.InvalidStateTransition(call.status, 'close the call');
    const closingEarly = toInstant('now', now) < toInstant('closesAt', call.closesAt);
    const reason = data.reason?.trim();
    if (closingEarly && !reason)
        throw new call_errors_1.ReasonRequired('close the call before its deadline');
    return [
        {
            type: 'CallClosed',
            data: reason ? { callId: data.callId, closedAt: now, reason } : { callId: data.callId, closedAt: now },
        },
    ];
}
function cancelCall({ data, now }, call) {
    if (call.status === 'cancelled')
        throw new decider_1.InvalidStateTransition(call.status, 'cancel the call');
    if (isBlank(data.reason))
        throw new call_errors_1.ReasonRequired('cancel the call');
    if (call.committedMinor > 0)
        throw new call_errors_1.CallHasCommittedFunds(call.committedMinor);
    return [{ type: 'CallCancelled', data: { callId: data.callId, reason: data.reason.trim(), cancelledAt: now } }];
}
function commitFunds({ data, now }, call) {
    const { grantId, proposalId, amountMinor } = data;
    const existing = call.commitments[grantId];
    if (existing && existing.proposalId === proposalId && existing.amountMinor === amountMinor)
        return [];
    if (call.status !== 'published' && call.status !== 'closed') {
        throw new decider_1.InvalidStateTransition(call.status, 'commit funds');
    }
    if (!isIntegerAtLeast(amountMinor, 1))
        throw new call_errors_1.InvalidAmount(amountMinor);
    if (existing) {
        throw new call_errors_1.ConflictingCommitment(`Grant ${grantId} already has ${existing.amountMinor} committed for proposal ${existing.proposalId}`);
    }
    const otherGrant = Object.entries(call.commitments).find(([, c]) => c.proposalId === proposalId);
    if (otherGrant) {
        throw new call_errors_1.ConflictingCommitment(`Proposal ${proposalId} is already funded under grant ${otherGrant[0]}`);
    }
    const { minAwardMinor, maxAwardMinor, budgetMinor } = call.terms;
    if (amountMinor < minAwardMinor || amountMinor > maxAwardMinor) {
        throw new call_errors_1.AwardOutsideRange(amountMinor, minAwardMinor, maxAwardMinor);
    }
    if (call.committedMinor + amountMinor > budgetMinor) {
        throw new call_errors_1.BudgetExceeded(budgetMinor, call.committedMinor, amountMinor);
    }
    return [{ type: 'FundsCommitted', data: { callId: data.callId, grantId, proposalId, amountMinor, committedAt: now } }];
}
function releaseFunds({ data, now }, call) {
    const { grantId, amountMinor } = data;
    const commitment = call.commitments[grantId];
    if (!commitment)
        throw new call_errors_1.CommitmentNotFound(grantId);
    if (!isIntegerAtLeast(amountMinor, 1))
        throw new call_errors_1.InvalidAmount(amountMinor);
    if (isBlank(data.reason))
        throw new call_errors_1.ReasonRequired('release funds');
    const stillCommitted = outstandingMinor(commitment);
    if (amountMinor > stillCommitted)
        throw new call_errors_1.ReleaseExceedsCommitment(grantId, stillCommitted, amountMinor);
    return [
        {
            type: 'FundsReleased',
            data: { callId: data.callId, grantId, amountMinor, reason: data.reason.trim(), releasedAt: now },
        },
    ];
}
function assertBudget(budgetMinor) {
    if (!isIntegerAtLeast(budgetMinor, 1))
        throw new call_errors_1.InvalidBudget(budgetMinor);
}
function assertAwardRange(minAwardMinor, maxAwardMinor, budgetMinor) {
    if (!isIntegerAtLeast(minAwardMinor, 1) || !isIntegerAtLeast(maxAwardMinor, 1)) {
        throw new call_errors_1.InvalidAwardRange('Minimum and maximum awards must be positive integers of minor units');
    }
    if (minAwardMinor > maxAwardMinor) {
        throw new call_errors_1.InvalidAwardRange(`Minimum award ${minAwardMinor} exceeds maximum award ${maxAwardMinor}`);
    }
    if (maxAwardMinor > budgetMinor) {
        throw new call_errors_1.InvalidAwardRange(`Maximum award ${maxAwardMinor} exceeds the budget ${budgetMinor}`);
    }
}
function assertEligibleCountries(countries) {
    if (countries.length === 0)
        throw new call_errors_1.InvalidEligibleCountries('At least one eligible country is required');
    const invalid = countries.filter((code) => !(0, iso_3166_1.isIso3166Alpha2)(code));
    if (invalid.length > 0) {
        throw new call_errors_1.InvalidEligibleCountries(`Not ISO 3166-1 alpha-2 country codes: ${invalid.join(', ')}`);
    }
    const duplicates = countries.filter((code, index) => countries.indexOf(code) !== index);
    if (duplicates.length > 0)
        throw new call_errors_1.InvalidEligibleCountries(`Duplicate countries: ${duplicates.join(', ')}`);
}
function assertCriteria(criteria) {
    if (criteria.length === 0)
        throw new call_errors_1.InvalidScoringCriteria('At least one scoring criterion is required');
    const seen = new Set();
    for (const criterion of criteria) {
        if (isBlank(criterion.id))
            throw new call_errors_1.InvalidScoringCriteria('Every criterion needs an id');
        if (seen.has(criterion.id))
            throw new call_errors_1.InvalidScoringCriteria(`Duplicate criterion id ${criterion.id}`);
        seen.add(criterion.id);
        if (isBlank(criterion.name))
            throw new call_errors_1.InvalidScoringCriteria(`Criterion ${criterion.id} needs a name`);
        if (!isIntegerAtLeast(criterion.maxScore, 1)) {
            throw new call_errors_1.InvalidScoringCriteria(`Criterion ${criterion.id}: max score must be an integer >= 1`);
        }
        if (!isIntegerAtLeast(criterion.weight, 1)) {
            throw new call_errors_1.InvalidCriteriaWeights(`Criterion ${criterion.id}: weight must be an integer >= 1`);
        }
    }
    const totalWeight = criteria.reduce((sum, criterion) => sum + criterion.weight, 0);
    if (totalWeight !== 100)
        throw new call_errors_1.InvalidCriteriaWeights(`Criterion weights must sum to 100, got ${totalWeight}`);
}
function copyCriterion(criterion) {
    const { id, name, description, weight, maxScore } = criterion;
    return description === undefined ? { id, name, weight, maxScore } : { id, name, description, weight, maxScore };
}
function isIntegerAtLeast(value, minimum) {
    return Number.isSafeInteger(value) && value >= minimum;
}
function isBlank(value) {
    return value === undefined || value.trim().length === 0;
}
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
function toInstant(field, value) {
    const millis = ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(millis))
        throw new call_errors_1.InvalidTimestamp(field, value);
    return millis;
}
//# sourceMappingURL=call.decider.js.map