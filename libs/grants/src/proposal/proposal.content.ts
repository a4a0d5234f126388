import type { ProposalState } from './proposal.decider';
import type { BudgetLine, ProposalPartner } from './proposal.events';

/** What a submission freezes: the fields whose hash ProposalSubmitted.contentHash records. */
export interface ProposalContent {
  proposalId: string;
  callId: string;
  leadOrganisationId: string;
  partners: ProposalPartner[];
  title: string;
  summary: string;
  policyIssue: string;
  requestedMinor: number;
  currency: string;
  budgetLines: BudgetLine[];
  durationMonths: number;
}

export function proposalContent(state: ProposalState): ProposalContent {
  const { details } = state;
  return {
    proposalId: state.proposalId,
    callId: state.callId,
    leadOrganisationId: state.leadOrganisationId,
    partners: state.partners.map(({ organisationId, role }) => ({ organisationId, role })),
    title: details.title,
    summary: details.summary,
    policyIssue: details.policyIssue,
    requestedMinor: details.requestedMinor,
    currency: details.currency,
    budgetLines: details.budgetLines.map(({ label, amountMinor }) => ({ label, amountMinor })),
    durationMonths: details.durationMonths,
  };
}

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, array order kept, undefined
 * properties dropped. The application hashes `canonicalJson(proposalContent(state))` with sha256
 * (outside the domain) and passes the hex digest on SubmitProposal; an auditor can recompute it.
 *
 * @deprecated The project's one canonical JSON (RFC 8785) is `canonicalJson` of
 * `@app/event-store/hash-chain`: hash the content with that one. Hashing is not the domain's
 * business (the domain only says what a submission freezes, `proposalContent`), and the domain may
 * not import it, so this copy goes once its last importers (application/proposals/proposal-commands.ts,
 * application/audit/dossier/decision-dossier.ts) import that one. On JSON values, all a proposal's
 * content holds, the two write the same bytes, so stored content hashes still verify
 * (libs/event-store/src/hash-chain/hash-pins.spec.ts pins one and checks random values).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
