import { AlreadyExists, assertNever, Decider, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import { isDateTimeWithOffset } from '../shared/dates';
import { isIso4217Currency } from '../shared/iso-4217';
import type {
  AdjustCommitment,
  CallCommand,
  CancelCall,
  CloseCall,
  CommitFunds,
  DraftCall,
  ExtendCallDeadline,
  PublishCall,
  ReleaseFunds,
} from './call.commands';
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
import { callStreamName, type CallEvent, type ScoringCriterion } from './call.events';
import { isIso3166Alpha2 } from './iso-3166';

// ---------------------------------------------------------------------------------------------
// State

export type CallStatus = 'none' | 'draft' | 'published' | 'closed' | 'cancelled';

/** What a call promises applicants and reviewers; fixed once drafted (the deadline lives on the state). */
export interface CallTerms {
  programme: string;
  title: string;
  description: string;
  currency: string;
  budgetMinor: number;
  minAwardMinor: number;
  maxAwardMinor: number;
  eligibleCountries: readonly string[];
  /** Minimum organisations per network, the lead included. */
  minPartners: number;
  criteria: readonly ScoringCriterion[];
  reviewsRequired: number;
  /** The call's own ceiling per recipient, if it states one (else the programme's applies). */
  recipientCeilingMinor?: number;
  opensAt: string;
}

/** Funds committed to one grant. What is still committed is `amountMinor - releasedMinor`. */
export interface FundsCommitment {
  proposalId: string;
  /** As committed at the award, moved by any adjustments. */
  amountMinor: number;
  releasedMinor: number;
  /** Adjustments applied to this commitment (absent until the first one), for idempotency. */
  adjustmentIds?: readonly string[];
}

export interface NoCall {
  status: 'none';
}

export interface ExistingCall {
  status: Exclude<CallStatus, 'none'>;
  callId: string;
  terms: CallTerms;
  /** The current deadline (inclusive), after any extensions. */
  closesAt: string;
  /** Sum over all grants of what is still committed; never exceeds terms.budgetMinor. */
  committedMinor: number;
  commitments: Readonly<Record<string, FundsCommitment>>;
}

export type CallState = NoCall | ExistingCall;

export const initialCallState: CallState = { status: 'none' };

export function outstandingMinor(commitment: FundsCommitment): number {
  return commitment.amountMinor - commitment.releasedMinor;
}

/** Budget not yet committed to any grant. */
export function availableBudgetMinor(call: ExistingCall): number {
  return call.terms.budgetMinor - call.committedMinor;
}

/**
 * Whether proposals may be drafted and submitted at `now`: the call is published and `now` lies in
 * [opensAt, closesAt], both inclusive, where closesAt is the current (possibly extended) deadline.
 */
export function callIsOpenForSubmissions(state: CallState, now: string): boolean {
  if (state.status !== 'published') return false;
  const instant = Date.parse(now);
  return Date.parse(state.terms.opensAt) <= instant && instant <= Date.parse(state.closesAt);
}

// ---------------------------------------------------------------------------------------------
// Evolve

export function evolveCall(state: CallState, event: CallEvent): CallState {
  if (event.type === 'CallDrafted') {
    const drafted = event.data;
    return existingCall(
      {
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
          ...(drafted.recipientCeilingMinor !== undefined ? { recipientCeilingMinor: drafted.recipientCeilingMinor } : {}),
          opensAt: drafted.opensAt,
        },
        closesAt: drafted.closesAt,
        committedMinor: 0,
      },
      EMPTY_BOOK,
    );
  }
  // The log is the source of truth: an event for a call that was never drafted cannot be applied.
  if (state.status === 'none') return state;
  const fields = callFields(state);
  const book = bookOf(state);

  switch (event.type) {
    case 'CallPublished':
      return existingCall({ ...fields, status: 'published' }, book);
    case 'CallDeadlineExtended':
      return existingCall({ ...fields, closesAt: event.data.newClosesAt }, book);
    case 'CallClosed':
      return existingCall({ ...fields, status: 'closed' }, book);
    case 'CallCancelled':
      return existingCall({ ...fields, status: 'cancelled' }, book);
    case 'FundsCommitted': {
      const { grantId, proposalId, amountMinor } = event.data;
      return existingCall(
        { ...fields, committedMinor: state.committedMinor + amountMinor },
        withCommitment(book, grantId, { proposalId, amountMinor, releasedMinor: 0 }),
      );
    }
    case 'FundsReleased': {
      const { grantId, amountMinor } = event.data;
      const commitment = commitmentIn(book, grantId);
      if (!commitment) return state;
      return existingCall(
        { ...fields, committedMinor: state.committedMinor - amountMinor },
        withCommitment(book, grantId, { ...commitment, releasedMinor: commitment.releasedMinor + amountMinor }),
      );
    }
    case 'CommitmentAdjusted': {
      const { grantId, adjustmentId, changeMinor } = event.data;
      const commitment = commitmentIn(book, grantId);
      if (!commitment) return state;
      return existingCall(
        { ...fields, committedMinor: state.committedMinor + changeMinor },
        withCommitment(book, grantId, {
          ...commitment,
          amountMinor: commitment.amountMinor + changeMinor,
          adjustmentIds: [...(commitment.adjustmentIds ?? []), adjustmentId],
        }),
      );
    }
    default:
      return assertNever(event);
  }
}

