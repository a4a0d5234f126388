/**
 * Events of the `proposal-{uuid}` stream. The `type` strings are stored in the log: never derive
 * them from class names, never rename them. Amounts are integers in minor units of the call's
 * currency; timestamps are ISO 8601 strings from the application's clock.
 */

import { eventTypesOf, isEventOf } from '../shared/stream-kind';
import type { ProposalContent, ProposalContentChanges } from './proposal.content';

export type ReviewRecommendation = 'fund' | 'do-not-fund' | 'reserve';
export const REVIEW_RECOMMENDATIONS: readonly ReviewRecommendation[] = ['fund', 'do-not-fund', 'reserve'];

export type FundingDecision = 'award' | 'reject' | 'reserve';
export const FUNDING_DECISIONS: readonly FundingDecision[] = ['award', 'reject', 'reserve'];

export interface EligibilityResult {
  rule: string;
  passed: boolean;
  note: string;
}

export interface CriterionScore {
  criterionId: string;
  /** Integer in [0, the criterion's maxScore]. */
  score: number;
  comment: string;
}

/** The whole content as drafted (see proposal.content.ts). */
export interface ProposalDraftedData extends ProposalContent {
  draftedAt: string;
}

export interface ProposalRevisedData extends ProposalContentChanges {
  proposalId: string;
  revisedAt: string;
}

/**
 * The lead lists an organisation as a partner of a draft: an invitation, pending the organisation's
 * answer (PartnerInvitationAccepted or PartnerInvitationDeclined). Partners listed in
 * ProposalDrafted are invited in the same way. (The name predates consent and is stored in the log.)
 */
export interface PartnerJoinedData {
  proposalId: string;
  organisationId: string;
  role: string;
  joinedAt: string;
}

export interface PartnerLeftData {
  proposalId: string;
  organisationId: string;
  /**
   * The applicant of the partner organisation who took it out of the network (LeavePartnership);
   * absent when the lead removed the partner, and on events recorded before partners could leave
   * (optional, so those stay valid as they are and the schema version did not change).
   */
  leftBy?: string;
  leftAt: string;
}

/**
 * An applicant of an invited organisation accepted the invitation, or signed off the terms again
 * after they changed: `termsVersion` is the version of the terms (budget and partners) it accepted.
 * The person who accepted appears only by the opaque `acceptedBy`. `mandateStatement` records the
 * mandate to join (e.g. "board resolution signed by …"): free text that may name people, so it is
 * personal data of the accepting organisation (`organisationId`), encrypted with its key and `null`
 * once that organisation's personal data is erased. (Events recorded before it was personal data
 * hold it in clear, and keep it.)
 */
export interface PartnerInvitationAcceptedData {
  proposalId: string;
  organisationId: string;
  acceptedBy: string;
  mandateStatement: string | null;
  termsVersion: number;
  acceptedAt: string;
}

/** An applicant of an invited organisation declined: the organisation is no longer listed. */
export interface PartnerInvitationDeclinedData {
  proposalId: string;
  organisationId: string;
  declinedBy: string;
  declinedAt: string;
}

export interface ProposalSubmittedData {
  proposalId: string;
  /** Revision of the submitted content: 1 + the content changes (revisions, partner changes) since drafting. */
  version: number;
  /** sha256 (hex) of the canonical JSON of the submitted content, computed outside the domain (see proposalContent). */
  contentHash: string;
  submittedAt: string;
}

/**
 * Schema version 2. Version 1 had no `withdrawnBy`: who withdrew was only in the event's metadata
 * (actorId), unlike every other decision on a proposal (screenedBy, decidedBy, ...), so a reader of
 * the data alone could not tell. The upcaster (proposal.upcasters.ts) fills it from that metadata.
 */
export interface ProposalWithdrawnData {
  proposalId: string;
  reason: string;
  /** User id of whoever withdrew the proposal (an applicant acting for the lead organisation). */
  withdrawnBy: string;
  withdrawnAt: string;
}

export interface EligibilityScreenedData {
  proposalId: string;
  results: EligibilityResult[];
  /** True exactly when every result passed. */
  eligible: boolean;
  screenedBy: string;
  screenedAt: string;
}

