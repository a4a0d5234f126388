import { ForbiddenException } from '@nestjs/common';

/**
 * Who may see and act on a grant. Role rules of the programme, not business rules of the grant, so
 * they live here, next to the grant's commands, in the style of proposals/proposal-access.ts:
 * - admins, grant managers and auditors see every grant (the routes say which of them act);
 * - applicants see the grants of the organisation their token names, and act for it only (the
 *   command handler checks that the grant's grantee is that organisation);
 * - another organisation's grant is "not found" to an applicant: its existence is not theirs to learn.
 */
export interface GrantActor {
  role: string;
  organisationId?: string;
}

/** The grantee filter of the actor's grant list: `undefined` for every grant, `null` for none at all. */
export function grantListScope(actor: GrantActor): { granteeOrganisationId?: string } | null {
  if (actor.role !== 'applicant') return {};
  return actor.organisationId ? { granteeOrganisationId: actor.organisationId } : null;
}

export function maySeeGrant(actor: GrantActor, grant: { granteeOrganisationId: string }): boolean {
  return actor.role !== 'applicant' || grant.granteeOrganisationId === actor.organisationId;
}

/**
 * Whether the actor reads who on the programme's staff did what (an amendment's approver): the
 * programme and auditors do; applicants see the decision, not the person (as on proposals: staff are
 * not traced outside the programme).
 */
export function seesGrantStaff(actor: GrantActor): boolean {
  return actor.role !== 'applicant';
}

/** Options for a grant command sent by the actor: an applicant acts for the organisation its token names. */
export function grantCommandOptions(actor: GrantActor): { actingForOrganisationId?: string } {
  if (actor.role !== 'applicant') return {};
  if (!actor.organisationId) throw new ForbiddenException('An applicant acts for an organisation');
  return { actingForOrganisationId: actor.organisationId };
}
