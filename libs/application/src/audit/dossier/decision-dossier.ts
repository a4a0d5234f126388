import { createHash } from 'node:crypto';
import { canonicalJson } from '@app/event-store/hash-chain';
import type { RecordedEvent } from '@app/event-store';
import { type CallEvent, callDecider } from '@app/domain/call';
import {
  type ConflictOfInterestDeclaredData,
  type ConsensusRecordedData,
  type EligibilityScreenedData,
  type FundingDecisionRecordedData,
  type PartnerInvitationAcceptedData,
  type PartnerInvitationDeclinedData,
  type ProposalContent,
  proposalContent,
  proposalDecider,
  type ProposalDraftedData,
  type ProposalEvent,
  type ProposalSubmittedData,
  type RedressOutcomeRecordedData,
  type RedressRequestedData,
  type ReviewerAssignedData,
  type ReviewerRecusedData,
  type ReviewSubmittedData,
} from '@app/domain/proposal';
import { fold } from '@app/domain/shared/decider';

/** Where an element of the dossier comes from in the log, so an auditor can cross-check it. */
export interface Evidence {
  eventId: string;
  streamId: string;
  streamVersion: number;
  position: string;
  recordedAt: string;
  actorId: string;
  actorRole: string;
}

type Without<T, K extends keyof T> = Omit<T, K>;
type WithEvidence<T> = T & { evidence: Evidence };

export interface DossierSubmission {
  version: number;
  contentHash: string;
  submittedAt: string;
  /** The content the hash covers, as it stood at submission (clarifications may have changed it later). */
  content: ProposalContent;
  /** sha256 of the canonical JSON of `content`, recomputed now: must equal `contentHash`. */
  recomputedContentHash: string;
  contentHashMatches: boolean;
  evidence: Evidence;
}

export interface DossierReview extends Without<ReviewSubmittedData, 'proposalId'> {
  /** False when the reviewer was recused before the decision: the review did not count. */
  counted: boolean;
  /** The reviewer was recused after the decision: the review counted, and the decision rests on it. */
  recusedAfterDecision: boolean;
  evidence: Evidence;
}

export interface DossierDecision extends Without<FundingDecisionRecordedData, 'proposalId'> {
  /** Who recorded it, from the event's metadata (the authenticated actor). */
  recordedBy: { actorId: string; actorRole: string };
  recordedAt: string;
  evidence: Evidence;
}

export interface DossierBudgetPosition {
  callId: string;
  currency: string;
  budgetMinor: number;
  /** Committed under the call when the decision was recorded (this award's own commitment comes after it). */
  committedMinor: number;
  remainingMinor: number;
  /** The call stream folded up to the decision's recorded time: its last event. */
  callVersion: number;
  evidence: Evidence;
}

/** A redress request against a decision and, once recorded, its outcome; each pointing at its event. */
export interface DossierRedress extends Without<RedressRequestedData, 'proposalId'> {
  evidence: Evidence;
  outcome: WithEvidence<Without<RedressOutcomeRecordedData, 'proposalId' | 'requestId'>> | null;
}

/** The network's answers to its invitations: acceptances (sign-offs of a terms version, with the mandate) and refusals. */
export interface DossierPartnerAnswer {
  organisationId: string;
  answer: 'accepted' | 'declined';
  /** accepted only */
  termsVersion?: number;
  /** Personal data of the partner: null once its organisation's personal data was erased. */
  mandateStatement?: string | null;
  answeredBy: string;
  answeredAt: string;
  evidence: Evidence;
}

export interface DecisionDossier {
  proposalId: string;
  callId: string;
  leadOrganisationId: string;
  drafted: WithEvidence<{ draftedAt: string }>;
  submission: DossierSubmission | null;
  screening: WithEvidence<Without<EligibilityScreenedData, 'proposalId'>> | null;
  reviewerAssignments: WithEvidence<Without<ReviewerAssignedData, 'proposalId'>>[];
  /** Also those declared after the decision (`afterDecision`): a conflict found later does not undo the decision, and an auditor must see it. */
  conflictDeclarations: AfterDecision<WithEvidence<Without<ConflictOfInterestDeclaredData, 'proposalId'>>>[];
  recusals: AfterDecision<WithEvidence<Without<ReviewerRecusedData, 'proposalId'>>>[];
  reviews: DossierReview[];
  consensus: WithEvidence<Without<ConsensusRecordedData, 'proposalId'>> | null;
  decision: DossierDecision;
  /** Earlier decisions of the same proposal that did not stand (e.g. an award the budget could not fund). */
  earlierDecisions: DossierDecision[];
  budgetPosition: DossierBudgetPosition | null;
  /** Invitations answered before submission: who accepted which terms with what mandate, who declined. */
  partnerAnswers: DossierPartnerAnswer[];
  /** Every redress request against a decision of this proposal, also those filed after the last decision, with its outcome. */
  redress: DossierRedress[];
}

