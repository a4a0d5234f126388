import { ForbiddenException } from '@nestjs/common';
import { StreamNotFound } from '@app/domain/shared/decider';
import { proposalStreamName } from '@app/domain/proposal';

/**
 * Who may see and act on a proposal. These are the programme's role rules, not business rules of
 * the proposal itself, so they live in the application layer and never in the decider.
 *
 * - admins and grant managers see every proposal and run screening, reviewer assignment (and the
 *   recusal of an assigned reviewer), consensus, decisions and clarification requests;
 * - auditors see every proposal and act on none (the routes refuse them before this runs);
 * - applicants see the proposals their organisation leads or is an accepted partner of, and act
 *   only on those their organisation LEADS (draft, revise, partners, submit, withdraw, answer
 *   clarifications); an applicant of an invited organisation answers its invitation (accept,
 *   decline) without seeing the draft, an accepted partner's applicant signs off changed terms or
 *   leaves; the lead's and accepted partners' applicants request redress of a decision;
 * - reviewers see the proposals they were assigned to, until they are recused (a declared conflict
 *   of interest, or recused by the programme's staff: from then on the proposal, its documents and its reviews are 404 to them, as to any
 *   reviewer not assigned; they read the organisations' data only while they may judge it), and act
 *   only as themselves (declare a conflict — a recused reviewer may still add to its declaration —,
 *   submit their review);
 * - partner systems see nothing.
 *
 * A caller who may not see a proposal gets 404, exactly as if it did not exist (no existence
 * leak); a caller who may see it but not do the thing gets 403.
 */

export interface ProposalActor {
  id: string;
  role: string;
  organisationId?: string;
}

/** What access decisions look at: the folded stream state and the read model row both have it. */
export interface ProposalAudience {
  leadOrganisationId: string;
  /** Accepted partners only (members of the network): an invitation shows nothing of the draft. */
  partnerOrganisationIds: readonly string[];
  assignedReviewerIds: readonly string[];
  /** Reviewers recused from it (a conflict of interest): they no longer read it. */
  recusedReviewerIds?: readonly string[];
  /** Invited organisations that have not answered yet; only the command path needs them. */
  invitedOrganisationIds?: readonly string[];
}

export type ProposalRelation = 'programme' | 'auditor' | 'lead' | 'partner' | 'reviewer';

const PROGRAMME_ROLES: readonly string[] = ['admin', 'grant-manager'];

/**
 * How the actor relates to the proposal; `null` when they may not see it at all. `purpose`: 'act'
 * for a command, where a recused reviewer is still the proposal's reviewer (it may add to its
 * declaration; a review it sends is refused by the decider, 422), 'read' for everything it would
 * read, which a recused reviewer no longer may.
 */
export function relationTo(actor: ProposalActor, proposal: ProposalAudience, purpose: 'read' | 'act' = 'read'): ProposalRelation | null {
  switch (actor.role) {
    case 'admin':
    case 'grant-manager':
      return 'programme';
    case 'auditor':
      return 'auditor';
    case 'applicant':
      if (!actor.organisationId) return null;
      if (actor.organisationId === proposal.leadOrganisationId) return 'lead';
      return proposal.partnerOrganisationIds.includes(actor.organisationId) ? 'partner' : null;
    case 'reviewer':
      if (!proposal.assignedReviewerIds.includes(actor.id)) return null;
      return purpose === 'read' && proposal.recusedReviewerIds?.includes(actor.id) ? null : 'reviewer';
    default:
      return null;
  }
}

export function maySeeAllProposals(actor: ProposalActor): boolean {
  return PROGRAMME_ROLES.includes(actor.role) || actor.role === 'auditor';
}