export interface ReviewerAssignedData {
  proposalId: string;
  reviewerId: string;
  assignedBy: string;
  assignedAt: string;
}

export interface ConflictOfInterestDeclaredData {
  proposalId: string;
  reviewerId: string;
  description: string;
  declaredAt: string;
}

/** Who made a recusal: the reviewer (declaring a conflict of interest), or the programme's staff. */
export type RecusalBy = 'reviewer' | 'staff';

/**
 * Schema version 2. The reviewer no longer judges the proposal: a review it wrote does not count
 * (or, after the decision, is marked as written by a reviewer recused since), and it may neither
 * review nor be assigned again. `by`: `reviewer` when the reviewer declared a conflict of interest
 * (ConflictOfInterestDeclared precedes it in the same append), `staff` when a grant manager or an
 * admin recused it (RecuseReviewer: a conflict the programme learned of, e.g. from a complaint,
 * with the reason they gave). `recusedBy`: the user id of who made it (the reviewer itself, or the
 * staff member). Version 1 had neither: every recusal then followed the reviewer's own declaration,
 * and the upcaster (proposal.upcasters.ts) says so.
 */
export interface ReviewerRecusedData {
  proposalId: string;
  reviewerId: string;
  reason: string;
  by: RecusalBy;
  recusedBy: string;
  recusedAt: string;
}

export interface ReviewSubmittedData {
  proposalId: string;
  reviewerId: string;
  scores: CriterionScore[];
  /** 0-100: sum over criteria of score / maxScore * weight (weights sum to 100), rounded to 2 decimals. */
  weightedScore: number;
  recommendation: ReviewRecommendation;
  comment: string;
  submittedAt: string;
}

/** The panel's agreed score and comment on one criterion of the call. */
export interface ConsensusCriterion {
  criterionId: string;
  /** Integer in [0, the criterion's maxScore]. */
  score: number;
  comment: string;
}

export interface ConsensusRecordedData {
  proposalId: string;
  /** 0-100. */
  score: number;
  summary: string;
  /**
   * Per criterion of the call, each exactly once: what applicants read in the evaluation summary.
   * Optional: consensus recorded before it was kept has none (and stays valid, so the schema
   * version did not change).
   */
  criteria?: ConsensusCriterion[];
  recordedBy: string;
  recordedAt: string;
}

export interface FundingDecisionRecordedData {
  proposalId: string;
  decision: FundingDecision;
  /** Award only. */
  amountMinor?: number;
  reasons: string;
  decidedBy: string;
  /** The deciding committee or body, free text (names). */
  committee: string;
  /** Award only: generated outside, so a process manager can create grant-{grantId} idempotently. */
  grantId?: string;
  decidedAt: string;
}

/**
 * Appended by the award process manager when the call refused to commit the award's funds.
 * `remainingMinor` is what the call had left when it refused. `reason` is the refusal's rule code
 * (e.g. `call.commitment.budget-exceeded`); optional, because events recorded before it was added
 * lack it and stay valid as they are (so the schema version did not change).
 */
export interface AwardFundsUnavailableData {
  proposalId: string;
  grantId: string;
  amountMinor: number;
  remainingMinor: number;
  reason?: string;
  recordedAt: string;
}

/**
 * Appended by the award process manager once the call committed the award's funds and the grant
 * was created: the award's outcome, told on the proposal's own stream (so the proposal, its ETag
 * and its as-of answers change with it, never with another stream's read model).
 */
export interface AwardFundedData {
  proposalId: string;
  grantId: string;
  amountMinor: number;
  recordedAt: string;
}

export type RedressOutcome = 'upheld' | 'rejected';
export const REDRESS_OUTCOMES: readonly RedressOutcome[] = ['upheld', 'rejected'];

