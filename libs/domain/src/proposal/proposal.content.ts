/**
 * A proposal's content, defined once: what a draft states (DraftProposal, ProposalDrafted), what a
 * revision may change (ReviseProposal, ProposalRevised, a clarification's revisedFields), what the
 * state keeps and what a submission freezes and hashes (ProposalSubmitted.contentHash). Events,
 * commands and the decider use these types and copy values with the functions below, so a field
 * added here fails to compile wherever it is not handled yet. (Changing a field changes stored
 * events: a new schema version of ProposalDrafted and ProposalRevised.)
 */
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

/** What a submission of the proposal in this state (a ProposalState) freezes. */
export function proposalContent(state: Pick<ProposalContent, 'proposalId' | 'callId' | 'leadOrganisationId' | 'partners'> & { details: ProposalDetails }): ProposalContent {
  const { proposalId, callId, leadOrganisationId, partners, details } = state;
  return copyProposalContent({ proposalId, callId, leadOrganisationId, partners, ...details });
}
