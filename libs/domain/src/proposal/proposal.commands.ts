import type { ProposalContent, ProposalContentChanges } from './proposal.content';
import type { ConsensusCriterion, CriterionScore, EligibilityResult, FundingDecision, RedressOutcome, ReviewRecommendation } from './proposal.events';
import type { CallSnapshot, OrganisationSnapshots } from './proposal.snapshots';

/**
 * Commands for the `proposal-{uuid}` stream. Every command names its proposal (`data.proposalId`)
 * and carries `now` from the application's injected clock. Ids (proposal, clarification request,
 * grant) are generated outside. Facts from other streams come in as snapshots (`call`,
 * `organisations`); people who act in a rule's terms (screenedBy, decidedBy, ...) are in `data`.
 */

/** The whole content of the new proposal (see proposal.content.ts). */
export type DraftProposalData = ProposalContent;

export type DraftProposal = {
  type: 'DraftProposal';
  data: DraftProposalData;
  call: CallSnapshot;
  /**
   * At least the lead. Partners are invited, never looked up: whether a named organisation is
   * registered must not change the answer (no registry oracle).
   */
  organisations: OrganisationSnapshots;
  now: string;
};

export type ReviseProposal = {
  type: 'ReviseProposal';
  data: { proposalId: string } & ProposalContentChanges;
  call: CallSnapshot;
  now: string;
};

/** Invites an organisation into the network of a draft (PartnerJoined); the answer never depends on whether it is registered. */
export type AddPartner = {
  type: 'AddPartner';
  data: { proposalId: string; organisationId: string; role: string };
  call: CallSnapshot;
  now: string;
};

/**
 * An applicant of an invited organisation accepts the invitation, or signs off the terms again
 * after they changed. `termsVersion` is the version of the terms the applicant was shown.
 */
export type AcceptPartnership = {
  type: 'AcceptPartnership';
  data: { proposalId: string; organisationId: string; acceptedBy: string; mandateStatement: string; termsVersion: number };
  now: string;
};

/** An applicant of an invited organisation declines the invitation. */
export type DeclinePartnership = {
  type: 'DeclinePartnership';
  data: { proposalId: string; organisationId: string; declinedBy: string };
  now: string;
};

/** An applicant of an accepted partner takes its organisation out of the network, before submission. */
export type LeavePartnership = {
  type: 'LeavePartnership';
  data: { proposalId: string; organisationId: string; leftBy: string };
  now: string;
};

export type RemovePartner = {
  type: 'RemovePartner';
  data: { proposalId: string; organisationId: string };
  call: CallSnapshot;
  now: string;
};

export type SubmitProposal = {
  type: 'SubmitProposal';
  /** contentHash: sha256 hex of canonicalJson(proposalContent(state)), computed by the application. */
  data: { proposalId: string; contentHash: string };
  call: CallSnapshot;
  /** The lead and every partner, as they are now. */
  organisations: OrganisationSnapshots;
  now: string;
};

export type WithdrawProposal = {
  type: 'WithdrawProposal';
  data: { proposalId: string; reason: string; withdrawnBy: string };
  now: string;
};

export type ScreenEligibility = {
  type: 'ScreenEligibility';
  data: { proposalId: string; results: EligibilityResult[]; screenedBy: string };
  now: string;
};

export type AssignReviewer = {
  type: 'AssignReviewer';
  data: { proposalId: string; reviewerId: string; assignedBy: string };
  /** The lead and every partner: their member users may not review the proposal. */
  organisations: OrganisationSnapshots;
  now: string;
};

export type DeclareConflictOfInterest = {
  type: 'DeclareConflictOfInterest';
  data: { proposalId: string; reviewerId: string; description: string };
  now: string;
};

/**
 * A grant manager or an admin recuses an assigned reviewer: a conflict of interest the programme
 * learned of otherwise than from the reviewer (a complaint, a disclosure by a third party), with
 * the reason. `recusedBy`: the staff member's user id.
 */
export type RecuseReviewer = {
  type: 'RecuseReviewer';
  data: { proposalId: string; reviewerId: string; reason: string; recusedBy: string };
  now: string;
};