/*
 * Commitments without a quadratic fold. A call stream may hold thousands of FundsCommitted and
 * FundsReleased events; copying the whole per-grant record on each of them made folding a long
 * stream O(n^2). Instead a state keeps its commitments in a "book": a shared base map that is
 * never changed once built, plus a small map of the entries changed since. Each event copies only
 * that small map (and the one touched entry); when it grows past about sqrt(size) entries it is
 * merged into a new base, so an event costs O(sqrt n) amortised. A fold of many events at once
 * (evolveCallAll, what the executor calls) copies the book once and changes that copy in place:
 * O(1) per event. `commitments` stays the plain record it always was, built from the book the first
 * time anyone reads it (and kept); the decider and the process managers read single entries from the
 * book instead (commitmentOf). Every state evolve returns is new or unchanged: evolve stays pure.
 */
interface CommitmentBook {
  readonly base: ReadonlyMap<string, FundsCommitment>;
  readonly recent: ReadonlyMap<string, FundsCommitment>;
}

const EMPTY_BOOK: CommitmentBook = { base: new Map(), recent: new Map() };
const MIN_RECENT = 32;

/**
 * The book behind each call state evolve built; a state built elsewhere (a literal in a test, a state
 * read back from a decider snapshot) gets one built from its `commitments` the first time it is read,
 * kept for it from then on (the state itself is not changed).
 */
const books = new WeakMap<ExistingCall, CommitmentBook>();

function bookOf(call: ExistingCall): CommitmentBook {
  // Inside evolveCallAll, once it has its own book, every state it evolves is one of its own.
  if (transientBook !== undefined) return transientBook;
  let book = books.get(call);
  if (book === undefined) {
    book = { base: new Map(Object.entries(call.commitments)), recent: new Map() };
    books.set(call, book);
  }
  return book;
}

function commitmentIn(book: CommitmentBook, grantId: string): FundsCommitment | undefined {
  return book.recent.get(grantId) ?? book.base.get(grantId);
}

function withCommitment(book: CommitmentBook, grantId: string, commitment: FundsCommitment): CommitmentBook {
  if (book === transientBook) {
    (book.base as Map<string, FundsCommitment>).set(grantId, commitment);
    return book;
  }
  const recent = new Map(book.recent).set(grantId, commitment);
  if (recent.size <= Math.max(MIN_RECENT, Math.sqrt(book.base.size))) return { base: book.base, recent };
  const base = new Map(book.base);
  for (const [id, entry] of recent) base.set(id, entry);
  return { base, recent: new Map() };
}

/**
 * The one book that may be changed in place: set by evolveCallAll, only while it runs (synchronously),
 * on a copy of its own that no state outside it shares.
 */
let transientBook: CommitmentBook | undefined;