/** Commands by who may send them. RecordAwardFundsUnavailable and RecordAwardFunded are the award process manager's alone. */
export const PROGRAMME_COMMANDS = ['ScreenEligibility', 'AssignReviewer', 'RecuseReviewer', 'RecordConsensus', 'RecordFundingDecision', 'RequestClarification', 'RecordRedressOutcome'] as const;
export const LEAD_APPLICANT_COMMANDS = [
  'DraftProposal',
  'ReviseProposal',
  'AddPartner',
  'RemovePartner',
  'SubmitProposal',
  'WithdrawProposal',
  'ProvideClarification',
] as const;
export const REVIEWER_COMMANDS = ['DeclareConflictOfInterest', 'SubmitReview'] as const;
/** Sent by an applicant of the invited (or accepted) partner organisation the command names, for it. */
export const PARTNER_COMMANDS = ['AcceptPartnership', 'DeclinePartnership', 'LeavePartnership'] as const;
/** Sent by an applicant of the lead or of an accepted partner, for its own organisation. */
export const NETWORK_COMMANDS = ['RequestRedress'] as const;

export type ProgrammeCommandType = (typeof PROGRAMME_COMMANDS)[number];
export type LeadApplicantCommandType = (typeof LEAD_APPLICANT_COMMANDS)[number];
export type ReviewerCommandType = (typeof REVIEWER_COMMANDS)[number];
export type PartnerCommandType = (typeof PARTNER_COMMANDS)[number];
export type NetworkCommandType = (typeof NETWORK_COMMANDS)[number];
export type HttpProposalCommandType = ProgrammeCommandType | LeadApplicantCommandType | ReviewerCommandType | PartnerCommandType | NetworkCommandType;

const includes = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value);

/**
 * Throws unless the actor may send a command of this type to this proposal. `proposal` is null
 * when the stream does not exist (only a draft creates it).
 */
export function authorizeProposalCommand(
  actor: ProposalActor,
  command: { type: HttpProposalCommandType; data: { proposalId: string; leadOrganisationId?: string; reviewerId?: string; organisationId?: string } },
  proposal: ProposalAudience | null,
): void {
  if (includes(PARTNER_COMMANDS, command.type)) {
    // The invited organisation answers for itself; anyone else learns nothing (404), not even whether it was invited.
    const organisationId = command.data.organisationId;
    const listed = proposal && organisationId && (proposal.partnerOrganisationIds.includes(organisationId) || proposal.invitedOrganisationIds?.includes(organisationId));
    const ownOrganisation = actor.role === 'applicant' && actor.organisationId === organisationId;
    if (!proposal || !listed || !ownOrganisation) {
      if (proposal && relationTo(actor, proposal, 'act')) throw new ForbiddenException("Only applicants of the invited organisation answer its invitation");
      throw new StreamNotFound(proposalStreamName(command.data.proposalId));
    }
    return;
  }
  if (command.type === 'DraftProposal') {
    if (actor.role !== 'applicant') throw new ForbiddenException('Only applicants draft proposals');
    if (!actor.organisationId || command.data.leadOrganisationId !== actor.organisationId) {
      throw new ForbiddenException('Applicants draft proposals led by their own organisation only');
    }
    return;
  }
  const relation = proposal ? relationTo(actor, proposal, 'act') : null;
  if (!relation) throw new StreamNotFound(proposalStreamName(command.data.proposalId));

  if (includes(PROGRAMME_COMMANDS, command.type)) {
    if (relation !== 'programme') throw new ForbiddenException('Only grant managers and admins may do this');
    return;
  }
  if (includes(LEAD_APPLICANT_COMMANDS, command.type)) {
    if (relation !== 'lead') throw new ForbiddenException("Only applicants of the proposal's lead organisation may do this");
    return;
  }
  if (includes(NETWORK_COMMANDS, command.type)) {
    if ((relation !== 'lead' && relation !== 'partner') || command.data.organisationId !== actor.organisationId) {
      throw new ForbiddenException('Only applicants of the lead or of an accepted partner may do this, for their own organisation');
    }
    return;
  }
  if (includes(REVIEWER_COMMANDS, command.type)) {
    if (relation !== 'reviewer' || command.data.reviewerId !== actor.id) throw new ForbiddenException('Only the assigned reviewer may do this, as themselves');
    return;
  }
  throw new ForbiddenException(`${command.type} is not available here`);
}
