import { AlreadyExists, assertNever, Decider, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import type {
  AttachProposalDocument,
  AcceptPartnership,
  AddPartner,
  AssignReviewer,
  DeclinePartnership,
  LeavePartnership,
  RecordRedressOutcome,
  RequestRedress,
  DeclareConflictOfInterest,
  DraftProposal,
  ProposalCommand,
  ProvideClarification,
  RecuseReviewer,
  RecordAwardFunded,
  RecordAwardFundsUnavailable,
  RecordConsensus,
  RecordFundingDecision,
  RemovePartner,
  RequestClarification,
  ReviseProposal,
  ScreenEligibility,
  SubmitProposal,
  SubmitReview,
  WithdrawProposal,
} from './proposal.commands';
import {
  AwardExceedsRequest,
  AwardMismatch,
  AwardOutsideCallRange,
  BudgetSumMismatch,
  CallMismatch,
  CallNotPublished,
  ClarificationNotOpen,
  ClarificationQuestionsRequired,
  ConsensusRequired,
  ConsensusScoreOutOfRange,
  CriteriaNotScoredExactlyOnce,
  CurrencyMismatch,
  DuplicateClarificationRequest,
  DuplicatePartner,
  EligibilityResultsRequired,
  EmptyBudget,
  GrantIdReused,
  InvalidAwardAmount,
  InvalidBudgetLine,
  DuplicateBudgetLine,
  InvalidContentHash,
  InvalidDuration,
  InvalidFundingDecision,
  InvalidRecommendation,
  InvalidRedressOutcome,
  InvalidReviewerId,
  AwardOnCancelledCall,
  DueDiligenceFailed,
  PartnerAlreadyAccepted,
  PartnerAlreadySignedOff,
  PartnerNotAccepted,
  PartnerSignOffMissing,
  PartnerTermsChanged,
  RedressAlreadyRequested,
  RedressNotOpen,
  RedressRequestOpen,
  RedressWindowClosed,
  LeadCountryNotEligible,
  LeadListedAsPartner,
  MissingProposalDetails,
  NoRevisionChanges,
  NotAPartner,
  NotEnoughReviews,
  OutsideSubmissionWindow,
  PartnerRoleRequired,
  ProposalFrozen,
  ProposalNotEligible,
  JustificationRequired,
  RequestedAmountOutOfRange,
  ReviewAfterConsensus,
  ReviewAlreadySubmitted,
  ReviewerAffiliated,
  ReviewerAlreadyAssigned,
  ReviewerIsRecused,
  ReviewerNotAssigned,
  ScoreOutOfRange,
  TooFewPartners,
  UnknownOrganisation,
  DuplicateProposalDocument,
  InvalidProposalDocument,
} from './proposal.errors';
import {
  type BudgetLine,
  copyBudgetLines,
  copyProposalContent,
  type ProposalContentChanges,
  type ProposalDetails,
  proposalDetailsOf,
  type ProposalPartner,
} from './proposal.content';
import {
  type ConsensusCriterion,
  CriterionScore,
  FUNDING_DECISIONS,
  type FundingDecision,
  ProposalEvent,
  proposalStreamName,
  REDRESS_OUTCOMES,
  REVIEW_RECOMMENDATIONS,
  ReviewRecommendation,
} from './proposal.events';
import type { CallSnapshot, OrganisationSnapshots } from './proposal.snapshots';

// ---------------------------------------------------------------------------------------------
// State

/**
 * draft → submitted → (ineligible | under-review) → (awarded | rejected | reserved); reserved → a
 * later decision (once a redress request against the reserve list has its outcome); awarded → back
 * to where the award came from (under-review, or reserved when it was awarded from the reserve list)
 * when the call cannot commit the award's funds; rejected or reserved → under-review when a redress
 * request is upheld; withdrawn from anything before a decision.
 */
export type ProposalStatus =
  | 'none'
  | 'draft'
  | 'submitted'
  | 'ineligible'
  | 'under-review'
  | 'awarded'
  | 'rejected'
  | 'reserved'
  | 'withdrawn';

export interface ReviewRecord {
  reviewerId: string;
  scores: CriterionScore[];
  weightedScore: number;
  recommendation: ReviewRecommendation;
  comment: string;
  submittedAt: string;
}

export interface ProposalState {
  status: ProposalStatus;
  proposalId: string;
  callId: string;
  leadOrganisationId: string;
  partners: ProposalPartner[];
  details: ProposalDetails;
  /** 1 when drafted, +1 per content change (revision, partner change, clarification with changes). */
  contentVersion: number;
  /**
   * What partners sign off: 1 when drafted, +1 whenever the budget (requested amount, budget lines)
   * or the list of partners changes. A sign-off of an older version no longer counts.
   */
  termsVersion: number;
  /** Partners that accepted their invitation, by organisation id: the terms version each last accepted. */
  partnerSignOffs: Record<string, number>;
  /** termsVersion: the terms the partners signed off for the submission (a clarification answer may change them since). */
  submission: { version: number; contentHash: string; submittedAt: string; termsVersion: number } | null;
  assignedReviewerIds: string[];
  /**
   * Recused reviewers (a conflict they declared, or recused by the programme's staff) stay assigned
   * (history) but can neither review nor be re-assigned; their reviews do not count.
   */
  recusedReviewerIds: string[];
  reviews: Record<string, ReviewRecord>;
  consensusScore: number | null;
  /** funded: the award process manager recorded that the funds were committed and the grant created. */
  award: { grantId: string; amountMinor: number; funded: boolean } | null;
  /** Where an award came from (under-review, or reserved), so a failed award goes back there. */
  statusBeforeAward: 'under-review' | 'reserved' | null;
  /** Grant ids of awards the call's budget could not cover; never reused. */
  unfundedGrantIds: string[];
  openClarificationIds: string[];
  clarificationIds: string[];
  /** The standing funding decision (for the redress window); null before one and after an upheld redress. */
  decision: { decision: FundingDecision; decidedAt: string } | null;
  /** The redress request filed against the standing decision, if any. */
  redress: { requestId: string; open: boolean } | null;
  /** Every redress request id ever filed; never reused. */
  redressRequestIds: string[];
  /** Documents attached while drafting, in order (absent in states folded before documents existed); `name` null once erased. */
  documents?: ProposalDocument[];
}

export interface ProposalDocument {
  documentId: string;
  organisationId: string;
  name: string | null;
  sizeBytes: number;
  contentType: string;
  sha256: string;
  attachedAt: string;
}

export const initialProposalState: ProposalState = {
  status: 'none',
  proposalId: '',
  callId: '',
  leadOrganisationId: '',
  partners: [],
  details: { title: '', summary: '', policyIssue: '', requestedMinor: 0, currency: '', budgetLines: [], durationMonths: 0 },
  contentVersion: 0,
  termsVersion: 0,
  partnerSignOffs: {},
  submission: null,
  assignedReviewerIds: [],
  recusedReviewerIds: [],
  reviews: {},
  consensusScore: null,
  award: null,
  statusBeforeAward: null,
  unfundedGrantIds: [],
  openClarificationIds: [],
  clarificationIds: [],
  decision: null,
  redress: null,
  redressRequestIds: [],
};

/**
 * The partners that are members of the network: in a draft, those that accepted their invitation;
 * once submitted, every listed partner (a submission needs every one's sign-off, and proposals
 * submitted before partners were asked keep the network they were submitted with).
 */
export function acceptedPartnerIds(state: Pick<ProposalState, 'status' | 'partners' | 'partnerSignOffs'>): string[] {
  const listed = state.partners.map((p) => p.organisationId);
  return state.status === 'draft' ? listed.filter((id) => state.partnerSignOffs[id] !== undefined) : listed;
}

/** Listed partners that have not accepted their invitation yet (none once submitted). */
export function invitedPartnerIds(state: Pick<ProposalState, 'status' | 'partners' | 'partnerSignOffs'>): string[] {
  const accepted = acceptedPartnerIds(state);
  return state.partners.map((p) => p.organisationId).filter((id) => !accepted.includes(id));
}

/** Reviews that count towards the call's reviewsRequired: those of reviewers who are not recused. */
export function countedReviews(state: ProposalState): ReviewRecord[] {
  return Object.values(state.reviews).filter((review) => !state.recusedReviewerIds.includes(review.reviewerId));
}

// ---------------------------------------------------------------------------------------------
// Evolve

export function evolveProposal(state: ProposalState, event: ProposalEvent): ProposalState {
  switch (event.type) {
    case 'ProposalDrafted': {
      const { proposalId, callId, leadOrganisationId, partners, ...details } = copyProposalContent(event.data);
      return { ...initialProposalState, status: 'draft', proposalId, callId, leadOrganisationId, partners, details, contentVersion: 1, termsVersion: 1 };
    }
    case 'ProposalRevised': {
      const { proposalId: _id, revisedAt: _at, ...changes } = event.data;
      const budgetChanged = changes.requestedMinor !== undefined || changes.budgetLines !== undefined;
      return {
        ...state,
        details: applyChanges(state.details, changes),
        contentVersion: state.contentVersion + 1,
        termsVersion: state.termsVersion + (budgetChanged ? 1 : 0),
      };
    }
    case 'PartnerJoined': {
      const { organisationId, role } = event.data;
      return {
        ...state,
        partners: [...state.partners, { organisationId, role }],
        contentVersion: state.contentVersion + 1,
        termsVersion: state.termsVersion + 1,
      };
    }
    case 'PartnerLeft':
    case 'PartnerInvitationDeclined': {
      const { [event.data.organisationId]: _gone, ...partnerSignOffs } = state.partnerSignOffs;
      return {
        ...state,
        partners: state.partners.filter((p) => p.organisationId !== event.data.organisationId),
        partnerSignOffs,
        contentVersion: state.contentVersion + 1,
        termsVersion: state.termsVersion + 1,
      };
    }
    case 'PartnerInvitationAccepted':
      return { ...state, partnerSignOffs: { ...state.partnerSignOffs, [event.data.organisationId]: event.data.termsVersion } };
    case 'ProposalSubmitted': {
      const { version, contentHash, submittedAt } = event.data;
      return { ...state, status: 'submitted', submission: { version, contentHash, submittedAt, termsVersion: state.termsVersion } };
    }
    case 'ProposalWithdrawn':
      return { ...state, status: 'withdrawn' };
    case 'EligibilityScreened':
      return { ...state, status: event.data.eligible ? 'under-review' : 'ineligible' };
    case 'ReviewerAssigned':
      return { ...state, assignedReviewerIds: [...state.assignedReviewerIds, event.data.reviewerId] };
    case 'ConflictOfInterestDeclared':
      // The declaration is history; its consequence is the ReviewerRecused that follows it.
      return state;
    case 'ReviewerRecused':
      return state.recusedReviewerIds.includes(event.data.reviewerId)
        ? state
        : { ...state, recusedReviewerIds: [...state.recusedReviewerIds, event.data.reviewerId] };
    case 'ReviewSubmitted': {
      const { proposalId: _id, ...review } = event.data;
      return { ...state, reviews: { ...state.reviews, [review.reviewerId]: { ...review, scores: review.scores.map((s) => ({ ...s })) } } };
    }
    case 'ConsensusRecorded':
      return { ...state, consensusScore: event.data.score };
    case 'FundingDecisionRecorded': {
      const { decision, grantId, amountMinor, decidedAt } = event.data;
      // A new decision opens a new redress window; a redress of an earlier decision is history.
      const decided = { ...state, decision: { decision, decidedAt }, redress: null };
      switch (decision) {
        case 'award':
          return {
            ...decided,
            status: 'awarded',
            award: { grantId: grantId ?? '', amountMinor: amountMinor ?? 0, funded: false },
            statusBeforeAward: state.status === 'reserved' ? 'reserved' : 'under-review',
          };
        case 'reject':
          return { ...decided, status: 'rejected', award: null };
        case 'reserve':
          return { ...decided, status: 'reserved', award: null };
        default:
          return assertNever(decision);
      }
    }
    case 'AwardFundsUnavailable':
      // Back to where the award came from (a reserve-list decision stands): reviews and consensus
      // stand, and a new decision can be recorded.
      return {
        ...state,
        status: state.statusBeforeAward ?? 'under-review',
        award: null,
        statusBeforeAward: null,
        unfundedGrantIds: [...state.unfundedGrantIds, event.data.grantId],
      };
    case 'AwardFunded':
      return state.award && state.award.grantId === event.data.grantId ? { ...state, award: { ...state.award, funded: true } } : state;
    case 'ClarificationRequested':
      return {
        ...state,
        openClarificationIds: [...state.openClarificationIds, event.data.requestId],
        clarificationIds: [...state.clarificationIds, event.data.requestId],
      };
    case 'ClarificationProvided': {
      const { requestId, revisedFields } = event.data;
      const open = state.openClarificationIds.filter((id) => id !== requestId);
      if (!revisedFields) return { ...state, openClarificationIds: open };
      // A budget revised in an answer is new terms, as in a draft: the partners sign them off again before an award.
      const budgetChanged = revisedFields.requestedMinor !== undefined || revisedFields.budgetLines !== undefined;
      return {
        ...state,
        openClarificationIds: open,
        details: applyChanges(state.details, revisedFields),
        contentVersion: state.contentVersion + 1,
        termsVersion: state.termsVersion + (budgetChanged ? 1 : 0),
      };
    }
    case 'RedressRequested':
      return {
        ...state,
        redress: { requestId: event.data.requestId, open: true },
        redressRequestIds: [...state.redressRequestIds, event.data.requestId],
      };
    case 'RedressOutcomeRecorded':
      if (event.data.outcome === 'rejected') return { ...state, redress: state.redress && { ...state.redress, open: false } };
      // Upheld: the decision does not stand. Back to evaluation: the reviews stand, a new consensus
      // (and new reviews, if the panel wants them) and a new decision follow.
      return { ...state, status: 'under-review', decision: null, redress: null, consensusScore: null, award: null, statusBeforeAward: null };
    case 'ProposalDocumentAttached': {
      const { documentId, organisationId, name, sizeBytes, contentType, sha256, attachedAt } = event.data;
      return { ...state, documents: [...(state.documents ?? []), { documentId, organisationId, name, sizeBytes, contentType, sha256, attachedAt }] };
    }
    default:
      return assertNever(event);
  }
}

// ---------------------------------------------------------------------------------------------
// Decide

export function decideProposal(command: ProposalCommand, state: ProposalState): ProposalEvent[] {
  if (command.type === 'DraftProposal') return draft(command, state);
  if (state.status === 'none') throw new StreamNotFound(proposalStreamName(command.data.proposalId));

  switch (command.type) {
    case 'ReviseProposal':
      return revise(command, state);
    case 'AddPartner':
      return addPartner(command, state);
    case 'RemovePartner':
      return removePartner(command, state);
    case 'AcceptPartnership':
      return acceptPartnership(command, state);
    case 'DeclinePartnership':
      return declinePartnership(command, state);
    case 'LeavePartnership':
      return leavePartnership(command, state);
    case 'SubmitProposal':
      return submit(command, state);
    case 'WithdrawProposal':
      return withdraw(command, state);
    case 'ScreenEligibility':
      return screenEligibility(command, state);
    case 'AssignReviewer':
      return assignReviewer(command, state);
    case 'DeclareConflictOfInterest':
      return declareConflict(command, state);
    case 'RecuseReviewer':
      return recuseReviewer(command, state);
    case 'SubmitReview':
      return submitReview(command, state);
    case 'RecordConsensus':
      return recordConsensus(command, state);
    case 'RecordFundingDecision':
      return recordFundingDecision(command, state);
    case 'RecordAwardFundsUnavailable':
      return recordAwardFundsUnavailable(command, state);
    case 'RecordAwardFunded':
      return recordAwardFunded(command, state);
    case 'RequestClarification':
      return requestClarification(command, state);
    case 'ProvideClarification':
      return provideClarification(command, state);
    case 'RequestRedress':
      return requestRedress(command, state);
    case 'RecordRedressOutcome':
      return recordRedressOutcome(command, state);
    case 'AttachProposalDocument':
      return attachDocument(command, state);
    default:
      return assertNever(command);
  }
}

export const proposalDecider: Decider<ProposalCommand, ProposalEvent, ProposalState> = {
  initialState: initialProposalState,
  evolve: evolveProposal,
  decide: decideProposal,
};

/**
 * Drafted content must already satisfy the call's rules, and every later change keeps it so. The
 * partners listed are invited, not members: the network's size is checked at submission, when
 * every partner must have accepted, and whether an invited organisation is registered is never
 * checked (the answer must not reveal who is registered).
 */
function draft(command: DraftProposal, state: ProposalState): ProposalEvent[] {
  const d = command.data;
  if (state.status !== 'none') throw new AlreadyExists(proposalStreamName(d.proposalId));
  assertSameCall(d.callId, command.call);
  assertCallOpen(command.call, command.now);
  assertDetails(proposalDetailsOf(d), command.call);
  assertPartners(d.leadOrganisationId, d.partners);
  assertLead(d.leadOrganisationId, command.call, command.organisations);
  return [{ type: 'ProposalDrafted', data: { ...copyProposalContent(d), draftedAt: command.now } }];
}

function revise(command: ReviseProposal, state: ProposalState): ProposalEvent[] {
  assertDraft(state, 'revise the proposal');
  assertSameCall(state.callId, command.call);
  assertCallOpen(command.call, command.now);
  const { proposalId, ...requested } = command.data;
  const changes = changedFields(state.details, requested);
  if (Object.keys(changes).length === 0) throw new NoRevisionChanges();
  assertDetails(applyChanges(state.details, changes), command.call);
  return [{ type: 'ProposalRevised', data: { proposalId, ...changes, revisedAt: command.now } }];
}

function addPartner(command: AddPartner, state: ProposalState): ProposalEvent[] {
  assertDraft(state, 'add a partner');
  assertSameCall(state.callId, command.call);
  assertCallOpen(command.call, command.now);
  const { proposalId, organisationId, role } = command.data;
  const partner = { organisationId, role };
  assertPartners(state.leadOrganisationId, [...state.partners, partner]);
  return [{ type: 'PartnerJoined', data: { proposalId, organisationId, role, joinedAt: command.now } }];
}

function removePartner(command: RemovePartner, state: ProposalState): ProposalEvent[] {
  assertDraft(state, 'remove a partner');
  assertSameCall(state.callId, command.call);
  assertCallOpen(command.call, command.now);
  const { proposalId, organisationId } = command.data;
  if (!state.partners.some((p) => p.organisationId === organisationId)) throw new NotAPartner(organisationId);
  return [{ type: 'PartnerLeft', data: { proposalId, organisationId, leftAt: command.now } }];
}

/**
 * Accepting is signing off the current terms; a partner signs again after the terms changed: in a
 * draft, or after submission when a clarification answer revised the budget (the award waits for it).
 */
function acceptPartnership(command: AcceptPartnership, state: ProposalState): ProposalEvent[] {
  if (!(CLARIFIABLE.includes(state.status) && termsChangedSinceSubmission(state))) assertDraft(state, 'accept the invitation');
  const { proposalId, organisationId, acceptedBy, mandateStatement, termsVersion } = command.data;
  if (!state.partners.some((p) => p.organisationId === organisationId)) throw new NotAPartner(organisationId);
  assertText(mandateStatement, 'mandateStatement');
  if (termsVersion !== state.termsVersion) throw new PartnerTermsChanged(termsVersion, state.termsVersion);
  if (state.partnerSignOffs[organisationId] === state.termsVersion) throw new PartnerAlreadySignedOff(organisationId, state.termsVersion);
  return [
    { type: 'PartnerInvitationAccepted', data: { proposalId, organisationId, acceptedBy, mandateStatement, termsVersion, acceptedAt: command.now } },
  ];
}

function declinePartnership(command: DeclinePartnership, state: ProposalState): ProposalEvent[] {
  assertDraft(state, 'decline the invitation');
  const { proposalId, organisationId, declinedBy } = command.data;
  if (!state.partners.some((p) => p.organisationId === organisationId)) throw new NotAPartner(organisationId);
  if (state.partnerSignOffs[organisationId] !== undefined) throw new PartnerAlreadyAccepted(organisationId);
  return [{ type: 'PartnerInvitationDeclined', data: { proposalId, organisationId, declinedBy, declinedAt: command.now } }];
}

/** Before submission only (a submitted proposal is frozen). */
function leavePartnership(command: LeavePartnership, state: ProposalState): ProposalEvent[] {
  assertDraft(state, 'leave the network');
  const { proposalId, organisationId, leftBy } = command.data;
  if (!state.partners.some((p) => p.organisationId === organisationId)) throw new NotAPartner(organisationId);
  if (state.partnerSignOffs[organisationId] === undefined) throw new PartnerNotAccepted(organisationId);
  return [{ type: 'PartnerLeft', data: { proposalId, organisationId, leftBy, leftAt: command.now } }];
}

function submit(command: SubmitProposal, state: ProposalState): ProposalEvent[] {
  assertDraft(state, 'submit the proposal');
  assertSameCall(state.callId, command.call);
  assertCallOpen(command.call, command.now);
  // Re-checked at submission: an organisation may have moved country or the network changed since drafting.
  assertDetails(state.details, command.call);
  assertPartners(state.leadOrganisationId, state.partners);
  // Sign-offs first: an invitation nobody can accept (an unregistered id) reads as a missing
  // sign-off, never as "unknown organisation".
  const unsigned = state.partners.map((p) => p.organisationId).filter((id) => state.partnerSignOffs[id] !== state.termsVersion);
  if (unsigned.length > 0) throw new PartnerSignOffMissing(unsigned, state.termsVersion);
  assertNetwork(state.leadOrganisationId, state.partners, command.call, command.organisations);
  const { proposalId, contentHash } = command.data;
  if (!/^[0-9a-f]{64}$/.test(contentHash)) throw new InvalidContentHash(contentHash);
  return [
    { type: 'ProposalSubmitted', data: { proposalId, version: state.contentVersion, contentHash, submittedAt: command.now } },
  ];
}

/** Withdrawal is possible until a funding decision (award, reject or reserve) has been recorded. */
function withdraw(command: WithdrawProposal, state: ProposalState): ProposalEvent[] {
  const withdrawable: ProposalStatus[] = ['draft', 'submitted', 'ineligible', 'under-review'];
  if (!withdrawable.includes(state.status)) throw new InvalidStateTransition(state.status, 'withdraw the proposal');
  const { proposalId, reason, withdrawnBy } = command.data;
  assertText(reason, 'reason');
  return [{ type: 'ProposalWithdrawn', data: { proposalId, reason, withdrawnBy, withdrawnAt: command.now } }];
}

function screenEligibility(command: ScreenEligibility, state: ProposalState): ProposalEvent[] {
  if (state.status !== 'submitted') throw new InvalidStateTransition(state.status, 'screen eligibility');
  const { proposalId, results, screenedBy } = command.data;
  if (results.length === 0 || results.some((r) => !isText(r.rule))) throw new EligibilityResultsRequired();
  return [
    {
      type: 'EligibilityScreened',
      data: {
        proposalId,
        results: results.map(({ rule, passed, note }) => ({ rule, passed, note })),
        eligible: results.every((r) => r.passed),
        screenedBy,
        screenedAt: command.now,
      },
    },
  ];
}

function assignReviewer(command: AssignReviewer, state: ProposalState): ProposalEvent[] {
  if (state.status === 'submitted' || state.status === 'ineligible') throw new ProposalNotEligible(state.status);
  if (state.status !== 'under-review') throw new InvalidStateTransition(state.status, 'assign a reviewer');
  const { proposalId, reviewerId, assignedBy } = command.data;
  if (!isText(reviewerId) || reviewerId !== reviewerId.trim()) throw new InvalidReviewerId(reviewerId);
  if (state.recusedReviewerIds.includes(reviewerId)) throw new ReviewerIsRecused(reviewerId);
  if (state.assignedReviewerIds.includes(reviewerId)) throw new ReviewerAlreadyAssigned(reviewerId);
  assertNotAffiliated(reviewerId, state, command.organisations);
  return [{ type: 'ReviewerAssigned', data: { proposalId, reviewerId, assignedBy, assignedAt: command.now } }];
}

/**
 * A reviewer never reviews a proposal whose organisations (the lead and every partner) they belong
 * to: asked at the assignment and again at the review, on the organisations as they are then.
 */
function assertNotAffiliated(reviewerId: string, state: ProposalState, organisations: OrganisationSnapshots): void {
  for (const organisationId of networkOf(state)) {
    const organisation = organisations[organisationId];
    if (!organisation) throw new UnknownOrganisation(organisationId);
    if (organisation.memberUserIds.includes(reviewerId)) throw new ReviewerAffiliated(reviewerId, organisationId);
  }
}

/**
 * An assigned reviewer declares a conflict and is recused at once. A further declaration by an
 * already recused reviewer is recorded (it may add detail) without a second recusal.
 */
function declareConflict(command: DeclareConflictOfInterest, state: ProposalState): ProposalEvent[] {
  const { proposalId, reviewerId, description } = command.data;
  if (!state.assignedReviewerIds.includes(reviewerId)) throw new ReviewerNotAssigned(reviewerId);
  if (state.status === 'withdrawn') throw new InvalidStateTransition(state.status, 'declare a conflict of interest');
  assertText(description, 'description');
  const declared: ProposalEvent = {
    type: 'ConflictOfInterestDeclared',
    data: { proposalId, reviewerId, description, declaredAt: command.now },
  };
  if (state.recusedReviewerIds.includes(reviewerId)) return [declared];
  return [
    declared,
    {
      type: 'ReviewerRecused',
      data: { proposalId, reviewerId, reason: 'conflict of interest declared', by: 'reviewer', recusedBy: reviewerId, recusedAt: command.now },
    },
  ];
}

/**
 * The programme's staff recuse an assigned reviewer, with a reason: the same recusal as after a
 * declared conflict (its review no longer counts, it may no longer review), also after a decision
 * (a conflict found later does not undo the decision; the dossier shows it). A reviewer already
 * recused is refused, so the reason recorded stays the one its recusal was made for.
 */
function recuseReviewer(command: RecuseReviewer, state: ProposalState): ProposalEvent[] {
  const { proposalId, reviewerId, reason, recusedBy } = command.data;
  if (!state.assignedReviewerIds.includes(reviewerId)) throw new ReviewerNotAssigned(reviewerId);
  if (state.status === 'withdrawn') throw new InvalidStateTransition(state.status, 'recuse a reviewer');
  if (state.recusedReviewerIds.includes(reviewerId)) throw new ReviewerIsRecused(reviewerId);
  assertText(reason, 'reason');
  return [{ type: 'ReviewerRecused', data: { proposalId, reviewerId, reason, by: 'staff', recusedBy, recusedAt: command.now } }];
}

function submitReview(command: SubmitReview, state: ProposalState): ProposalEvent[] {
  if (state.status !== 'under-review') throw new InvalidStateTransition(state.status, 'submit a review');
  const { proposalId, reviewerId, scores, recommendation, comment } = command.data;
  assertSameCall(state.callId, command.call);
  if (state.recusedReviewerIds.includes(reviewerId)) throw new ReviewerIsRecused(reviewerId);
  if (!state.assignedReviewerIds.includes(reviewerId)) throw new ReviewerNotAssigned(reviewerId);
  if (state.reviews[reviewerId]) throw new ReviewAlreadySubmitted(reviewerId);
  if (state.consensusScore !== null) throw new ReviewAfterConsensus();
  // The reviewer may have joined an organisation of the network since the assignment.
  assertNotAffiliated(reviewerId, state, command.organisations);
  if (!REVIEW_RECOMMENDATIONS.includes(recommendation)) throw new InvalidRecommendation(recommendation);
  const weightedScore = scoreAgainstCriteria(scores, command.call.criteria);
  return [
    {
      type: 'ReviewSubmitted',
      data: {
        proposalId,
        reviewerId,
        scores: scores.map(({ criterionId, score, comment: note }) => ({ criterionId, score, comment: note })),
        weightedScore,
        recommendation,
        comment,
        submittedAt: command.now,
      },
    },
  ];
}

/** A later consensus (before the decision) supersedes an earlier one: corrections are new events. */
function recordConsensus(command: RecordConsensus, state: ProposalState): ProposalEvent[] {
  if (state.status !== 'under-review') throw new InvalidStateTransition(state.status, 'record a consensus');
  assertSameCall(state.callId, command.call);
  assertEnoughReviews(state, command.call);
  const { proposalId, score, summary, recordedBy, criteria } = command.data;
  if (!Number.isFinite(score) || score < 0 || score > 100) throw new ConsensusScoreOutOfRange(score);
  assertText(summary, 'summary');
  if (criteria === undefined) return [{ type: 'ConsensusRecorded', data: { proposalId, score, summary, recordedBy, recordedAt: command.now } }];
  // Every criterion of the call once, within its range, as a review scores it.
  scoreAgainstCriteria(criteria, command.call.criteria);
  const agreed: ConsensusCriterion[] = criteria.map(({ criterionId, score: points, comment }) => ({ criterionId, score: points, comment }));
  return [{ type: 'ConsensusRecorded', data: { proposalId, score, summary, criteria: agreed, recordedBy, recordedAt: command.now } }];
}

function recordFundingDecision(command: RecordFundingDecision, state: ProposalState): ProposalEvent[] {
  const { proposalId, decision, amountMinor, reasons, decidedBy, committee, grantId } = command.data;
  if (state.status !== 'under-review' && state.status !== 'reserved') {
    throw new InvalidStateTransition(state.status, 'record a funding decision');
  }
  if (state.status === 'reserved' && decision === 'reserve') throw new InvalidStateTransition(state.status, 'reserve the proposal again');
  // A new decision would leave the request against the standing one without an outcome for ever.
  if (state.redress?.open) throw new RedressRequestOpen(state.redress.requestId);
  assertSameCall(state.callId, command.call);
  assertEnoughReviews(state, command.call);
  if (state.consensusScore === null) throw new ConsensusRequired();
  if (!FUNDING_DECISIONS.includes(decision)) throw new InvalidFundingDecision(`Unknown decision ${JSON.stringify(decision)}`);
  assertText(reasons, 'reasons');
  if (!isText(decidedBy) || !isText(committee)) throw new InvalidFundingDecision('A decision names who decided and the deciding committee');
  const base = { proposalId, decision, reasons, decidedBy, committee };
  if (decision !== 'award') {
    if (amountMinor !== undefined || grantId !== undefined) {
      throw new InvalidFundingDecision('An amount and a grant id belong to an award only');
    }
    return [{ type: 'FundingDecisionRecorded', data: { ...base, decidedAt: command.now } }];
  }
  if (command.call.status === 'cancelled') throw new AwardOnCancelledCall(command.call.callId);
  const failed = networkOf(state).filter((id) => command.organisations[id]?.dueDiligence === 'failed');
  if (failed.length > 0) throw new DueDiligenceFailed(failed);
  if (termsChangedSinceSubmission(state)) {
    const unsigned = state.partners.map((p) => p.organisationId).filter((id) => state.partnerSignOffs[id] !== state.termsVersion);
    if (unsigned.length > 0) throw new PartnerSignOffMissing(unsigned, state.termsVersion, 'an award: a clarification answer changed the budget they signed off');
  }
  if (amountMinor === undefined || !Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new InvalidAwardAmount(amountMinor);
  if (amountMinor > state.details.requestedMinor) throw new AwardExceedsRequest(amountMinor, state.details.requestedMinor);
  if (amountMinor < command.call.minAwardMinor || amountMinor > command.call.maxAwardMinor) {
    throw new AwardOutsideCallRange(amountMinor, command.call.minAwardMinor, command.call.maxAwardMinor);
  }
  if (grantId === undefined || !isText(grantId)) throw new InvalidFundingDecision('An award needs a grant id');
  if (state.unfundedGrantIds.includes(grantId)) throw new GrantIdReused(grantId);
  return [{ type: 'FundingDecisionRecorded', data: { ...base, amountMinor, grantId, decidedAt: command.now } }];
}

/** Idempotent for the process manager: recording the same unfunded grant again appends nothing. */
function recordAwardFundsUnavailable(command: RecordAwardFundsUnavailable, state: ProposalState): ProposalEvent[] {
  const { proposalId, grantId, amountMinor, remainingMinor, reason } = command.data;
  if (state.unfundedGrantIds.includes(grantId)) return [];
  if (state.status !== 'awarded' || !state.award) throw new InvalidStateTransition(state.status, 'record that award funds are unavailable');
  if (state.award.grantId !== grantId) throw new AwardMismatch(grantId);
  return [
    { type: 'AwardFundsUnavailable', data: { proposalId, grantId, amountMinor, remainingMinor, ...(reason !== undefined ? { reason } : {}), recordedAt: command.now } },
  ];
}

/** Idempotent for the process manager: recording the same funded grant again appends nothing. */
function recordAwardFunded(command: RecordAwardFunded, state: ProposalState): ProposalEvent[] {
  const { proposalId, grantId, amountMinor } = command.data;
  if (state.status !== 'awarded' || !state.award) throw new InvalidStateTransition(state.status, 'record that the award was funded');
  if (state.award.grantId !== grantId) throw new AwardMismatch(grantId);
  if (state.award.funded) return [];
  return [{ type: 'AwardFunded', data: { proposalId, grantId, amountMinor, recordedAt: command.now } }];
}

const CLARIFIABLE: readonly ProposalStatus[] = ['submitted', 'under-review', 'reserved'];

/** The budget changed after submission (in a clarification answer): the partners' sign-offs of the submitted terms no longer count. */
function termsChangedSinceSubmission(state: ProposalState): boolean {
  return state.submission !== null && state.termsVersion !== state.submission.termsVersion;
}

function requestClarification(command: RequestClarification, state: ProposalState): ProposalEvent[] {
  if (!CLARIFIABLE.includes(state.status)) throw new InvalidStateTransition(state.status, 'request a clarification');
  const { proposalId, requestId, questions, requestedBy } = command.data;
  if (state.clarificationIds.includes(requestId)) throw new DuplicateClarificationRequest(requestId);
  if (questions.length === 0 || !questions.every(isText)) throw new ClarificationQuestionsRequired();
  return [{ type: 'ClarificationRequested', data: { proposalId, requestId, questions: [...questions], requestedBy, requestedAt: command.now } }];
}

/** The only way submitted content changes: revised fields must keep the call's rules. */
function provideClarification(command: ProvideClarification, state: ProposalState): ProposalEvent[] {
  if (!CLARIFIABLE.includes(state.status)) throw new InvalidStateTransition(state.status, 'provide a clarification');
  const { proposalId, requestId, answer, revisedFields } = command.data;
  if (!state.openClarificationIds.includes(requestId)) throw new ClarificationNotOpen(requestId);
  assertText(answer, 'answer');
  const changes = revisedFields ? changedFields(state.details, revisedFields) : {};
  if (Object.keys(changes).length === 0) {
    return [{ type: 'ClarificationProvided', data: { proposalId, requestId, answer, providedAt: command.now } }];
  }
  assertSameCall(state.callId, command.call);
  assertDetails(applyChanges(state.details, changes), command.call);
  return [{ type: 'ClarificationProvided', data: { proposalId, requestId, answer, revisedFields: changes, providedAt: command.now } }];
}

const REDRESSABLE: readonly ProposalStatus[] = ['rejected', 'reserved'];
const DAY_MS = 24 * 60 * 60 * 1000;

/** The end of the redress window of a decision taken at `decidedAt`: that many whole days later (the end included). */
export function redressWindowEndsAt(decidedAt: string, windowDays: number): string {
  return new Date(Date.parse(decidedAt) + windowDays * DAY_MS).toISOString();
}

/**
 * Against a rejection or a reserve-list decision, within the configured number of days after it,
 * once per decision. (An award is not redressed: its grant follows at once.)
 */
function requestRedress(command: RequestRedress, state: ProposalState): ProposalEvent[] {
  if (!REDRESSABLE.includes(state.status) || !state.decision) throw new InvalidStateTransition(state.status, 'request redress');
  const { proposalId, requestId, organisationId, grounds, requestedBy } = command.data;
  if (state.redress || state.redressRequestIds.includes(requestId)) throw new RedressAlreadyRequested();
  assertText(grounds, 'grounds');
  const windowEndsAt = redressWindowEndsAt(state.decision.decidedAt, command.redressWindowDays);
  if (Date.parse(command.now) > Date.parse(windowEndsAt)) throw new RedressWindowClosed(windowEndsAt);
  return [{ type: 'RedressRequested', data: { proposalId, requestId, organisationId, grounds, requestedBy, windowEndsAt, requestedAt: command.now } }];
}

function recordRedressOutcome(command: RecordRedressOutcome, state: ProposalState): ProposalEvent[] {
  const { proposalId, requestId, outcome, reasons, decidedBy } = command.data;
  if (!state.redress || !state.redress.open || state.redress.requestId !== requestId) throw new RedressNotOpen(requestId);
  if (!REDRESS_OUTCOMES.includes(outcome)) throw new InvalidRedressOutcome(outcome);
  assertText(reasons, 'reasons');
  return [{ type: 'RedressOutcomeRecorded', data: { proposalId, requestId, outcome, reasons, decidedBy, decidedAt: command.now } }];
}

// ---------------------------------------------------------------------------------------------
// Rules

/**
 * A document of the proposal (annexes, statutes, letters of support), stored before this is
 * decided, while the proposal is a draft of an open call (assertAcceptsDocuments): a submitted
 * proposal is frozen, and a draft whose call closed can no longer be submitted, so a document
 * there would only be hazardous data kept for nothing. The same document recorded again (a retried
 * upload) appends nothing.
 */
function attachDocument(command: AttachProposalDocument, state: ProposalState): ProposalEvent[] {
  const d = command.data;
  assertAcceptsDocuments(state, d.proposalId, command.call, command.now);
  const blank = (value: string) => typeof value !== 'string' || value.trim() === '';
  if (blank(d.documentId) || blank(d.attachedBy)) throw new InvalidProposalDocument('A document needs an id and who attached it');
  if (blank(d.name) || d.name.length > 255) throw new InvalidProposalDocument('A document needs a name of at most 255 characters');
  if (!Number.isSafeInteger(d.sizeBytes) || d.sizeBytes <= 0) throw new InvalidProposalDocument('A document has a positive size in bytes');
  if (blank(d.contentType)) throw new InvalidProposalDocument('A document has a content type');
  if (!/^[0-9a-f]{64}$/.test(d.sha256)) throw new InvalidProposalDocument('A document is identified by the lower-case hex SHA-256 of its bytes');
  if (d.organisationId !== state.leadOrganisationId) throw new InvalidProposalDocument("A proposal's documents belong to its lead organisation");
  const existing = (state.documents ?? []).find((doc) => doc.documentId === d.documentId);
  if (existing !== undefined) {
    if (existing.sha256 === d.sha256 && existing.sizeBytes === d.sizeBytes) return [];
    throw new DuplicateProposalDocument(d.documentId);
  }
  const { proposalId, documentId, organisationId, name, sizeBytes, contentType, sha256, attachedBy } = d;
  return [{ type: 'ProposalDocumentAttached', data: { proposalId, documentId, organisationId, name, sizeBytes, contentType, sha256, attachedBy, attachedAt: command.now } }];
}

/**
 * Whether a document may be attached now: the proposal a draft, its call open. Asked by the upload's
 * handler before it stores any byte (and again by the decider, on the call as the append pins it).
 */
export function assertAcceptsDocuments(state: ProposalState, proposalId: string, call: CallSnapshot, now: string): void {
  if (state.status === 'none') throw new StreamNotFound(proposalStreamName(proposalId));
  assertDraft(state, 'attach a document');
  assertSameCall(state.callId, call);
  assertCallOpen(call, now);
}

function assertDraft(state: ProposalState, attempted: string): void {
  if (state.status === 'draft') return;
  if (state.status === 'withdrawn') throw new InvalidStateTransition(state.status, attempted);
  throw new ProposalFrozen(state.status, attempted);
}

function assertSameCall(callId: string, call: CallSnapshot): void {
  if (call.callId !== callId) throw new CallMismatch(callId, call.callId);
}

/** Published, and now in [opensAt, closesAt] inclusive, closesAt being the possibly extended deadline. */
function assertCallOpen(call: CallSnapshot, now: string): void {
  if (call.status !== 'published') throw new CallNotPublished(call.status);
  const instant = Date.parse(now);
  if (!(Date.parse(call.opensAt) <= instant && instant <= Date.parse(call.closesAt))) {
    throw new OutsideSubmissionWindow(now, call.opensAt, call.closesAt);
  }
}

function assertDetails(details: ProposalDetails, call: CallSnapshot): void {
  if (!isText(details.title)) throw new MissingProposalDetails('title');
  if (!isText(details.summary)) throw new MissingProposalDetails('summary');
  if (!isText(details.policyIssue)) throw new MissingProposalDetails('policyIssue');
  if (details.currency !== call.currency) throw new CurrencyMismatch(details.currency, call.currency);
  const requested = details.requestedMinor;
  if (!Number.isSafeInteger(requested) || requested < call.minAwardMinor || requested > call.maxAwardMinor) {
    throw new RequestedAmountOutOfRange(requested, call.minAwardMinor, call.maxAwardMinor);
  }
  if (details.budgetLines.length === 0) throw new EmptyBudget();
  const labels = new Set<string>();
  for (const line of details.budgetLines) {
    if (!isText(line.label) || !Number.isSafeInteger(line.amountMinor) || line.amountMinor <= 0) throw new InvalidBudgetLine(line.label);
    if (line.label !== line.label.trim()) throw new InvalidBudgetLine(line.label, 'has leading or trailing spaces');
    const label = line.label.toLowerCase();
    if (labels.has(label)) throw new DuplicateBudgetLine(line.label);
    labels.add(label);
  }
  const total = details.budgetLines.reduce((sum, line) => sum + line.amountMinor, 0);
  if (total !== requested) throw new BudgetSumMismatch(total, requested);
  if (!Number.isSafeInteger(details.durationMonths) || details.durationMonths <= 0) throw new InvalidDuration(details.durationMonths);
}

function assertPartners(leadOrganisationId: string, partners: readonly ProposalPartner[]): void {
  const seen = new Set<string>();
  for (const { organisationId, role } of partners) {
    if (organisationId === leadOrganisationId) throw new LeadListedAsPartner(organisationId);
    if (seen.has(organisationId)) throw new DuplicatePartner(organisationId);
    seen.add(organisationId);
    if (!isText(role)) throw new PartnerRoleRequired(organisationId);
  }
}

/** The network is the lead plus its partners; the call's minPartners counts the lead (see CallDrafted). */
function assertNetworkSize(partnerCount: number, call: CallSnapshot): void {
  const networkSize = 1 + partnerCount;
  if (networkSize < call.minPartners) throw new TooFewPartners(networkSize, call.minPartners);
}

/** The lead is registered (it is the drafting applicant's own organisation) and its country eligible. */
function assertLead(leadOrganisationId: string, call: CallSnapshot, organisations: OrganisationSnapshots): void {
  const lead = organisations[leadOrganisationId];
  if (!lead) throw new UnknownOrganisation(leadOrganisationId);
  if (!call.eligibleCountries.includes(lead.country)) throw new LeadCountryNotEligible(lead.country, call.eligibleCountries);
}

/** At submission, when every listed partner has accepted: all registered, enough of them, an eligible lead. */
function assertNetwork(
  leadOrganisationId: string,
  partners: readonly ProposalPartner[],
  call: CallSnapshot,
  organisations: OrganisationSnapshots,
): void {
  for (const organisationId of partners.map((p) => p.organisationId)) {
    if (!organisations[organisationId]) throw new UnknownOrganisation(organisationId);
  }
  assertLead(leadOrganisationId, call, organisations);
  assertNetworkSize(partners.length, call);
}

function assertEnoughReviews(state: ProposalState, call: CallSnapshot): void {
  const reviews = countedReviews(state).length;
  if (reviews < call.reviewsRequired) throw new NotEnoughReviews(reviews, call.reviewsRequired);
}

/**
 * Every criterion of the call scored exactly once with an integer in [0, maxScore]. Returns the
 * weighted score: sum(score / maxScore * weight), 0-100 since weights sum to 100, rounded to 2 decimals.
 */
function scoreAgainstCriteria(scores: readonly CriterionScore[], criteria: CallSnapshot['criteria']): number {
  const byId = new Map(criteria.map((c) => [c.id, c]));
  const scored = new Set<string>();
  let weighted = 0;
  for (const { criterionId, score } of scores) {
    const criterion = byId.get(criterionId);
    if (!criterion || scored.has(criterionId)) throw new CriteriaNotScoredExactlyOnce(criterionId);
    scored.add(criterionId);
    if (!Number.isInteger(score) || score < 0 || score > criterion.maxScore) throw new ScoreOutOfRange(criterionId, score, criterion.maxScore);
    weighted += (score / criterion.maxScore) * criterion.weight;
  }
  const missing = criteria.find((c) => !scored.has(c.id));
  if (missing) throw new CriteriaNotScoredExactlyOnce(missing.id);
  return Math.round(weighted * 100) / 100;
}

function assertText(value: string, field: string): void {
  if (!isText(value)) throw new JustificationRequired(field);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

// ---------------------------------------------------------------------------------------------
// Helpers

function networkOf(state: ProposalState): string[] {
  return [state.leadOrganisationId, ...state.partners.map((p) => p.organisationId)];
}

function applyChanges(details: ProposalDetails, changes: ProposalContentChanges): ProposalDetails {
  const next = { ...details };
  if (changes.title !== undefined) next.title = changes.title;
  if (changes.summary !== undefined) next.summary = changes.summary;
  if (changes.policyIssue !== undefined) next.policyIssue = changes.policyIssue;
  if (changes.requestedMinor !== undefined) next.requestedMinor = changes.requestedMinor;
  if (changes.budgetLines !== undefined) next.budgetLines = copyBudgetLines(changes.budgetLines);
  if (changes.durationMonths !== undefined) next.durationMonths = changes.durationMonths;
  return next;
}

/** Only the fields that differ from the current details, without undefined keys (the log would drop them). */
function changedFields(details: ProposalDetails, requested: ProposalContentChanges): ProposalContentChanges {
  const changes: ProposalContentChanges = {};
  if (requested.title !== undefined && requested.title !== details.title) changes.title = requested.title;
  if (requested.summary !== undefined && requested.summary !== details.summary) changes.summary = requested.summary;
  if (requested.policyIssue !== undefined && requested.policyIssue !== details.policyIssue) changes.policyIssue = requested.policyIssue;
  if (requested.requestedMinor !== undefined && requested.requestedMinor !== details.requestedMinor) {
    changes.requestedMinor = requested.requestedMinor;
  }
  if (requested.budgetLines !== undefined && !sameBudget(requested.budgetLines, details.budgetLines)) {
    changes.budgetLines = copyBudgetLines(requested.budgetLines);
  }
  if (requested.durationMonths !== undefined && requested.durationMonths !== details.durationMonths) {
    changes.durationMonths = requested.durationMonths;
  }
  return changes;
}

function sameBudget(a: readonly BudgetLine[], b: readonly BudgetLine[]): boolean {
  return a.length === b.length && a.every((line, i) => line.label === b[i].label && line.amountMinor === b[i].amountMinor);
}