/** Below this many events evolveCallAll is plain evolve per event: copying the book would cost more. */
const TRANSIENT_FOLD_MIN = 64;

/**
 * `events.reduce(evolveCall, state)`, for long folds (a call stream may hold thousands of
 * FundsCommitted and FundsReleased events): the book is copied once, into a map of this fold's own
 * that each commitment event changes in place, instead of each event copying its changes (measured
 * on a 10,000-event stream: see the README). The states in between, which share that map, are never
 * seen outside; the state returned owns it, and from then on it is never changed again (`state`,
 * the input, is left as it was).
 */
function evolveCallAll(state: CallState, events: readonly CallEvent[]): CallState {
  if (events.length < TRANSIENT_FOLD_MIN || transientBook !== undefined) return events.reduce(evolveCall, state);
  let current = state;
  let own: CommitmentBook | undefined;
  try {
    for (const event of events) {
      current = evolveCall(current, event);
      if (own === undefined && current.status !== 'none') {
        // The first state with a book: from here on this fold changes its own copy of it.
        const book = bookOf(current);
        own = transientBook = { base: new Map([...book.base, ...book.recent]), recent: new Map() };
      }
    }
  } finally {
    transientBook = undefined;
  }
  // The last state again, registered with the book it now owns (never changed in place again).
  return own === undefined || current.status === 'none' ? current : existingCall(callFields(current), own);
}

/** One grant's commitment on the call, read from its book: without building the whole `commitments` record. */
export function commitmentOf(call: ExistingCall, grantId: string): FundsCommitment | undefined {
  return commitmentIn(bookOf(call), grantId);
}

/** The first grant (in commitment order) whose funds are committed for this proposal, if any. */
function grantCommittedFor(book: CommitmentBook, proposalId: string): string | undefined {
  // A commitment's proposal never changes, so the base's entries answer for those changed since.
  for (const [grantId, commitment] of book.base) if (commitment.proposalId === proposalId) return grantId;
  for (const [grantId, commitment] of book.recent) if (!book.base.has(grantId) && commitment.proposalId === proposalId) return grantId;
  return undefined;
}

function entriesOf(book: CommitmentBook): Readonly<Record<string, FundsCommitment>> {
  const entries: Record<string, FundsCommitment> = {};
  // In the order the grants were first committed, as the record copied per event had them.
  for (const [id, entry] of book.base) entries[id] = book.recent.get(id) ?? entry;
  for (const [id, entry] of book.recent) if (!book.base.has(id)) entries[id] = entry;
  return entries;
}

type CallFields = Omit<ExistingCall, 'commitments'>;

function callFields(call: ExistingCall): CallFields {
  const { status, callId, terms, closesAt, committedMinor } = call;
  return { status, callId, terms, closesAt, committedMinor };
}

function existingCall(fields: CallFields, book: CommitmentBook): ExistingCall {
  let commitments: Readonly<Record<string, FundsCommitment>> | undefined;
  const call: ExistingCall = {
    ...fields,
    get commitments() {
      commitments ??= entriesOf(book);
      return commitments;
    },
  };
  // evolveCallAll's states in between are not registered (a WeakMap entry per event was most of the
  // collector's work in a long fold); the one it returns is.
  if (book !== transientBook) books.set(call, book);
  return call;
}

// ---------------------------------------------------------------------------------------------
// Decide

export function decideCall(command: CallCommand, state: CallState): CallEvent[] {
  if (command.type === 'DraftCall') return draftCall(command, state);
  if (state.status === 'none') throw new StreamNotFound(callStreamName(command.data.callId));

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
    case 'AdjustCommitment':
      return adjustCommitment(command, state);
    default:
      return assertNever(command);
  }
}

export const callDecider: Decider<CallCommand, CallEvent, CallState> = {
  initialState: initialCallState,
  evolve: evolveCall,
  evolveAll: evolveCallAll,
  decide: decideCall,
};

