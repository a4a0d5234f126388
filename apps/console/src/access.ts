/**
 * Who may use what in the console: the one place the views and actions are matched to roles, each
 * as the API's `@Roles` decorators allow the routes it calls (the API still judges every request).
 * A role with no view here (partner) is told so at sign-in instead of meeting a 403.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { MessageKey } from './i18n';

export type View = 'board' | 'reviews' | 'audit' | 'portfolio' | 'applicant';
export type Action = 'verify' | 'bundle' | 'grant' | 'waiveReport' | 'recuse';

/** Views, in the order the navigation lists them (a role's home first). */
const VIEWS: Record<View, { label: MessageKey; roles: readonly string[] }> = {
  // POST /proposals/:id/eligibility, reviewers, consensus, decision: grant-manager, admin.
  board: { label: 'nav.board', roles: ['grant-manager', 'admin'] },
  // GET /reviews/assigned, POST /proposals/:id/reviews and /conflicts: reviewer.
  reviews: { label: 'nav.reviews', roles: ['reviewer'] },
  // GET /search, /audit/streams/:streamId, /audit/decisions/:proposalId: auditor, admin, grant-manager.
  audit: { label: 'nav.audit', roles: ['auditor', 'admin', 'grant-manager'] },
  // GET /grants: grant-manager, admin, auditor (applicants read their organisation's in their own view).
  portfolio: { label: 'nav.portfolio', roles: ['grant-manager', 'admin', 'auditor'] },
  // GET /proposals, /grants, /partner-invitations (and a proposal's or grant's own reads and the
  // applicant's commands on them): applicant, for the organisation its token names (`org`).
  applicant: { label: 'nav.applicant', roles: ['applicant'] },
};

const ACTIONS: Record<Action, readonly string[]> = {
  // GET /audit/verify (audit-verify.controller.ts): auditor, admin.
  verify: ['auditor', 'admin'],
  // GET /audit/streams/:streamId/bundle and /audit/calls/:callId/bundle (audit-bundle.controller.ts): auditor only.
  bundle: ['auditor'],
  // POST /grants/:id/agreement, disbursements (and a tranche's payment, cancellation), reports (and a
  // report's acceptance, revision request), amendments, suspension, reinstatement, termination,
  // closure (grants.controller.ts): grant-manager, admin. Auditors read the grant (GET /grants/:id) only.
  grant: ['grant-manager', 'admin'],
  // POST /grants/:id/reports/:reportId/waiver (grants.controller.ts): grant-manager, admin.
  waiveReport: ['grant-manager', 'admin'],
  // POST /proposals/:id/recusals (proposals.controller.ts): grant-manager, admin.
  recuse: ['grant-manager', 'admin'],
};

const HOME: Record<string, View> = { reviewer: 'reviews', auditor: 'audit', 'grant-manager': 'board', admin: 'board', applicant: 'applicant' };

export const mayUse = (role: string, view: View): boolean => VIEWS[view].roles.includes(role);
export const mayDo = (role: string, action: Action): boolean => ACTIONS[action].includes(role);
/** The view a role lands on; undefined for a role the console has no view for. */
export const homeOf = (role: string): View | undefined => HOME[role];
export const isView = (name: string | undefined): name is View => name !== undefined && name in VIEWS;

/** The navigation a role sees: only the views it may use, its home first. */
export function navigationOf(role: string): { view: View; hash: string; label: MessageKey }[] {
  const home = homeOf(role);
  const views = (Object.keys(VIEWS) as View[]).filter((view) => mayUse(role, view));
  return [...views.filter((v) => v === home), ...views.filter((v) => v !== home)].map((view) => ({ view, hash: `#/${view}`, label: VIEWS[view].label }));
}

/** The signed-in role, for the views that offer an action only to some roles. */
export const RoleContext = createContext<string>('');
export const useMayDo = (action: Action): boolean => mayDo(useContext(RoleContext), action);

/** The signed-in applicant's organisation (the token's `org`): the invitations it answers are addressed to it. */
export const OrganisationContext = createContext<string | undefined>(undefined);
export const useOrganisation = (): string | undefined => useContext(OrganisationContext);