export type SubmitReview = {
  type: 'SubmitReview';
  data: {
    proposalId: string;
    reviewerId: string;
    scores: CriterionScore[];
    recommendation: ReviewRecommendation;
    comment: string;
  };
  call: CallSnapshot;
  /** The lead and every partner: a reviewer who became a member user of one since the assignment may not review. */
  organisations: OrganisationSnapshots;
  now: string;
};

export type RecordConsensus = {
  type: 'RecordConsensus';
  data: { proposalId: string; score: number; summary: string; recordedBy: string; criteria?: ConsensusCriterion[] };
  call: CallSnapshot;
  now: string;
};

export type RecordFundingDecision = {
  type: 'RecordFundingDecision';
  data: {
    proposalId: string;
    decision: FundingDecision;
    /** Award only. */
    amountMinor?: number;
    reasons: string;
    decidedBy: string;
    committee: string;
    /** Award only; generated outside. */
    grantId?: string;
  };
  call: CallSnapshot;
  /** The lead and every partner as they are now: no award while one of them failed its due diligence. */
  organisations: OrganisationSnapshots;
  now: string;
};

/** Sent by the award process manager when the call's budget cannot cover the award. */
export type RecordAwardFundsUnavailable = {
  type: 'RecordAwardFundsUnavailable';
  /** reason: the rule code of the call's refusal (e.g. call.commitment.budget-exceeded). */
  data: { proposalId: string; grantId: string; amountMinor: number; remainingMinor: number; reason?: string };
  now: string;
};

/** The award process manager's, once the grant exists. */
export type RecordAwardFunded = {
  type: 'RecordAwardFunded';
  data: { proposalId: string; grantId: string; amountMinor: number };
  now: string;
};

export type RequestClarification = {
  type: 'RequestClarification';
  data: { proposalId: string; requestId: string; questions: string[]; requestedBy: string };
  now: string;
};

export type ProvideClarification = {
  type: 'ProvideClarification';
  data: { proposalId: string; requestId: string; answer: string; revisedFields?: ProposalContentChanges };
  /** Needed to check revised content against the call's rules. */
  call: CallSnapshot;
  now: string;
};

/**
 * The lead or an accepted partner asks for a review of the evaluation procedure behind the standing
 * decision. `redressWindowDays` comes from configuration (REDRESS_WINDOW_DAYS, default 30).
 */
export type RequestRedress = {
  type: 'RequestRedress';
  data: { proposalId: string; requestId: string; organisationId: string; grounds: string; requestedBy: string };
  redressWindowDays: number;
  now: string;
};

/** A grant manager records the outcome of an open redress request. */
export type RecordRedressOutcome = {
  type: 'RecordRedressOutcome';
  data: { proposalId: string; requestId: string; outcome: RedressOutcome; reasons: string; decidedBy: string };
  now: string;
};

/**
 * Records a document already stored (content-addressed, encrypted) for the proposal; the application
 * stores the bytes first. `organisationId` is the organisation whose key encrypted it: the lead.
 */
export type AttachProposalDocument = {
  type: 'AttachProposalDocument';
  data: { proposalId: string; documentId: string; organisationId: string; name: string; sizeBytes: number; contentType: string; sha256: string; attachedBy: string };
  /** The proposal's call: documents are attached, like every draft change, only while it is open. */
  call: CallSnapshot;
  now: string;
};

export type ProposalCommand =
  | DraftProposal
  | ReviseProposal
  | AddPartner
  | RemovePartner
  | AcceptPartnership
  | DeclinePartnership
  | LeavePartnership
  | SubmitProposal
  | WithdrawProposal
  | ScreenEligibility
  | AssignReviewer
  | DeclareConflictOfInterest
  | RecuseReviewer
  | SubmitReview
  | RecordConsensus
  | RecordFundingDecision
  | RecordAwardFundsUnavailable
  | RecordAwardFunded
  | RequestClarification
  | ProvideClarification
  | RequestRedress
  | RecordRedressOutcome
  | AttachProposalDocument;

export type ProposalCommandType = ProposalCommand['type'];