function draftCall({ data, now, configuredRecipientCeiling }: DraftCall, state: CallState): CallEvent[] {
  if (state.status !== 'none') throw new AlreadyExists(callStreamName(data.callId));

  if (isBlank(data.programme)) throw new MissingCallDetails('A call needs a programme');
  if (isBlank(data.title)) throw new MissingCallDetails('A call needs a title');
  if (!isIso4217Currency(data.currency)) throw new InvalidCurrency(data.currency);
  assertBudget(data.budgetMinor);
  assertAwardRange(data.minAwardMinor, data.maxAwardMinor, data.budgetMinor);
  assertEligibleCountries(data.eligibleCountries);
  if (!isIntegerAtLeast(data.minPartners, 1)) throw new InvalidMinPartners(data.minPartners);
  assertCriteria(data.criteria);
  if (!isIntegerAtLeast(data.reviewsRequired, 1)) throw new InvalidReviewsRequired(data.reviewsRequired);
  if (data.recipientCeilingMinor !== undefined && !isIntegerAtLeast(data.recipientCeilingMinor, data.maxAwardMinor)) {
    throw new InvalidRecipientCeiling(data.recipientCeilingMinor, data.maxAwardMinor);
  }
  if (data.recipientCeilingMinor === undefined && configuredRecipientCeiling !== undefined) {
    const { currency, minor } = configuredRecipientCeiling;
    // (One below the maximum award is the programme's policy: an award above it is refused at the decision, recipient.ceiling.exceeded.)
    if (currency !== data.currency) throw new RecipientCeilingRequired(`The ceiling per recipient configured for the programme (${minor}) is in ${currency}, the call in ${data.currency}`);
  }
  const opensAt = toInstant('opensAt', data.opensAt);
  const closesAt = toInstant('closesAt', data.closesAt);
  if (opensAt >= closesAt) throw new InvalidSubmissionWindow(data.opensAt, data.closesAt);

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
        ...(data.recipientCeilingMinor !== undefined ? { recipientCeilingMinor: data.recipientCeilingMinor } : {}),
        opensAt: data.opensAt,
        closesAt: data.closesAt,
        draftedAt: now,
      },
    },
  ];
}

function publishCall({ data, now }: PublishCall, call: ExistingCall): CallEvent[] {
  if (call.status !== 'draft') throw new InvalidStateTransition(call.status, 'publish the call');
  if (toInstant('now', now) >= toInstant('closesAt', call.closesAt)) throw new DeadlinePassed(call.closesAt, now);
  return [{ type: 'CallPublished', data: { callId: data.callId, publishedAt: now } }];
}

/**
 * Only a published call whose deadline has not yet passed can be extended: reopening a window
 * that already closed would let late applicants in after others were held to the deadline.
 */
