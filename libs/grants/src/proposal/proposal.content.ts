/**
 * A proposal's content, defined once: what a draft states (DraftProposal, ProposalDrafted), what a
 * revision may change (ReviseProposal, ProposalRevised, a clarification's revisedFields), what the
 * state keeps and what a submission freezes and hashes (ProposalSubmitted.contentHash). Events,
 * commands and the decider use these types and copy values with the functions below, so a field
 * added here fails to compile wherever it is not handled yet. (Changing a field changes stored
 * events: a new schema version of ProposalDrafted and ProposalRevised.)
 */
import type { ProposalState } from './proposal.decider';

export interface ProposalPartner {
  organisationId: string;
  /** Free text, e.g. "research", "community outreach". */
  role: string;
}

export interface BudgetLine {
  label: string;
  amountMinor: number;
}

/** What the proposal says, apart from who proposes it to which call. */
export interface ProposalDetails {
  title: string;
  summary: string;
  policyIssue: string;
  requestedMinor: number;
  /** ISO 4217; the call's currency, fixed at drafting. */
  currency: string;
  budgetLines: BudgetLine[];
  durationMonths: number;
}

/** The fields of a proposal's content that a revision (or a clarification answer) may change: every detail but the currency. */
export type ProposalContentChanges = Partial<Omit<ProposalDetails, 'currency'>>;

/** The whole content: what a draft states and a submission freezes (the fields whose hash ProposalSubmitted.contentHash records). */
export interface ProposalContent extends ProposalDetails {
  proposalId: string;
  callId: string;
  leadOrganisationId: string;
  /** The other organisations of the network; the lead is never listed here. */
  partners: ProposalPartner[];
}

export function copyBudgetLines(lines: readonly BudgetLine[]): BudgetLine[] {
  return lines.map(({ label, amountMinor }) => ({ label, amountMinor }));
}

/** Exactly the details of `source` (a command's data, an event's data, a content), copied. */
export function proposalDetailsOf(source: ProposalDetails): ProposalDetails {
  return {
    title: source.title,
    summary: source.summary,
    policyIssue: source.policyIssue,
    requestedMinor: source.requestedMinor,
    currency: source.currency,
    budgetLines: copyBudgetLines(source.budgetLines),
    durationMonths: source.durationMonths,
  };
}

/** Exactly the content of `source`, copied: nothing else it may carry (a command's extra fields, an event's time). */
export function copyProposalContent(source: ProposalContent): ProposalContent {
  return {
    proposalId: source.proposalId,
    callId: source.callId,
    leadOrganisationId: source.leadOrganisationId,
    partners: source.partners.map(({ organisationId, role }) => ({ organisationId, role })),
    ...proposalDetailsOf(source),
  };
}

/** What a submission of the proposal in this state freezes. */
export function proposalContent(state: ProposalState): ProposalContent {
  const { proposalId, callId, leadOrganisationId, partners, details } = state;
  return copyProposalContent({ proposalId, callId, leadOrganisationId, partners, ...details });
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