/** A step recorded after the decision in force (true), or before it. */
type AfterDecision<T> = T & { afterDecision: boolean };

export function evidenceOf(event: RecordedEvent): Evidence {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    position: event.position,
    recordedAt: event.recordedAt.toISOString(),
    actorId: event.metadata.actorId,
    actorRole: event.metadata.actorRole,
  };
}

const withoutProposalId = <T extends { proposalId: string }>({ proposalId: _id, ...rest }: T): Omit<T, 'proposalId'> => rest;

/** The stream prefix that ends with its last funding decision, or null when it has none. */
export function upToLastDecision(proposalEvents: readonly RecordedEvent[]): RecordedEvent[] | null {
  const last = proposalEvents.findLastIndex((event) => event.type === 'FundingDecisionRecorded');
  return last < 0 ? null : proposalEvents.slice(0, last + 1);
}

/** The call events an auditor must fold to see its budget when the decision was recorded: a prefix, as in as-of reads. */
export function callEventsAsOf(callEvents: readonly RecordedEvent[], at: Date): RecordedEvent[] {
  const after = callEvents.findIndex((event) => event.recordedAt.getTime() > at.getTime());
  return after < 0 ? [...callEvents] : callEvents.slice(0, after);
}

/**
 * Everything that led to a funding decision, as it stood when it was made: `proposalEvents` is the
 * proposal stream up to and including its last FundingDecisionRecorded (decoded), `callEvents`
 * the call stream up to that decision's recorded time, `laterProposalEvents` the rest of the
 * proposal stream (what followed the decision: a redress request and its outcome). Pure: the same
 * events give the same dossier.
 */