function extendDeadline({ data, now }: ExtendCallDeadline, call: ExistingCall): CallEvent[] {
  if (call.status !== 'published') throw new InvalidStateTransition(call.status, 'extend the deadline');
  if (isBlank(data.reason)) throw new ReasonRequired('extend the deadline');
  const currentDeadline = toInstant('closesAt', call.closesAt);
  if (toInstant('now', now) > currentDeadline) throw new DeadlinePassed(call.closesAt, now);
  if (toInstant('newClosesAt', data.newClosesAt) <= currentDeadline) {
    throw new DeadlineNotLater(call.closesAt, data.newClosesAt);
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

/** Closing before the deadline cuts applicants off, so it must be explained; afterwards it is a formality. */
function closeCall({ data, now }: CloseCall, call: ExistingCall): CallEvent[] {
  if (call.status !== 'published') throw new InvalidStateTransition(call.status, 'close the call');
  const closingEarly = toInstant('now', now) < toInstant('closesAt', call.closesAt);
  const reason = data.reason?.trim();
  if (closingEarly && !reason) throw new ReasonRequired('close the call before its deadline');
  return [
    {
      type: 'CallClosed',
      data: reason ? { callId: data.callId, closedAt: now, reason } : { callId: data.callId, closedAt: now },
    },
  ];
}

function cancelCall({ data, now }: CancelCall, call: ExistingCall): CallEvent[] {
  if (call.status === 'cancelled') throw new InvalidStateTransition(call.status, 'cancel the call');
  if (isBlank(data.reason)) throw new ReasonRequired('cancel the call');
  if (call.committedMinor > 0) throw new CallHasCommittedFunds(call.committedMinor);
  return [{ type: 'CallCancelled', data: { callId: data.callId, reason: data.reason.trim(), cancelledAt: now } }];
}

/**
 * Reserves part of the budget for one grant. Idempotent per grant: the award process manager may
 * retry after a crash, and the same (grant, proposal, amount) then produces no new event.
 */
function commitFunds({ data, now }: CommitFunds, call: ExistingCall): CallEvent[] {
  const { grantId, proposalId, amountMinor } = data;
  const existing = commitmentIn(bookOf(call), grantId);
  if (existing && existing.proposalId === proposalId && existing.amountMinor === amountMinor) return [];

  if (call.status !== 'published' && call.status !== 'closed') {
    throw new InvalidStateTransition(call.status, 'commit funds');
  }
  if (!isIntegerAtLeast(amountMinor, 1)) throw new InvalidAmount(amountMinor);
  if (existing) {
    throw new ConflictingCommitment(
      `Grant ${grantId} already has ${existing.amountMinor} committed for proposal ${existing.proposalId}`,
    );
  }
  const otherGrant = grantCommittedFor(bookOf(call), proposalId);
  if (otherGrant !== undefined) {
    throw new ConflictingCommitment(`Proposal ${proposalId} is already funded under grant ${otherGrant}`);
  }
  const { minAwardMinor, maxAwardMinor, budgetMinor } = call.terms;
  if (amountMinor < minAwardMinor || amountMinor > maxAwardMinor) {
    throw new AwardOutsideRange(amountMinor, minAwardMinor, maxAwardMinor);
  }
  if (call.committedMinor + amountMinor > budgetMinor) {
    throw new BudgetExceeded(budgetMinor, call.committedMinor, amountMinor);
  }
  return [{ type: 'FundsCommitted', data: { callId: data.callId, grantId, proposalId, amountMinor, committedAt: now } }];
}

/** Gives unspent funds back to the call, e.g. when a grant closes under budget or is terminated. */
function releaseFunds({ data, now }: ReleaseFunds, call: ExistingCall): CallEvent[] {
  const { grantId, amountMinor } = data;
  const commitment = commitmentIn(bookOf(call), grantId);
  if (!commitment) throw new CommitmentNotFound(grantId);
  if (!isIntegerAtLeast(amountMinor, 1)) throw new InvalidAmount(amountMinor);
  if (isBlank(data.reason)) throw new ReasonRequired('release funds');
  const stillCommitted = outstandingMinor(commitment);
  if (amountMinor > stillCommitted) throw new ReleaseExceedsCommitment(grantId, stillCommitted, amountMinor);
  return [
    {
      type: 'FundsReleased',
      data: { callId: data.callId, grantId, amountMinor, reason: data.reason.trim(), releasedAt: now },
    },
  ];
}

/**
 * Moves a grant's commitment after the award (an amount-change amendment, or its compensation).
 * An increase is held to the budget like a new commitment; a decrease never gives back more than
 * is still committed. The same adjustment id again appends nothing, so a process manager may retry.
 * The award range is not checked: it bounds what applicants may request, not later amendments.
 */
function adjustCommitment({ data, now }: AdjustCommitment, call: ExistingCall): CallEvent[] {
  const { grantId, adjustmentId, changeMinor } = data;
  const commitment = commitmentIn(bookOf(call), grantId);
  if (!commitment) throw new CommitmentNotFound(grantId);
  if (commitment.adjustmentIds?.includes(adjustmentId)) return [];
  if (call.status !== 'published' && call.status !== 'closed') {
    throw new InvalidStateTransition(call.status, 'adjust a commitment');
  }
  if (isBlank(adjustmentId)) throw new MissingCallDetails('An adjustment needs an id');
  if (!Number.isSafeInteger(changeMinor) || changeMinor === 0) throw new InvalidCommitmentAdjustment(changeMinor);
  if (isBlank(data.reason)) throw new ReasonRequired('adjust a commitment');
  if (changeMinor > 0 && call.committedMinor + changeMinor > call.terms.budgetMinor) {
    throw new BudgetExceeded(call.terms.budgetMinor, call.committedMinor, changeMinor);
  }
  const stillCommitted = outstandingMinor(commitment);
  if (changeMinor < 0 && -changeMinor > stillCommitted) throw new ReleaseExceedsCommitment(grantId, stillCommitted, -changeMinor);
  return [
    {
      type: 'CommitmentAdjusted',
      data: {
        callId: data.callId,
        grantId,
        adjustmentId,
        changeMinor,
        amountMinor: commitment.amountMinor + changeMinor,
        reason: data.reason.trim(),
        adjustedAt: now,
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Rules

function assertBudget(budgetMinor: number): void {
  if (!isIntegerAtLeast(budgetMinor, 1)) throw new InvalidBudget(budgetMinor);
}

function assertAwardRange(minAwardMinor: number, maxAwardMinor: number, budgetMinor: number): void {
  if (!isIntegerAtLeast(minAwardMinor, 1) || !isIntegerAtLeast(maxAwardMinor, 1)) {
    throw new InvalidAwardRange('Minimum and maximum awards must be positive integers of minor units');
  }
  if (minAwardMinor > maxAwardMinor) {
    throw new InvalidAwardRange(`Minimum award ${minAwardMinor} exceeds maximum award ${maxAwardMinor}`);
  }
  if (maxAwardMinor > budgetMinor) {
    throw new InvalidAwardRange(`Maximum award ${maxAwardMinor} exceeds the budget ${budgetMinor}`);
  }
}

function assertEligibleCountries(countries: readonly string[]): void {
  if (countries.length === 0) throw new InvalidEligibleCountries('At least one eligible country is required');
  const invalid = countries.filter((code) => !isIso3166Alpha2(code));
  if (invalid.length > 0) {
    throw new InvalidEligibleCountries(`Not ISO 3166-1 alpha-2 country codes: ${invalid.join(', ')}`);
  }
  const duplicates = countries.filter((code, index) => countries.indexOf(code) !== index);
  if (duplicates.length > 0) throw new InvalidEligibleCountries(`Duplicate countries: ${duplicates.join(', ')}`);
}

function assertCriteria(criteria: readonly ScoringCriterion[]): void {
  if (criteria.length === 0) throw new InvalidScoringCriteria('At least one scoring criterion is required');
  const seen = new Set<string>();
  for (const criterion of criteria) {
    if (isBlank(criterion.id)) throw new InvalidScoringCriteria('Every criterion needs an id');
    if (seen.has(criterion.id)) throw new InvalidScoringCriteria(`Duplicate criterion id ${criterion.id}`);
    seen.add(criterion.id);
    if (isBlank(criterion.name)) throw new InvalidScoringCriteria(`Criterion ${criterion.id} needs a name`);
    if (!isIntegerAtLeast(criterion.maxScore, 1)) {
      throw new InvalidScoringCriteria(`Criterion ${criterion.id}: max score must be an integer >= 1`);
    }
    if (!isIntegerAtLeast(criterion.weight, 1)) {
      throw new InvalidCriteriaWeights(`Criterion ${criterion.id}: weight must be an integer >= 1`);
    }
  }
  const totalWeight = criteria.reduce((sum, criterion) => sum + criterion.weight, 0);
  if (totalWeight !== 100) throw new InvalidCriteriaWeights(`Criterion weights must sum to 100, got ${totalWeight}`);
}

function copyCriterion(criterion: ScoringCriterion): ScoringCriterion {
  const { id, name, description, weight, maxScore } = criterion;
  return description === undefined ? { id, name, weight, maxScore } : { id, name, description, weight, maxScore };
}

function isIntegerAtLeast(value: number, minimum: number): boolean {
  return Number.isSafeInteger(value) && value >= minimum;
}

function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim().length === 0;
}

function toInstant(field: string, value: string): number {
  const millis = isDateTimeWithOffset(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis)) throw new InvalidTimestamp(field, value);
  return millis;
}