/** The lead or an accepted partner asks for a review of the evaluation procedure of the standing decision. */
export interface RedressRequestedData {
  proposalId: string;
  requestId: string;
  /** The organisation the applicant acted for (the lead or an accepted partner). */
  organisationId: string;
  /**
   * Free text that may name people: personal data of `organisationId`, encrypted with its key and
   * `null` once that organisation's personal data is erased. (Events recorded before it was
   * personal data hold it in clear, and keep it.)
   */
  grounds: string | null;
  requestedBy: string;
  /** End of the window the request was filed in: the decision's time plus the configured days. */
  windowEndsAt: string;
  requestedAt: string;
}

/** upheld: the decision does not stand and the proposal goes back to evaluation; rejected: it stands, with reasons. */
export interface RedressOutcomeRecordedData {
  proposalId: string;
  requestId: string;
  outcome: RedressOutcome;
  reasons: string;
  decidedBy: string;
  decidedAt: string;
}

export interface ClarificationRequestedData {
  proposalId: string;
  requestId: string;
  questions: string[];
  requestedBy: string;
  requestedAt: string;
}

export interface ClarificationProvidedData {
  proposalId: string;
  requestId: string;
  answer: string;
  /** The only way a submitted proposal's content changes; present only when something changed. */
  revisedFields?: ProposalContentChanges;
  providedAt: string;
}

export type ProposalDrafted = { type: 'ProposalDrafted'; data: ProposalDraftedData };
export type ProposalRevised = { type: 'ProposalRevised'; data: ProposalRevisedData };
export type PartnerJoined = { type: 'PartnerJoined'; data: PartnerJoinedData };
export type PartnerLeft = { type: 'PartnerLeft'; data: PartnerLeftData };
export type PartnerInvitationAccepted = { type: 'PartnerInvitationAccepted'; data: PartnerInvitationAcceptedData };
export type PartnerInvitationDeclined = { type: 'PartnerInvitationDeclined'; data: PartnerInvitationDeclinedData };
export type ProposalSubmitted = { type: 'ProposalSubmitted'; data: ProposalSubmittedData };
export type ProposalWithdrawn = { type: 'ProposalWithdrawn'; data: ProposalWithdrawnData };
export type EligibilityScreened = { type: 'EligibilityScreened'; data: EligibilityScreenedData };
export type ReviewerAssigned = { type: 'ReviewerAssigned'; data: ReviewerAssignedData };
export type ConflictOfInterestDeclared = { type: 'ConflictOfInterestDeclared'; data: ConflictOfInterestDeclaredData };
export type ReviewerRecused = { type: 'ReviewerRecused'; data: ReviewerRecusedData };
export type ReviewSubmitted = { type: 'ReviewSubmitted'; data: ReviewSubmittedData };
export type ConsensusRecorded = { type: 'ConsensusRecorded'; data: ConsensusRecordedData };
export type FundingDecisionRecorded = { type: 'FundingDecisionRecorded'; data: FundingDecisionRecordedData };
export type AwardFundsUnavailable = { type: 'AwardFundsUnavailable'; data: AwardFundsUnavailableData };
export type AwardFunded = { type: 'AwardFunded'; data: AwardFundedData };
export type ClarificationRequested = { type: 'ClarificationRequested'; data: ClarificationRequestedData };
export type ClarificationProvided = { type: 'ClarificationProvided'; data: ClarificationProvidedData };
export type RedressRequested = { type: 'RedressRequested'; data: RedressRequestedData };
export type RedressOutcomeRecorded = { type: 'RedressOutcomeRecorded'; data: RedressOutcomeRecordedData };

/**
 * A document stored for the proposal (content-addressed, encrypted with the key of the organisation
 * owning it: the lead). `name` is that organisation's personal data, encrypted with the same key,
 * so an erasure of the organisation shreds the file and its name together; `null` after that.
 */
export interface ProposalDocumentAttachedData {
  proposalId: string;
  documentId: string;
  organisationId: string;
  name: string | null;
  sizeBytes: number;
  contentType: string;
  sha256: string;
  attachedBy: string;
  attachedAt: string;
}
export type ProposalDocumentAttached = { type: 'ProposalDocumentAttached'; data: ProposalDocumentAttachedData };