export function buildDecisionDossier(
  proposalEvents: readonly RecordedEvent[],
  callEvents: readonly RecordedEvent[],
  laterProposalEvents: readonly RecordedEvent[] = [],
): DecisionDossier {
  const asDomain = (event: RecordedEvent) => ({ type: event.type, data: event.data }) as ProposalEvent;
  const of = <T>(event: RecordedEvent) => event.data as T;
  const draftedEvent = proposalEvents[0];
  if (draftedEvent?.type !== 'ProposalDrafted') throw new Error(`${draftedEvent?.streamId ?? 'proposal'} does not start with ProposalDrafted`);
  const drafted = of<ProposalDraftedData>(draftedEvent);

  const decisions: DossierDecision[] = [];
  const reviews: DossierReview[] = [];
  const partnerAnswers: DossierPartnerAnswer[] = [];
  const redress: DossierRedress[] = [];
  const recused = new Set<string>();
  const dossier: Omit<DecisionDossier, 'decision' | 'earlierDecisions' | 'budgetPosition' | 'partnerAnswers' | 'redress'> = {
    proposalId: drafted.proposalId,
    callId: drafted.callId,
    leadOrganisationId: drafted.leadOrganisationId,
    drafted: { draftedAt: drafted.draftedAt, evidence: evidenceOf(draftedEvent) },
    submission: null,
    screening: null,
    reviewerAssignments: [],
    conflictDeclarations: [],
    recusals: [],
    reviews,
    consensus: null,
  };

  proposalEvents.forEach((event, index) => {
    const evidence = evidenceOf(event);
    switch (event.type) {
      case 'ProposalSubmitted': {
        const submitted = of<ProposalSubmittedData>(event);
        const content = proposalContent(fold(proposalDecider, proposalEvents.slice(0, index + 1).map(asDomain)));
        const recomputedContentHash = createHash('sha256').update(canonicalJson(content)).digest('hex');
        dossier.submission = {
          version: submitted.version,
          contentHash: submitted.contentHash,
          submittedAt: submitted.submittedAt,
          content,
          recomputedContentHash,
          contentHashMatches: recomputedContentHash === submitted.contentHash,
          evidence,
        };
        return;
      }
      case 'EligibilityScreened':
        dossier.screening = { ...withoutProposalId(of<EligibilityScreenedData>(event)), evidence };
        return;
      case 'ReviewerAssigned':
        dossier.reviewerAssignments.push({ ...withoutProposalId(of<ReviewerAssignedData>(event)), evidence });
        return;
      case 'ConflictOfInterestDeclared':
        dossier.conflictDeclarations.push({ ...withoutProposalId(of<ConflictOfInterestDeclaredData>(event)), evidence, afterDecision: false });
        return;
      case 'ReviewerRecused': {
        const recusal = of<ReviewerRecusedData>(event);
        recused.add(recusal.reviewerId);
        dossier.recusals.push({ ...withoutProposalId(recusal), evidence, afterDecision: false });
        return;
      }
      case 'ReviewSubmitted':
        reviews.push({ ...withoutProposalId(of<ReviewSubmittedData>(event)), counted: true, recusedAfterDecision: false, evidence });
        return;
      case 'ConsensusRecorded':
        dossier.consensus = { ...withoutProposalId(of<ConsensusRecordedData>(event)), evidence };
        return;
      case 'PartnerInvitationAccepted': {
        const { organisationId, termsVersion, mandateStatement, acceptedBy, acceptedAt } = of<PartnerInvitationAcceptedData>(event);
        partnerAnswers.push({ organisationId, answer: 'accepted', termsVersion, mandateStatement, answeredBy: acceptedBy, answeredAt: acceptedAt, evidence });
        return;
      }
      case 'PartnerInvitationDeclined': {
        const { organisationId, declinedBy, declinedAt } = of<PartnerInvitationDeclinedData>(event);
        partnerAnswers.push({ organisationId, answer: 'declined', answeredBy: declinedBy, answeredAt: declinedAt, evidence });
        return;
      }
      case 'FundingDecisionRecorded':
        decisions.push({
          ...withoutProposalId(of<FundingDecisionRecordedData>(event)),
          recordedBy: { actorId: event.metadata.actorId, actorRole: event.metadata.actorRole },
          recordedAt: evidence.recordedAt,
          evidence,
        });
        return;
      default:
        return;
    }
  });
  for (const review of reviews) review.counted = !recused.has(review.reviewerId);
  // Conflicts declared and recusals made after the decision: they do not change what counted then.
  for (const event of laterProposalEvents) {
    if (event.type === 'ConflictOfInterestDeclared') {
      dossier.conflictDeclarations.push({ ...withoutProposalId(of<ConflictOfInterestDeclaredData>(event)), evidence: evidenceOf(event), afterDecision: true });
    } else if (event.type === 'ReviewerRecused') {
      const recusal = of<ReviewerRecusedData>(event);
      dossier.recusals.push({ ...withoutProposalId(recusal), evidence: evidenceOf(event), afterDecision: true });
      for (const review of reviews) if (review.counted && review.reviewerId === recusal.reviewerId) review.recusedAfterDecision = true;
    }
  }
  for (const event of [...proposalEvents, ...laterProposalEvents]) {
    if (event.type === 'RedressRequested') {
      redress.push({ ...withoutProposalId(of<RedressRequestedData>(event)), evidence: evidenceOf(event), outcome: null });
    } else if (event.type === 'RedressOutcomeRecorded') {
      const { proposalId: _id, requestId, ...outcome } = of<RedressOutcomeRecordedData>(event);
      const request = redress.find((r) => r.requestId === requestId);
      if (request) request.outcome = { ...outcome, evidence: evidenceOf(event) };
    }
  }

  const decision = decisions.pop();
  if (!decision) throw new Error(`${draftedEvent.streamId} has no funding decision`);
  return { ...dossier, decision, earlierDecisions: decisions, budgetPosition: budgetPosition(callEvents), partnerAnswers, redress };
}

function budgetPosition(callEvents: readonly RecordedEvent[]): DossierBudgetPosition | null {
  const last = callEvents[callEvents.length - 1];
  if (!last) return null;
  const call = fold(callDecider, callEvents.map((event) => ({ type: event.type, data: event.data }) as CallEvent));
  if (call.status === 'none') return null;
  return {
    callId: call.callId,
    currency: call.terms.currency,
    budgetMinor: call.terms.budgetMinor,
    committedMinor: call.committedMinor,
    remainingMinor: call.terms.budgetMinor - call.committedMinor,
    callVersion: last.streamVersion,
    evidence: evidenceOf(last),
  };
}