export type ProposalEvent =
  | ProposalDrafted
  | ProposalRevised
  | PartnerJoined
  | PartnerLeft
  | PartnerInvitationAccepted
  | PartnerInvitationDeclined
  | ProposalSubmitted
  | ProposalWithdrawn
  | EligibilityScreened
  | ReviewerAssigned
  | ConflictOfInterestDeclared
  | ReviewerRecused
  | ReviewSubmitted
  | ConsensusRecorded
  | FundingDecisionRecorded
  | AwardFundsUnavailable
  | AwardFunded
  | ClarificationRequested
  | ClarificationProvided
  | RedressRequested
  | RedressOutcomeRecorded
  | ProposalDocumentAttached;

export type ProposalEventType = ProposalEvent['type'];

/**
 * Schema version stored with each event type. A change to a data shape bumps it and adds an
 * upcaster from the previous version to `proposalEventUpcasters` (the registry refuses to start
 * without one); the codec upcasts on read, so the decider and every consumer see the current shape.
 */
export const proposalEventSchemaVersions: Readonly<Record<ProposalEventType, number>> = {
  ProposalDrafted: 1,
  ProposalRevised: 1,
  PartnerJoined: 1,
  PartnerLeft: 1,
  PartnerInvitationAccepted: 1,
  PartnerInvitationDeclined: 1,
  ProposalSubmitted: 1,
  ProposalWithdrawn: 2,
  EligibilityScreened: 1,
  ReviewerAssigned: 1,
  ConflictOfInterestDeclared: 1,
  ReviewerRecused: 2,
  ReviewSubmitted: 1,
  ConsensusRecorded: 1,
  FundingDecisionRecorded: 1,
  AwardFundsUnavailable: 1,
  AwardFunded: 1,
  ClarificationRequested: 1,
  ClarificationProvided: 1,
  RedressRequested: 1,
  RedressOutcomeRecorded: 1,
  ProposalDocumentAttached: 1,
};

/** Personal fields per event type (encrypted by the infrastructure; `null` once erased). */
export const proposalPersonalDataFields: Readonly<Partial<Record<ProposalEventType, readonly string[]>>> = {
  ProposalDocumentAttached: ['name'],
  PartnerInvitationAccepted: ['mandateStatement'],
  RedressRequested: ['grounds'],
  ConflictOfInterestDeclared: ['description'],
};

/**
 * The personal-data subject of a reviewer: one key per reviewer (the identity provider's `sub`),
 * sealing what the ledger keeps of that person — the e-mail address an admin recorded and the text
 * of their conflict-of-interest declarations (a relation to an applicant, often naming people) —
 * and destroyed by that reviewer's erasure (`DELETE /admin/reviewer-contacts/:reviewerId`). The
 * prefix is the one the contacts were sealed under first.
 */
export function reviewerPersonalDataSubject(reviewerId: string): string {
  return `reviewer-contact-${reviewerId}`;
}

/**
 * Whose personal data they are: not the proposal stream's, but the organisation's that wrote them —
 * a document's owner, the partner that accepted, the organisation that asked for redress — so an
 * erasure of that organisation shreds them; a conflict declaration's, the reviewer's who declared it.
 */
export const proposalPersonalDataSubjects: Readonly<Partial<Record<ProposalEventType, (data: never) => string>>> = {
  ProposalDocumentAttached: (data: ProposalDocumentAttachedData) => `organisation-${data.organisationId}`,
  PartnerInvitationAccepted: (data: PartnerInvitationAcceptedData) => `organisation-${data.organisationId}`,
  RedressRequested: (data: RedressRequestedData) => `organisation-${data.organisationId}`,
  ConflictOfInterestDeclared: (data: ConflictOfInterestDeclaredData) => reviewerPersonalDataSubject(data.reviewerId),
};

export const PROPOSAL_EVENT_TYPES = eventTypesOf(proposalEventSchemaVersions);

export function isProposalEvent(event: { type: string }): event is ProposalEvent {
  return isEventOf(proposalEventSchemaVersions, event);
}

export const PROPOSAL_STREAM_PREFIX = 'proposal-';

/** The stream a proposal's events live in: `proposal-{uuid}`. */
export function proposalStreamName(proposalId: string): string {
  return `${PROPOSAL_STREAM_PREFIX}${proposalId}`;
}
