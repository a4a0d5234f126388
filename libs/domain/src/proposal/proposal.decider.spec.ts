import { AlreadyExists, fold, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import { given as givenEvents } from '../shared/testing';
import type { AttachProposalDocument, DraftProposal, ProposalCommand, RecordFundingDecision, SubmitReview } from './proposal.commands';
import { proposalContent } from './proposal.content';
import { acceptedPartnerIds, invitedPartnerIds, proposalDecider } from './proposal.decider';
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
  InvalidFundingDecision,
  LeadCountryNotEligible,
  LeadListedAsPartner,
  NoRevisionChanges,
  NotAPartner,
  NotEnoughReviews,
  OutsideSubmissionWindow,
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
  PartnerAlreadyAccepted,
  PartnerAlreadySignedOff,
  PartnerNotAccepted,
  PartnerSignOffMissing,
  PartnerTermsChanged,
  RedressAlreadyRequested,
  RedressNotOpen,
  RedressWindowClosed,
  InvalidRedressOutcome,
  InvalidReviewerId,
  RedressRequestOpen,
  DueDiligenceFailed,
  AwardOnCancelledCall,
  DuplicateProposalDocument,
  InvalidProposalDocument,
} from './proposal.errors';
import { PROPOSAL_EVENT_TYPES, ProposalEvent, proposalEventSchemaVersions } from './proposal.events';
import { proposalEventUpcasters } from './proposal.upcasters';
import type { CallSnapshot, OrganisationSnapshots } from './proposal.snapshots';
import { visibleReviews } from './proposal.views';

const PROPOSAL = 'a3f1c2d4-0000-4000-8000-000000000001';
const CALL = 'c0ffee00-0000-4000-8000-000000000001';
const LEAD = 'org-lead';
const P1 = 'org-p1';
const P2 = 'org-p2';
const P3 = 'org-p3';
const GRANT = 'grant-1';
const HASH = 'ab'.repeat(32);

const OPENS = '2026-01-01T00:00:00.000Z';
const CLOSES = '2026-03-31T23:59:59.000Z';
const DURING = '2026-02-01T09:00:00.000Z';
const AFTER_DEADLINE = '2026-04-01T00:00:00.000Z';
const LATER = '2026-05-01T09:00:00.000Z';

const call: CallSnapshot = {
  callId: CALL,
  status: 'published',
  currency: 'EUR',
  minAwardMinor: 1_000_000,
  maxAwardMinor: 10_000_000,
  eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
  minPartners: 3,
  criteria: [
    { id: 'relevance', maxScore: 5, weight: 40 },
    { id: 'feasibility', maxScore: 10, weight: 30 },
    { id: 'impact', maxScore: 4, weight: 30 },
  ],
  reviewsRequired: 2,
  opensAt: OPENS,
  closesAt: CLOSES,
};

const organisations: OrganisationSnapshots = {
  [LEAD]: { country: 'LB', memberUserIds: ['applicant-lead'] },
  [P1]: { country: 'PS', memberUserIds: ['applicant-p1'] },
  [P2]: { country: 'FR', memberUserIds: [] },
  [P3]: { country: 'TN', memberUserIds: [] },
};

const given = (...history: ProposalEvent[]) => givenEvents(proposalDecider, history);

const draftData: DraftProposal['data'] = {
  proposalId: PROPOSAL,
  callId: CALL,
  leadOrganisationId: LEAD,
  partners: [
    { organisationId: P1, role: 'legal research' },
    { organisationId: P2, role: 'advocacy in Europe' },
  ],
  title: 'Nationality rights for stateless Dom children',
  summary: 'Strategic litigation and community registration drives.',
  policyIssue: 'nationality rights for stateless people',
  requestedMinor: 5_000_000,
  currency: 'EUR',
  budgetLines: [
    { label: 'staff', amountMinor: 3_000_000 },
    { label: 'legal fees', amountMinor: 2_000_000 },
  ],
  durationMonths: 24,
};

const draftCommand = (data: Partial<DraftProposal['data']> = {}, overrides: Partial<DraftProposal> = {}): DraftProposal => ({
  type: 'DraftProposal',
  data: { ...draftData, ...data },
  call,
  organisations,
  now: DURING,
  ...overrides,
});

const drafted: ProposalEvent = { type: 'ProposalDrafted', data: { ...draftData, draftedAt: DURING } };
const submitted: ProposalEvent = {
  type: 'ProposalSubmitted',
  data: { proposalId: PROPOSAL, version: 1, contentHash: HASH, submittedAt: DURING },
};
const screenedEligible: ProposalEvent = {
  type: 'EligibilityScreened',
  data: { proposalId: PROPOSAL, results: [{ rule: 'lead-country', passed: true, note: '' }], eligible: true, screenedBy: 'gm-1', screenedAt: LATER },
};
const screenedIneligible: ProposalEvent = {
  type: 'EligibilityScreened',
  data: { proposalId: PROPOSAL, results: [{ rule: 'lead-country', passed: false, note: 'late' }], eligible: false, screenedBy: 'gm-1', screenedAt: LATER },
};
const assigned = (reviewerId: string): ProposalEvent => ({
  type: 'ReviewerAssigned',
  data: { proposalId: PROPOSAL, reviewerId, assignedBy: 'gm-1', assignedAt: LATER },
});
const recused = (reviewerId: string): ProposalEvent => ({
  type: 'ReviewerRecused',
  data: { proposalId: PROPOSAL, reviewerId, reason: 'conflict of interest declared', by: 'reviewer', recusedBy: reviewerId, recusedAt: LATER },
});
const COMPLAINT = 'Complaint of 2 May: the reviewer advised the lead on this proposal';
const recusedByStaff = (reviewerId: string, reason = COMPLAINT): ProposalEvent => ({
  type: 'ReviewerRecused',
  data: { proposalId: PROPOSAL, reviewerId, reason, by: 'staff', recusedBy: 'gm-2', recusedAt: LATER },
});
const recuse = (reviewerId: string, reason = COMPLAINT): ProposalCommand => ({
  type: 'RecuseReviewer',
  data: { proposalId: PROPOSAL, reviewerId, reason, recusedBy: 'gm-2' },
  now: LATER,
});
const goodScores = [
  { criterionId: 'relevance', score: 4, comment: 'clear issue' },
  { criterionId: 'feasibility', score: 6, comment: 'ambitious' },
  { criterionId: 'impact', score: 3, comment: 'strong' },
];
const reviewed = (reviewerId: string, weightedScore = 72.5): ProposalEvent => ({
  type: 'ReviewSubmitted',
  data: { proposalId: PROPOSAL, reviewerId, scores: goodScores, weightedScore, recommendation: 'fund', comment: 'good', submittedAt: LATER },
});
const consensus: ProposalEvent = {
  type: 'ConsensusRecorded',
  data: { proposalId: PROPOSAL, score: 74, summary: 'fund', recordedBy: 'gm-1', recordedAt: LATER },
};
const underReview = [drafted, submitted, screenedEligible];
const reviewedTwice = [...underReview, assigned('rev-1'), assigned('rev-2'), reviewed('rev-1'), reviewed('rev-2')];
const readyForDecision = [...reviewedTwice, consensus];

const decision = (data: Partial<RecordFundingDecision['data']> = {}): RecordFundingDecision => ({
  type: 'RecordFundingDecision',
  data: {
    proposalId: PROPOSAL,
    decision: 'award',
    amountMinor: 4_500_000,
    reasons: 'ranked 2nd',
    decidedBy: 'gm-1',
    committee: 'Selection committee: A. Haddad, M. Benali',
    grantId: GRANT,
    ...data,
  },
  call,
  organisations,
  now: LATER,
});
const awarded: ProposalEvent = { type: 'FundingDecisionRecorded', data: { ...decision().data, decision: 'award', amountMinor: 4_500_000, grantId: GRANT, decidedAt: LATER } };
const reserved: ProposalEvent = {
  type: 'FundingDecisionRecorded',
  data: { proposalId: PROPOSAL, decision: 'reserve', reasons: 'budget', decidedBy: 'gm-1', committee: 'Selection committee', decidedAt: LATER },
};

const review = (reviewerId: string, scores = goodScores, orgs: OrganisationSnapshots = organisations): SubmitReview => ({
  type: 'SubmitReview',
  data: { proposalId: PROPOSAL, reviewerId, scores, recommendation: 'fund', comment: 'good' },
  call,
  organisations: orgs,
  now: LATER,
});
const assign = (reviewerId: string): ProposalCommand => ({
  type: 'AssignReviewer',
  data: { proposalId: PROPOSAL, reviewerId, assignedBy: 'gm-1' },
  organisations,
  now: LATER,
});
/** The organisations of the network, `reviewerId` having since become a member user of `organisationId`. */
const withMember = (organisationId: string, reviewerId: string): OrganisationSnapshots => ({
  ...organisations,
  [organisationId]: { ...organisations[organisationId], memberUserIds: [...organisations[organisationId].memberUserIds, reviewerId] },
});
const submit = (overrides: Partial<Extract<ProposalCommand, { type: 'SubmitProposal' }>> = {}): ProposalCommand => ({
  type: 'SubmitProposal',
  data: { proposalId: PROPOSAL, contentHash: HASH },
  call,
  organisations,
  now: DURING,
  ...overrides,
});
const withdraw: ProposalCommand = { type: 'WithdrawProposal', data: { proposalId: PROPOSAL, reason: 'network dissolved', withdrawnBy: 'applicant-beirut' }, now: LATER };
const withdrawn: ProposalEvent = { type: 'ProposalWithdrawn', data: { proposalId: PROPOSAL, reason: 'network dissolved', withdrawnBy: 'applicant-beirut', withdrawnAt: LATER } };

/** An applicant of `organisationId` accepts the invitation (signs off terms `termsVersion`). */
const signedOff = (organisationId: string, termsVersion = 1): ProposalEvent => ({
  type: 'PartnerInvitationAccepted',
  data: { proposalId: PROPOSAL, organisationId, acceptedBy: `applicant-${organisationId}`, mandateStatement: 'Board resolution of 12 January 2026', termsVersion, acceptedAt: DURING },
});
const signedDraft = [drafted, signedOff(P1), signedOff(P2)];
const accept = (organisationId: string, termsVersion = 1, mandateStatement = 'Board resolution of 12 January 2026'): ProposalCommand => ({
  type: 'AcceptPartnership',
  data: { proposalId: PROPOSAL, organisationId, acceptedBy: `applicant-${organisationId}`, mandateStatement, termsVersion },
  now: DURING,
});
const decline = (organisationId: string): ProposalCommand => ({
  type: 'DeclinePartnership',
  data: { proposalId: PROPOSAL, organisationId, declinedBy: `applicant-${organisationId}` },
  now: DURING,
});
const leave = (organisationId: string): ProposalCommand => ({
  type: 'LeavePartnership',
  data: { proposalId: PROPOSAL, organisationId, leftBy: `applicant-${organisationId}` },
  now: DURING,
});

describe('proposal decider', () => {
  describe('drafting', () => {
    it('drafts a proposal for a published call within its window', () => {
      given().when(draftCommand()).then([drafted]);
    });

    it('proposal.already-exists: refuses a second draft on the same stream', () => {
      given(drafted).when(draftCommand()).thenThrows(AlreadyExists);
    });

    it('proposal.call.not-published: no drafts while the call is a draft, closed or cancelled', () => {
      for (const status of ['draft', 'closed', 'cancelled'] as const) {
        given().when(draftCommand({}, { call: { ...call, status } })).thenThrows(CallNotPublished);
      }
    });

    it('proposal.call.outside-window: no drafts before the call opens or after its deadline', () => {
      given().when(draftCommand({}, { now: '2025-12-31T23:59:59.999Z' })).thenThrows(OutsideSubmissionWindow);
      given().when(draftCommand({}, { now: AFTER_DEADLINE })).thenThrows(OutsideSubmissionWindow);
    });

    it('the window is inclusive and its end is the possibly extended deadline', () => {
      given().when(draftCommand({}, { now: CLOSES })).then([{ type: 'ProposalDrafted', data: { ...draftData, draftedAt: CLOSES } }]);
      const extended = { ...call, closesAt: '2026-04-15T23:59:59.000Z' };
      given()
        .when(draftCommand({}, { call: extended, now: AFTER_DEADLINE }))
        .then([{ type: 'ProposalDrafted', data: { ...draftData, draftedAt: AFTER_DEADLINE } }]);
    });

    it('proposal.call.mismatch: the call snapshot must be the proposal\'s call', () => {
      given().when(draftCommand({ callId: 'another-call' })).thenThrows(CallMismatch);
    });

    it('proposal.amount.out-of-range: the requested amount lies within the call\'s min and max award', () => {
      const below = { requestedMinor: 999_999, budgetLines: [{ label: 'staff', amountMinor: 999_999 }] };
      const above = { requestedMinor: 10_000_001, budgetLines: [{ label: 'staff', amountMinor: 10_000_001 }] };
      given().when(draftCommand(below)).thenThrows(RequestedAmountOutOfRange);
      given().when(draftCommand(above)).thenThrows(RequestedAmountOutOfRange);
      const atMax = { requestedMinor: 10_000_000, budgetLines: [{ label: 'staff', amountMinor: 10_000_000 }] };
      given().when(draftCommand(atMax)).then([{ type: 'ProposalDrafted', data: { ...draftData, ...atMax, draftedAt: DURING } }]);
    });

    it('proposal.budget.empty: budget lines are required', () => {
      given().when(draftCommand({ budgetLines: [] })).thenThrows(EmptyBudget);
    });

    it('proposal.budget.line-invalid: each line is a positive integer of minor units', () => {
      const lines = (amountMinor: number) => [
        { label: 'staff', amountMinor: 5_000_000 - amountMinor },
        { label: 'travel', amountMinor },
      ];
      given().when(draftCommand({ budgetLines: lines(0) })).thenThrows(InvalidBudgetLine);
      given().when(draftCommand({ budgetLines: lines(-100) })).thenThrows(InvalidBudgetLine);
      given().when(draftCommand({ budgetLines: lines(0.5) })).thenThrows(InvalidBudgetLine);
    });

    it('proposal.budget.line-duplicate: labels are distinct in any case, and have no leading or trailing spaces', () => {
      const twoLines = (first: string, second: string) => [
        { label: first, amountMinor: 3_000_000 },
        { label: second, amountMinor: 2_000_000 },
      ];
      expect(given().when(draftCommand({ budgetLines: twoLines('Legal aid', 'Legal aid') })).thenThrows(DuplicateBudgetLine).label).toBe('Legal aid');
      given().when(draftCommand({ budgetLines: twoLines('Legal aid', 'legal AID') })).thenThrows(DuplicateBudgetLine);
      expect(given().when(draftCommand({ budgetLines: twoLines('Legal aid', 'Travel ') })).thenThrows(InvalidBudgetLine).message).toContain('leading or trailing spaces');
      // Revised in a draft, or in a clarification answer after submission: the same rule.
      given(drafted).when({ type: 'ReviseProposal', data: { proposalId: PROPOSAL, budgetLines: twoLines('Staff', 'STAFF') }, call, now: DURING } as ProposalCommand).thenThrows(DuplicateBudgetLine);
    });

    it('proposal.budget.sum-mismatch: budget lines sum exactly to the requested amount', () => {
      given()
        .when(draftCommand({ budgetLines: [{ label: 'staff', amountMinor: 4_999_999 }] }))
        .thenThrows(BudgetSumMismatch);
    });

    it("proposal.currency.mismatch: the proposal is in the call's currency", () => {
      given().when(draftCommand({ currency: 'USD' })).thenThrows(CurrencyMismatch);
    });

    it("a draft may invite fewer partners than the call's minimum: the network's size is checked at submission", () => {
      given()
        .when(draftCommand({ partners: [{ organisationId: P1, role: 'research' }] }))
        .then([{ type: 'ProposalDrafted', data: { ...draftData, partners: [{ organisationId: P1, role: 'research' }], draftedAt: DURING } }]);
    });

    it('proposal.partners.duplicate: an organisation appears once in the network', () => {
      given()
        .when(draftCommand({ partners: [{ organisationId: P1, role: 'a' }, { organisationId: P1, role: 'b' }] }))
        .thenThrows(DuplicatePartner);
    });

    it('proposal.partners.lead-listed: the lead is not its own partner', () => {
      given()
        .when(draftCommand({ partners: [{ organisationId: LEAD, role: 'a' }, { organisationId: P1, role: 'b' }] }))
        .thenThrows(LeadListedAsPartner);
    });

    it('no registry oracle: inviting an unregistered organisation is answered as inviting a registered one', () => {
      const ghost = [{ organisationId: P1, role: 'a' }, { organisationId: 'org-ghost', role: 'b' }];
      given()
        .when(draftCommand({ partners: ghost }))
        .then([{ type: 'ProposalDrafted', data: { ...draftData, partners: ghost, draftedAt: DURING } }]);
    });

    it('proposal.organisation.unknown: the lead (the drafting applicant\'s own organisation) is registered', () => {
      given()
        .when(draftCommand({}, { organisations: { [P1]: organisations[P1] } }))
        .thenThrows(UnknownOrganisation);
    });

    it("proposal.lead.country-ineligible: the lead's country is one of the call's eligible countries (partners may be elsewhere)", () => {
      given()
        .when(draftCommand({}, { organisations: { ...organisations, [LEAD]: { country: 'FR', memberUserIds: [] } } }))
        .thenThrows(LeadCountryNotEligible);
    });
  });

  describe('revising and partners while a draft', () => {
    it('records only the fields that changed', () => {
      given(drafted)
        .when({
          type: 'ReviseProposal',
          data: { proposalId: PROPOSAL, title: draftData.title, durationMonths: 18 },
          call,
          now: DURING,
        })
        .then([{ type: 'ProposalRevised', data: { proposalId: PROPOSAL, durationMonths: 18, revisedAt: DURING } }]);
    });

    it('proposal.revision.no-change', () => {
      given(drafted)
        .when({ type: 'ReviseProposal', data: { proposalId: PROPOSAL, title: draftData.title }, call, now: DURING })
        .thenThrows(NoRevisionChanges);
    });

    it('checks the revised content against the call (amount changed without its budget)', () => {
      given(drafted)
        .when({ type: 'ReviseProposal', data: { proposalId: PROPOSAL, requestedMinor: 6_000_000 }, call, now: DURING })
        .thenThrows(BudgetSumMismatch);
    });

    it('no revision after the deadline', () => {
      given(drafted)
        .when({ type: 'ReviseProposal', data: { proposalId: PROPOSAL, durationMonths: 12 }, call, now: AFTER_DEADLINE })
        .thenThrows(OutsideSubmissionWindow);
    });

    it('the lead invites a partner and removes one', () => {
      const joined: ProposalEvent = { type: 'PartnerJoined', data: { proposalId: PROPOSAL, organisationId: P3, role: 'outreach', joinedAt: DURING } };
      given(drafted)
        .when({ type: 'AddPartner', data: { proposalId: PROPOSAL, organisationId: P3, role: 'outreach' }, call, now: DURING })
        .then([joined]);
      given(drafted, joined)
        .when({ type: 'RemovePartner', data: { proposalId: PROPOSAL, organisationId: P1 }, call, now: DURING })
        .then([{ type: 'PartnerLeft', data: { proposalId: PROPOSAL, organisationId: P1, leftAt: DURING } }]);
    });

    it('a draft may fall below the minimum while partners are being invited: the size is checked at submission', () => {
      given(drafted)
        .when({ type: 'RemovePartner', data: { proposalId: PROPOSAL, organisationId: P1 }, call, now: DURING })
        .then([{ type: 'PartnerLeft', data: { proposalId: PROPOSAL, organisationId: P1, leftAt: DURING } }]);
    });

    it('proposal.partners.not-a-partner', () => {
      given(drafted)
        .when({ type: 'RemovePartner', data: { proposalId: PROPOSAL, organisationId: P3 }, call, now: DURING })
        .thenThrows(NotAPartner);
    });

    it('an invited partner is not a duplicate nor the lead; whether it is registered is never asked', () => {
      const add = (organisationId: string): ProposalCommand => ({
        type: 'AddPartner',
        data: { proposalId: PROPOSAL, organisationId, role: 'x' },
        call,
        now: DURING,
      });
      given(drafted).when(add(P1)).thenThrows(DuplicatePartner);
      given(drafted).when(add(LEAD)).thenThrows(LeadListedAsPartner);
      given(drafted)
        .when(add('org-ghost'))
        .then([{ type: 'PartnerJoined', data: { proposalId: PROPOSAL, organisationId: 'org-ghost', role: 'x', joinedAt: DURING } }]);
    });

    it('commands on a proposal that does not exist are refused', () => {
      given().when(submit()).thenThrows(StreamNotFound);
    });
  });

  describe('partner invitations, consent and sign-off', () => {
    it('an invited partner accepts with a mandate statement: a sign-off of the current terms', () => {
      given(drafted).when(accept(P1)).then([signedOff(P1)]);
    });

    it('proposal.reason.required: the mandate statement is required', () => {
      const err = given(drafted).when(accept(P1, 1, '  ')).thenThrows(JustificationRequired);
      expect(err.rule).toBe('proposal.reason.required');
    });

    it('proposal.partner.terms-changed: a partner accepts the terms it was shown, not older ones', () => {
      const budgetRevised: ProposalEvent = {
        type: 'ProposalRevised',
        data: { proposalId: PROPOSAL, requestedMinor: 6_000_000, budgetLines: [{ label: 'staff', amountMinor: 6_000_000 }], revisedAt: DURING },
      };
      const err = given(drafted, budgetRevised).when(accept(P1, 1)).thenThrows(PartnerTermsChanged);
      expect([err.acceptedTermsVersion, err.currentTermsVersion]).toEqual([1, 2]);
      given(drafted, budgetRevised).when(accept(P1, 2)).then([signedOff(P1, 2)]);
    });

    it('proposal.partner.already-signed-off: the same terms are accepted once', () => {
      given(drafted, signedOff(P1)).when(accept(P1)).thenThrows(PartnerAlreadySignedOff);
    });

    it('proposal.partners.not-a-partner: only a listed organisation answers', () => {
      given(drafted).when(accept(P3)).thenThrows(NotAPartner);
      given(drafted).when(decline(P3)).thenThrows(NotAPartner);
      given(drafted).when(leave(P3)).thenThrows(NotAPartner);
    });

    it('an invited partner declines: it is no longer listed, and the terms change for the others', () => {
      const declined: ProposalEvent = { type: 'PartnerInvitationDeclined', data: { proposalId: PROPOSAL, organisationId: P2, declinedBy: `applicant-${P2}`, declinedAt: DURING } };
      given(drafted, signedOff(P1)).when(decline(P2)).then([declined]);
      const state = fold(proposalDecider, [drafted, signedOff(P1), declined]);
      expect(state.partners.map((p) => p.organisationId)).toEqual([P1]);
      expect(state.termsVersion).toBe(2);
    });

    it('proposal.partner.already-accepted: an accepted partner does not decline, it leaves', () => {
      given(drafted, signedOff(P1)).when(decline(P1)).thenThrows(PartnerAlreadyAccepted);
    });

    it('an accepted partner leaves before submission; proposal.partner.not-accepted: an invitation is declined, not left', () => {
      given(drafted, signedOff(P1))
        .when(leave(P1))
        .then([{ type: 'PartnerLeft', data: { proposalId: PROPOSAL, organisationId: P1, leftBy: `applicant-${P1}`, leftAt: DURING } }]);
      given(drafted).when(leave(P1)).thenThrows(PartnerNotAccepted);
    });

    it('proposal.frozen: after submission partners neither answer nor leave', () => {
      given(...signedDraft, submitted).when(leave(P1)).thenThrows(ProposalFrozen);
      given(...signedDraft, submitted).when(accept(P1)).thenThrows(ProposalFrozen);
      given(...signedDraft, submitted).when(decline(P1)).thenThrows(ProposalFrozen);
    });

    it('only accepted partners are members of the network (and see the draft); every listed one once submitted', () => {
      const draft = fold(proposalDecider, [drafted, signedOff(P1)]);
      expect(acceptedPartnerIds(draft)).toEqual([P1]);
      expect(invitedPartnerIds(draft)).toEqual([P2]);
      const submittedState = fold(proposalDecider, [...signedDraft, submitted]);
      expect(acceptedPartnerIds(submittedState)).toEqual([P1, P2]);
      expect(invitedPartnerIds(submittedState)).toEqual([]);
    });

    it('proposal.partners.sign-off-missing: submission needs every listed partner\'s acceptance', () => {
      const err = given(drafted, signedOff(P1)).when(submit()).thenThrows(PartnerSignOffMissing);
      expect(err.organisationIds).toEqual([P2]);
    });

    it('an unregistered invitee can never accept: the lead is told a sign-off is missing, never that it is unknown', () => {
      const ghostInvited: ProposalEvent = { type: 'PartnerJoined', data: { proposalId: PROPOSAL, organisationId: 'org-ghost', role: 'x', joinedAt: DURING } };
      const err = given(drafted, ghostInvited, signedOff(P1, 2), signedOff(P2, 2)).when(submit()).thenThrows(PartnerSignOffMissing);
      expect(err.organisationIds).toEqual(['org-ghost']);
    });

    it('a change of budget or partners asks for sign-off again; other revisions do not', () => {
      const titleRevised: ProposalEvent = { type: 'ProposalRevised', data: { proposalId: PROPOSAL, title: 'A new title', revisedAt: DURING } };
      given(...signedDraft, titleRevised)
        .when(submit())
        .then([{ type: 'ProposalSubmitted', data: { proposalId: PROPOSAL, version: 2, contentHash: HASH, submittedAt: DURING } }]);
      const budgetRevised: ProposalEvent = {
        type: 'ProposalRevised',
        data: { proposalId: PROPOSAL, budgetLines: [{ label: 'staff', amountMinor: 2_000_000 }, { label: 'legal fees', amountMinor: 3_000_000 }], revisedAt: DURING },
      };
      const err = given(...signedDraft, budgetRevised).when(submit()).thenThrows(PartnerSignOffMissing);
      expect([err.organisationIds, err.termsVersion]).toEqual([[P1, P2], 2]);
      given(...signedDraft, budgetRevised, signedOff(P1, 2), signedOff(P2, 2))
        .when(submit())
        .then([{ type: 'ProposalSubmitted', data: { proposalId: PROPOSAL, version: 2, contentHash: HASH, submittedAt: DURING } }]);
      const invited: ProposalEvent = { type: 'PartnerJoined', data: { proposalId: PROPOSAL, organisationId: P3, role: 'x', joinedAt: DURING } };
      const again = given(...signedDraft, invited, signedOff(P3, 2)).when(submit()).thenThrows(PartnerSignOffMissing);
      expect(again.organisationIds).toEqual([P1, P2]);
    });

    it("a sign-off whose mandate was erased (read as null once the partner's personal data is shredded) still counts", () => {
      const erased = (organisationId: string): ProposalEvent => {
        const event = signedOff(organisationId) as Extract<ProposalEvent, { type: 'PartnerInvitationAccepted' }>;
        return { ...event, data: { ...event.data, mandateStatement: null } };
      };
      given(drafted, erased(P1), erased(P2))
        .when(submit())
        .then([{ type: 'ProposalSubmitted', data: { proposalId: PROPOSAL, version: 1, contentHash: HASH, submittedAt: DURING } }]);
    });

    it("proposal.partners.too-few: only accepted partners count towards the call's minimum", () => {
      const declined: ProposalEvent = { type: 'PartnerInvitationDeclined', data: { proposalId: PROPOSAL, organisationId: P2, declinedBy: `applicant-${P2}`, declinedAt: DURING } };
      const err = given(drafted, declined, signedOff(P1, 2)).when(submit()).thenThrows(TooFewPartners);
      expect([err.networkSize, err.minPartners]).toEqual([2, 3]);
    });

    it('proposal.organisation.unknown: at submission every (accepted) organisation of the network is registered', () => {
      const { [P2]: _gone, ...withoutP2 } = organisations;
      given(...signedDraft).when(submit({ organisations: withoutP2 })).thenThrows(UnknownOrganisation);
    });
  });

  describe('submission', () => {
    it('submits with the content version (1 + content changes) and the hash computed outside', () => {
      const revised: ProposalEvent = { type: 'ProposalRevised', data: { proposalId: PROPOSAL, durationMonths: 18, revisedAt: DURING } };
      given(drafted, revised, signedOff(P1), signedOff(P2))
        .when(submit())
        .then([{ type: 'ProposalSubmitted', data: { proposalId: PROPOSAL, version: 2, contentHash: HASH, submittedAt: DURING } }]);
    });

    it('proposal.call.outside-window: nothing is submitted after the (possibly extended) deadline', () => {
      given(...signedDraft).when(submit({ now: AFTER_DEADLINE })).thenThrows(OutsideSubmissionWindow);
      given(...signedDraft)
        .when(submit({ now: AFTER_DEADLINE, call: { ...call, closesAt: '2026-04-15T00:00:00.000Z' } }))
        .then([{ type: 'ProposalSubmitted', data: { proposalId: PROPOSAL, version: 1, contentHash: HASH, submittedAt: AFTER_DEADLINE } }]);
    });

    it('proposal.call.not-published: nothing is submitted once the call is closed', () => {
      given(...signedDraft).when(submit({ call: { ...call, status: 'closed' } })).thenThrows(CallNotPublished);
    });

    it('proposal.submission.content-hash-invalid', () => {
      given(...signedDraft)
        .when(submit({ data: { proposalId: PROPOSAL, contentHash: 'not-a-hash' } }))
        .thenThrows(InvalidContentHash);
    });

    it('re-checks the network at submission (the lead moved to an ineligible country)', () => {
      given(...signedDraft)
        .when(submit({ organisations: { ...organisations, [LEAD]: { country: 'JO', memberUserIds: [] } } }))
        .thenThrows(LeadCountryNotEligible);
    });

    it('proposal.frozen: a submitted proposal is not revised, its partners do not change, it is not submitted again', () => {
      const history = [drafted, submitted];
      const err = given(...history)
        .when({ type: 'ReviseProposal', data: { proposalId: PROPOSAL, durationMonths: 12 }, call, now: DURING })
        .thenThrows(ProposalFrozen);
      expect(err).toBeInstanceOf(InvalidStateTransition);
      expect(err.rule).toBe('proposal.frozen');
      given(...history)
        .when({ type: 'AddPartner', data: { proposalId: PROPOSAL, organisationId: P3, role: 'x' }, call, now: DURING })
        .thenThrows(ProposalFrozen);
      given(...history)
        .when({ type: 'RemovePartner', data: { proposalId: PROPOSAL, organisationId: P1 }, call, now: DURING })
        .thenThrows(ProposalFrozen);
      given(...history).when(submit()).thenThrows(ProposalFrozen);
      given(...underReview)
        .when({ type: 'ReviseProposal', data: { proposalId: PROPOSAL, durationMonths: 12 }, call, now: DURING })
        .thenThrows(ProposalFrozen);
    });
  });

  describe('withdrawal', () => {
    it('is possible before a decision', () => {
      given(drafted).when(withdraw).then([withdrawn]);
      given(drafted, submitted).when(withdraw).then([withdrawn]);
      given(...readyForDecision).when(withdraw).then([withdrawn]);
    });

    it('proposal.withdrawal.before-decision-only: refused after an award, a rejection or a reserve decision', () => {
      given(...readyForDecision, awarded).when(withdraw).thenThrows(InvalidStateTransition);
      given(...readyForDecision, reserved).when(withdraw).thenThrows(InvalidStateTransition);
    });

    it('is refused twice and needs a reason', () => {
      given(drafted, withdrawn).when(withdraw).thenThrows(InvalidStateTransition);
      given(drafted)
        .when({ type: 'WithdrawProposal', data: { proposalId: PROPOSAL, reason: '', withdrawnBy: 'applicant-beirut' }, now: LATER })
        .thenThrows(JustificationRequired);
    });
  });

  describe('eligibility screening', () => {
    const screen = (passed: boolean[]): ProposalCommand => ({
      type: 'ScreenEligibility',
      data: { proposalId: PROPOSAL, results: passed.map((p, i) => ({ rule: `rule-${i}`, passed: p, note: '' })), screenedBy: 'gm-1' },
      now: LATER,
    });

    it('eligible exactly when every rule passed', () => {
      given(drafted, submitted)
        .when(screen([true, true]))
        .then([
          {
            type: 'EligibilityScreened',
            data: {
              proposalId: PROPOSAL,
              results: [
                { rule: 'rule-0', passed: true, note: '' },
                { rule: 'rule-1', passed: true, note: '' },
              ],
              eligible: true,
              screenedBy: 'gm-1',
              screenedAt: LATER,
            },
          },
        ]);
      expect(fold(proposalDecider, [drafted, submitted, ...proposalDecider.decide(screen([true, false]), fold(proposalDecider, [drafted, submitted]))]).status).toBe(
        'ineligible',
      );
    });

    it('proposal.eligibility.after-submission-only: a draft is not screened, nor is a proposal screened twice', () => {
      given(drafted).when(screen([true])).thenThrows(InvalidStateTransition);
      given(...underReview).when(screen([true])).thenThrows(InvalidStateTransition);
    });

    it('proposal.eligibility.results-required', () => {
      given(drafted, submitted).when(screen([])).thenThrows(EligibilityResultsRequired);
    });
  });

  describe('reviewer assignment and conflicts of interest', () => {
    it('assigns a reviewer to an eligible proposal', () => {
      given(...underReview).when(assign('rev-1')).then([assigned('rev-1')]);
    });

    it('proposal.reviewer.proposal-not-eligible: only screened, eligible proposals get reviewers', () => {
      given(drafted, submitted).when(assign('rev-1')).thenThrows(ProposalNotEligible);
      given(drafted, submitted, screenedIneligible).when(assign('rev-1')).thenThrows(ProposalNotEligible);
    });

    it('proposal.reviewer.already-assigned', () => {
      given(...underReview, assigned('rev-1')).when(assign('rev-1')).thenThrows(ReviewerAlreadyAssigned);
    });

    it('proposal.reviewer.affiliated: a member user of the lead or a partner cannot review', () => {
      given(...underReview).when(assign('applicant-lead')).thenThrows(ReviewerAffiliated);
      given(...underReview).when(assign('applicant-p1')).thenThrows(ReviewerAffiliated);
    });

    it('proposal.reviewer.id-invalid: a reviewer id is never blank and has no leading or trailing spaces', () => {
      for (const reviewerId of ['', ' ', '\t', ' rev-1', 'rev-1 ', 'rev-1\n', '\u00a0rev-1']) {
        const error = given(...underReview).when(assign(reviewerId)).thenThrows(InvalidReviewerId);
        expect(error.reviewerId).toBe(reviewerId);
      }
      given(...underReview, assigned('rev-1')).when(assign(' rev-1')).thenThrows(InvalidReviewerId);
    });

    it('a declared conflict recuses the reviewer at once', () => {
      given(...underReview, assigned('rev-1'))
        .when({ type: 'DeclareConflictOfInterest', data: { proposalId: PROPOSAL, reviewerId: 'rev-1', description: 'former employer' }, now: LATER })
        .then([
          { type: 'ConflictOfInterestDeclared', data: { proposalId: PROPOSAL, reviewerId: 'rev-1', description: 'former employer', declaredAt: LATER } },
          recused('rev-1'),
        ]);
    });

    it('only an assigned reviewer declares a conflict on the proposal', () => {
      given(...underReview)
        .when({ type: 'DeclareConflictOfInterest', data: { proposalId: PROPOSAL, reviewerId: 'rev-9', description: 'x' }, now: LATER })
        .thenThrows(ReviewerNotAssigned);
    });

    it('proposal.reviewer.recused: a recused reviewer can be neither re-assigned nor review', () => {
      const history = [...underReview, assigned('rev-1'), recused('rev-1')];
      given(...history).when(assign('rev-1')).thenThrows(ReviewerIsRecused);
      given(...history).when(review('rev-1')).thenThrows(ReviewerIsRecused);
    });
  });

  describe('recusal by the programme staff (a conflict learned of otherwise, e.g. a complaint)', () => {
    it('given an assigned reviewer, when a grant manager recuses them with a reason, then the reviewer is recused by staff', () => {
      given(...underReview, assigned('rev-1')).when(recuse('rev-1')).then([recusedByStaff('rev-1')]);
    });

    it('as for a declared conflict: the reviewer may neither review nor be assigned again', () => {
      const history = [...underReview, assigned('rev-1'), recusedByStaff('rev-1')];
      given(...history).when(review('rev-1')).thenThrows(ReviewerIsRecused);
      given(...history).when(assign('rev-1')).thenThrows(ReviewerIsRecused);
    });

    it("as for a declared conflict: the review already written no longer counts towards the consensus or the decision", () => {
      const recordConsensus: ProposalCommand = { type: 'RecordConsensus', data: { proposalId: PROPOSAL, score: 74, summary: 'fund', recordedBy: 'gm-1' }, call, now: LATER };
      given(...reviewedTwice, recusedByStaff('rev-2')).when(recordConsensus).thenThrows(NotEnoughReviews);
      given(...readyForDecision, recusedByStaff('rev-1')).when(decision()).thenThrows(NotEnoughReviews);
      expect(fold(proposalDecider, [...reviewedTwice, recusedByStaff('rev-2')]).recusedReviewerIds).toEqual(['rev-2']);
    });

    it('is recorded after the decision too: a conflict found later is on the record (the decision stands)', () => {
      given(...readyForDecision, awarded).when(recuse('rev-1')).then([recusedByStaff('rev-1')]);
      given(...readyForDecision, reserved).when(recuse('rev-2')).then([recusedByStaff('rev-2')]);
      expect(fold(proposalDecider, [...readyForDecision, awarded, recusedByStaff('rev-1')]).status).toBe('awarded');
    });

    it('proposal.reviewer.not-assigned: only an assigned reviewer is recused', () => {
      given(...underReview).when(recuse('rev-9')).thenThrows(ReviewerNotAssigned);
      given(drafted).when(recuse('rev-1')).thenThrows(ReviewerNotAssigned);
    });

    it('proposal.reviewer.recused: a reviewer already recused (by their own declaration or by staff) is not recused again', () => {
      given(...underReview, assigned('rev-1'), recused('rev-1')).when(recuse('rev-1')).thenThrows(ReviewerIsRecused);
      given(...underReview, assigned('rev-1'), recusedByStaff('rev-1')).when(recuse('rev-1', 'Second complaint')).thenThrows(ReviewerIsRecused);
    });

    it('proposal.reason.required: the reason is mandatory', () => {
      for (const reason of ['', '   ', '\n']) given(...underReview, assigned('rev-1')).when(recuse('rev-1', reason)).thenThrows(JustificationRequired);
    });

    it('not on a withdrawn proposal', () => {
      given(...underReview, assigned('rev-1'), withdrawn).when(recuse('rev-1')).thenThrows(InvalidStateTransition);
    });

    it('a reviewer recused by staff may still declare the conflict: the declaration is recorded, without a second recusal', () => {
      given(...underReview, assigned('rev-1'), recusedByStaff('rev-1'))
        .when({ type: 'DeclareConflictOfInterest', data: { proposalId: PROPOSAL, reviewerId: 'rev-1', description: 'I advised them' }, now: LATER })
        .then([{ type: 'ConflictOfInterestDeclared', data: { proposalId: PROPOSAL, reviewerId: 'rev-1', description: 'I advised them', declaredAt: LATER } }]);
    });
  });

  describe('reviews', () => {
    it('computes the weighted score (0-100) from the call\'s weights and max scores', () => {
      // 4/5*40 + 6/10*30 + 3/4*30 = 32 + 18 + 22.5
      given(...underReview, assigned('rev-1')).when(review('rev-1')).then([reviewed('rev-1', 72.5)]);
    });

    it('proposal.reviewer.not-assigned: only an assigned reviewer reviews', () => {
      given(...underReview).when(review('rev-1')).thenThrows(ReviewerNotAssigned);
    });

    it('proposal.review.already-submitted: one review per reviewer', () => {
      given(...underReview, assigned('rev-1'), reviewed('rev-1')).when(review('rev-1')).thenThrows(ReviewAlreadySubmitted);
    });

    it('proposal.review.criteria-mismatch: every criterion of the call is scored exactly once', () => {
      const history = [...underReview, assigned('rev-1')];
      given(...history).when(review('rev-1', goodScores.slice(0, 2))).thenThrows(CriteriaNotScoredExactlyOnce);
      given(...history).when(review('rev-1', [...goodScores, goodScores[0]])).thenThrows(CriteriaNotScoredExactlyOnce);
      given(...history)
        .when(review('rev-1', [...goodScores.slice(0, 2), { criterionId: 'charisma', score: 1, comment: '' }]))
        .thenThrows(CriteriaNotScoredExactlyOnce);
    });

    it('proposal.review.score-out-of-range: each score is an integer in 0..maxScore', () => {
      const history = [...underReview, assigned('rev-1')];
      const withRelevance = (score: number) => [{ criterionId: 'relevance', score, comment: '' }, ...goodScores.slice(1)];
      given(...history).when(review('rev-1', withRelevance(6))).thenThrows(ScoreOutOfRange);
      given(...history).when(review('rev-1', withRelevance(-1))).thenThrows(ScoreOutOfRange);
      given(...history).when(review('rev-1', withRelevance(2.5))).thenThrows(ScoreOutOfRange);
      given(...history)
        .when(review('rev-1', withRelevance(0)))
        .then([{ type: 'ReviewSubmitted', data: { ...(reviewed('rev-1') as Extract<ProposalEvent, { type: 'ReviewSubmitted' }>).data, scores: withRelevance(0), weightedScore: 40.5 } }]);
    });

    it('proposal.review.after-consensus: no reviews once a consensus is recorded', () => {
      given(...readyForDecision, assigned('rev-3')).when(review('rev-3')).thenThrows(ReviewAfterConsensus);
    });

    it('proposal.reviewer.affiliated: given a reviewer who became a member user of the lead or a partner since the assignment, when they review, then it is refused', () => {
      const history = [...underReview, assigned('rev-1')];
      const lead = given(...history).when(review('rev-1', goodScores, withMember(LEAD, 'rev-1'))).thenThrows(ReviewerAffiliated);
      expect([lead.reviewerId, lead.organisationId]).toEqual(['rev-1', LEAD]);
      const partner = given(...history).when(review('rev-1', goodScores, withMember(P2, 'rev-1'))).thenThrows(ReviewerAffiliated);
      expect(partner.organisationId).toBe(P2);
      // Another reviewer's membership does not concern this one.
      given(...history).when(review('rev-1', goodScores, withMember(P2, 'rev-2'))).then([reviewed('rev-1')]);
    });

    it('proposal.organisation.unknown: the review is decided on every organisation of the network', () => {
      const { [P1]: _missing, ...withoutP1 } = organisations;
      given(...underReview, assigned('rev-1')).when(review('rev-1', goodScores, withoutP1)).thenThrows(UnknownOrganisation);
    });

    it("a review recorded before its reviewer became a member user still counts: membership is judged when the reviewer acts, and a conflict found later is declared (recusal)", () => {
      // The consensus and the decision count the reviews the log holds (what the dossier shows as counted), not today's membership lists.
      given(...reviewedTwice)
        .when({ type: 'RecordConsensus', data: { proposalId: PROPOSAL, score: 74, summary: 'fund', recordedBy: 'gm-1' }, call, now: LATER })
        .then([consensus]);
      given(...readyForDecision).when(decision()).then([awarded]);
    });
  });

  describe('consensus', () => {
    const recordConsensus = (score = 74): ProposalCommand => ({
      type: 'RecordConsensus',
      data: { proposalId: PROPOSAL, score, summary: 'fund', recordedBy: 'gm-1' },
      call,
      now: LATER,
    });

    it('is recorded once the required reviews are in', () => {
      given(...reviewedTwice).when(recordConsensus()).then([consensus]);
    });

    it('proposal.reviews.too-few: consensus only with at least call.reviewsRequired reviews', () => {
      given(...underReview, assigned('rev-1'), reviewed('rev-1')).when(recordConsensus()).thenThrows(NotEnoughReviews);
    });

    it('a recused reviewer\'s review does not count', () => {
      given(...reviewedTwice, recused('rev-2')).when(recordConsensus()).thenThrows(NotEnoughReviews);
    });

    it('proposal.consensus.score-out-of-range', () => {
      given(...reviewedTwice).when(recordConsensus(101)).thenThrows(ConsensusScoreOutOfRange);
      given(...reviewedTwice).when(recordConsensus(-1)).thenThrows(ConsensusScoreOutOfRange);
    });

    it('records the agreed score and comment per criterion, each criterion of the call once and within its range', () => {
      const withCriteria = (criteria: { criterionId: string; score: number; comment: string }[]): ProposalCommand => ({
        type: 'RecordConsensus',
        data: { proposalId: PROPOSAL, score: 74, summary: 'fund', recordedBy: 'gm-1', criteria },
        call,
        now: LATER,
      });
      given(...reviewedTwice)
        .when(withCriteria(goodScores))
        .then([{ type: 'ConsensusRecorded', data: { proposalId: PROPOSAL, score: 74, summary: 'fund', criteria: goodScores, recordedBy: 'gm-1', recordedAt: LATER } }]);
      given(...reviewedTwice).when(withCriteria(goodScores.slice(1))).thenThrows(CriteriaNotScoredExactlyOnce);
      given(...reviewedTwice)
        .when(withCriteria(goodScores.map((c) => (c.criterionId === 'impact' ? { ...c, score: 5 } : c))))
        .thenThrows(ScoreOutOfRange);
    });
  });

  describe('funding decision', () => {
    it('records an award with the amount, reasons, who decided and the grant id', () => {
      given(...readyForDecision).when(decision()).then([awarded]);
    });

    it('records a rejection without amount or grant id', () => {
      given(...readyForDecision)
        .when(decision({ decision: 'reject', amountMinor: undefined, grantId: undefined }))
        .then([
          {
            type: 'FundingDecisionRecorded',
            data: { proposalId: PROPOSAL, decision: 'reject', reasons: 'ranked 2nd', decidedBy: 'gm-1', committee: decision().data.committee, decidedAt: LATER },
          },
        ]);
      given(...readyForDecision).when(decision({ decision: 'reject', grantId: undefined })).thenThrows(InvalidFundingDecision);
    });

    it('proposal.decision.consensus-required', () => {
      given(...reviewedTwice).when(decision()).thenThrows(ConsensusRequired);
    });

    it('proposal.reviews.too-few: a decision needs the required reviews (a reviewer recused after the consensus)', () => {
      given(...readyForDecision, recused('rev-1')).when(decision()).thenThrows(NotEnoughReviews);
    });

    it('proposal.award.exceeds-request: an award is at most the requested amount', () => {
      given(...readyForDecision).when(decision({ amountMinor: 5_000_001 })).thenThrows(AwardExceedsRequest);
      given(...readyForDecision)
        .when(decision({ amountMinor: 5_000_000 }))
        .then([{ type: 'FundingDecisionRecorded', data: { ...awarded.data, amountMinor: 5_000_000 } } as ProposalEvent]);
    });

    it("proposal.award.outside-call-range: an award below the call's minimum or above its maximum is refused at the door", () => {
      given(...readyForDecision).when(decision({ amountMinor: 999_999 })).thenThrows(AwardOutsideCallRange);
      given(...readyForDecision)
        .when({ ...decision({ amountMinor: 4_500_000 }), call: { ...call, maxAwardMinor: 4_000_000 } })
        .thenThrows(AwardOutsideCallRange);
      given(...readyForDecision)
        .when(decision({ amountMinor: 1_000_000 }))
        .then([{ type: 'FundingDecisionRecorded', data: { ...awarded.data, amountMinor: 1_000_000 } } as ProposalEvent]);
    });

    it('proposal.award.amount-invalid: an award is a positive integer', () => {
      given(...readyForDecision).when(decision({ amountMinor: 0 })).thenThrows(InvalidAwardAmount);
      given(...readyForDecision).when(decision({ amountMinor: undefined })).thenThrows(InvalidAwardAmount);
      given(...readyForDecision).when(decision({ amountMinor: 100.5 })).thenThrows(InvalidAwardAmount);
    });

    it('an award needs a grant id', () => {
      given(...readyForDecision).when(decision({ grantId: undefined })).thenThrows(InvalidFundingDecision);
    });

    const rejected: ProposalEvent = {
      type: 'FundingDecisionRecorded',
      data: { proposalId: PROPOSAL, decision: 'reject', reasons: 'ranked 2nd', decidedBy: 'gm-1', committee: 'Selection committee: A. Haddad, M. Benali', decidedAt: LATER },
    };

    it('proposal.award.due-diligence-failed: given an organisation of the network whose latest due diligence failed, then no award; a rejection is recorded', () => {
      const failedPartner = { ...organisations, [P1]: { ...organisations[P1], dueDiligence: 'failed' as const } };
      const error = given(...readyForDecision).when({ ...decision(), organisations: failedPartner }).thenThrows(DueDiligenceFailed);
      expect(error.organisationIds).toEqual([P1]);
      const failedLead = { ...organisations, [LEAD]: { ...organisations[LEAD], dueDiligence: 'failed' as const } };
      given(...readyForDecision).when({ ...decision(), organisations: failedLead }).thenThrows(DueDiligenceFailed);
      given(...readyForDecision).when({ ...decision({ decision: 'reject', amountMinor: undefined, grantId: undefined }), organisations: failedPartner }).then([
rejected]);
      // Passed, conditional or never checked: the award is taken.
      for (const dueDiligence of ['passed', 'conditional', 'not-checked'] as const) {
        given(...readyForDecision).when({ ...decision(), organisations: { ...organisations, [P1]: { ...organisations[P1], dueDiligence } } }).then([awarded]);
      }
    });

    it('proposal.award.call-cancelled: given a cancelled call, then no award (it would find no funds); a rejection is recorded', () => {
      given(...readyForDecision).when({ ...decision(), call: { ...call, status: 'cancelled' } }).thenThrows(AwardOnCancelledCall);
      given(...readyForDecision).when({ ...decision({ decision: 'reject', amountMinor: undefined, grantId: undefined }), call: { ...call, status: 'cancelled' } }).then([
rejected]);
    });

    it('proposal.redress.open: given a reserve-list decision with a redress request awaiting its outcome, then no new decision until the outcome is recorded', () => {
      const redressRequested: ProposalEvent = {
        type: 'RedressRequested',
        data: { proposalId: PROPOSAL, requestId: 'redress-1', organisationId: LEAD, grounds: 'The annex was not read', requestedBy: 'applicant-lead', windowEndsAt: '2026-05-31T09:00:00.000Z', requestedAt: LATER },
      };
      const outcomeRecorded = (outcome: 'upheld' | 'rejected'): ProposalEvent => ({
        type: 'RedressOutcomeRecorded',
        data: { proposalId: PROPOSAL, requestId: 'redress-1', outcome, reasons: 'Scores follow the call', decidedBy: 'gm-2', decidedAt: LATER },
      });
      const error = given(...readyForDecision, reserved, redressRequested).when(decision()).thenThrows(RedressRequestOpen);
      expect(error.requestId).toBe('redress-1');
      given(...readyForDecision, reserved, redressRequested).when(decision({ decision: 'reject', amountMinor: undefined, grantId: undefined })).thenThrows(RedressRequestOpen);
      // Once the outcome is recorded: rejected, the reserve-list decision stands and may be followed by an award;
      // upheld, the proposal is evaluated again (a new consensus first).
      given(...readyForDecision, reserved, redressRequested, outcomeRecorded('rejected')).when(decision()).then([awarded]);
      given(...readyForDecision, reserved, redressRequested, outcomeRecorded('upheld')).when(decision()).thenThrows(ConsensusRequired);
      given(...readyForDecision, reserved, redressRequested, outcomeRecorded('upheld'), consensus).when(decision()).then([awarded]);
    });

    it('a reserved proposal can later be awarded, but not reserved again', () => {
      given(...readyForDecision, reserved).when(decision()).then([awarded]);
      given(...readyForDecision, reserved)
        .when(decision({ decision: 'reserve', amountMinor: undefined, grantId: undefined }))
        .thenThrows(InvalidStateTransition);
    });

    it('an award or rejection is final', () => {
      given(...readyForDecision, awarded).when(decision({ grantId: 'grant-2' })).thenThrows(InvalidStateTransition);
    });
  });

  describe('award funds unavailable', () => {
    const unavailable: ProposalCommand = {
      type: 'RecordAwardFundsUnavailable',
      data: { proposalId: PROPOSAL, grantId: GRANT, amountMinor: 4_500_000, remainingMinor: 1_000_000 },
      now: LATER,
    };
    const fundsUnavailable: ProposalEvent = {
      type: 'AwardFundsUnavailable',
      data: { proposalId: PROPOSAL, grantId: GRANT, amountMinor: 4_500_000, remainingMinor: 1_000_000, recordedAt: LATER },
    };

    it('returns the proposal to awaiting a decision, which can then be recorded anew', () => {
      given(...readyForDecision, awarded).when(unavailable).then([fundsUnavailable]);
      given(...readyForDecision, awarded, fundsUnavailable)
        .when(decision({ amountMinor: 1_000_000, grantId: 'grant-2' }))
        .then([{ type: 'FundingDecisionRecorded', data: { ...awarded.data, amountMinor: 1_000_000, grantId: 'grant-2' } } as ProposalEvent]);
    });

    it('is idempotent for the process manager', () => {
      given(...readyForDecision, awarded, fundsUnavailable).when(unavailable).then([]);
    });

    it("records the call's refusal rule as the reason", () => {
      given(...readyForDecision, awarded)
        .when({ ...unavailable, data: { ...unavailable.data, reason: 'call.budget.exceeded' } } as ProposalCommand)
        .then([{ type: 'AwardFundsUnavailable', data: { ...fundsUnavailable.data, reason: 'call.budget.exceeded' } } as ProposalEvent]);
    });

    it('given an award from the reserve list whose funds were unavailable, then the proposal is reserved again (the earlier decision stands)', () => {
      expect(fold(proposalDecider, [...readyForDecision, reserved, awarded, fundsUnavailable])).toMatchObject({ status: 'reserved', award: null, unfundedGrantIds: [GRANT] });
      given(...readyForDecision, reserved, awarded, fundsUnavailable)
        .when(decision({ decision: 'reserve', amountMinor: undefined, grantId: undefined }))
        .thenThrows(InvalidStateTransition);
      given(...readyForDecision, reserved, awarded, fundsUnavailable)
        .when(decision({ decision: 'reject', amountMinor: undefined, grantId: undefined }))
        .then([
          {
            type: 'FundingDecisionRecorded',
            data: { proposalId: PROPOSAL, decision: 'reject', reasons: 'ranked 2nd', decidedBy: 'gm-1', committee: decision().data.committee, decidedAt: LATER },
          },
        ]);
    });

    it('given an award straight from review whose funds were unavailable, then the proposal is under review again', () => {
      expect(fold(proposalDecider, [...readyForDecision, awarded, fundsUnavailable])).toMatchObject({ status: 'under-review', award: null });
    });

    it('proposal.award.grant-mismatch and proposal.award.grant-id-reused', () => {
      given(...readyForDecision, awarded)
        .when({ ...unavailable, data: { ...unavailable.data, grantId: 'other' } } as ProposalCommand)
        .thenThrows(AwardMismatch);
      given(...readyForDecision, awarded, fundsUnavailable).when(decision()).thenThrows(GrantIdReused);
    });
  });

  describe('award funded', () => {
    const funded: ProposalCommand = { type: 'RecordAwardFunded', data: { proposalId: PROPOSAL, grantId: GRANT, amountMinor: 4_500_000 }, now: LATER };
    const awardFunded: ProposalEvent = { type: 'AwardFunded', data: { proposalId: PROPOSAL, grantId: GRANT, amountMinor: 4_500_000, recordedAt: LATER } };

    it("given an award, when the process manager reports the grant created, then the award is funded (once: idempotent)", () => {
      given(...readyForDecision, awarded).when(funded).then([awardFunded]);
      given(...readyForDecision, awarded, awardFunded).when(funded).then([]);
      expect(fold(proposalDecider, [...readyForDecision, awarded, awardFunded])).toMatchObject({ status: 'awarded', award: { grantId: GRANT, funded: true } });
    });

    it('proposal.award.grant-mismatch: only the standing award can be funded', () => {
      given(...readyForDecision, awarded)
        .when({ ...funded, data: { ...funded.data, grantId: 'other' } } as ProposalCommand)
        .thenThrows(AwardMismatch);
      given(...readyForDecision).when(funded).thenThrows(InvalidStateTransition);
    });
  });

  describe('clarification', () => {
    const request: ProposalCommand = {
      type: 'RequestClarification',
      data: { proposalId: PROPOSAL, requestId: 'q-1', questions: ['Who pays the lawyers?'], requestedBy: 'gm-1' },
      now: LATER,
    };
    const requested: ProposalEvent = {
      type: 'ClarificationRequested',
      data: { proposalId: PROPOSAL, requestId: 'q-1', questions: ['Who pays the lawyers?'], requestedBy: 'gm-1', requestedAt: LATER },
    };
    const answer = (revisedFields?: Record<string, unknown>, requestId = 'q-1'): ProposalCommand => ({
      type: 'ProvideClarification',
      data: { proposalId: PROPOSAL, requestId, answer: 'See revised budget', ...(revisedFields ? { revisedFields } : {}) },
      call,
      now: LATER,
    });
    const newBudget = {
      requestedMinor: 4_000_000,
      budgetLines: [
        { label: 'staff', amountMinor: 3_000_000 },
        { label: 'legal fees', amountMinor: 1_000_000 },
      ],
    };

    it('is requested after submission and answered, changing the frozen content only through the answer', () => {
      given(drafted, submitted).when(request).then([requested]);
      const provided: ProposalEvent = {
        type: 'ClarificationProvided',
        data: { proposalId: PROPOSAL, requestId: 'q-1', answer: 'See revised budget', revisedFields: newBudget, providedAt: LATER },
      };
      given(drafted, submitted, requested).when(answer({ ...newBudget, title: draftData.title })).then([provided]);
      const state = fold(proposalDecider, [drafted, submitted, requested, provided]);
      expect(state.details.requestedMinor).toBe(4_000_000);
      expect(state.contentVersion).toBe(2);
      expect(state.openClarificationIds).toEqual([]);
    });

    describe('a budget revised in an answer is new terms for the partners', () => {
      const provided: ProposalEvent = {
        type: 'ClarificationProvided',
        data: { proposalId: PROPOSAL, requestId: 'q-1', answer: 'See revised budget', revisedFields: newBudget, providedAt: LATER },
      };
      const revisedAfterReview = [...readyForDecision, requested, provided];

      it('an award waits until every partner signed the revised terms off; a rejection does not', () => {
        expect(fold(proposalDecider, revisedAfterReview).termsVersion).toBe(2);
        const error = given(...revisedAfterReview).when(decision({ amountMinor: 4_000_000 })).thenThrows(PartnerSignOffMissing);
        expect({ rule: error.rule, organisationIds: error.organisationIds, termsVersion: error.termsVersion }).toEqual({ rule: 'proposal.partners.sign-off-missing', organisationIds: [P1, P2], termsVersion: 2 });
        expect(given(...revisedAfterReview, signedOff(P1, 2)).when(decision({ amountMinor: 4_000_000 })).thenThrows(PartnerSignOffMissing).organisationIds).toEqual([P2]);
        given(...revisedAfterReview, signedOff(P1, 2), signedOff(P2, 2))
          .when(decision({ amountMinor: 4_000_000 }))
          .then([{ type: 'FundingDecisionRecorded', data: { ...decision().data, amountMinor: 4_000_000, decidedAt: LATER } }]);
        given(...revisedAfterReview)
          .when(decision({ decision: 'reject', amountMinor: undefined, grantId: undefined }))
          .then([{ type: 'FundingDecisionRecorded', data: { proposalId: PROPOSAL, decision: 'reject', reasons: 'ranked 2nd', decidedBy: 'gm-1', committee: decision().data.committee, decidedAt: LATER } }]);
      });

      it('partners sign the revised terms off after submission: only once they changed, only those terms, once', () => {
        given(...revisedAfterReview).when(accept(P1, 2)).then([signedOff(P1, 2)]);
        given(...revisedAfterReview).when(accept(P1, 1)).thenThrows(PartnerTermsChanged);
        given(...revisedAfterReview, signedOff(P1, 2)).when(accept(P1, 2)).thenThrows(PartnerAlreadySignedOff);
        given(...readyForDecision).when(accept(P1, 1)).thenThrows(ProposalFrozen);
      });

      it('an answer that leaves the budget as it was keeps the terms, and the award needs no new sign-off', () => {
        const titled: ProposalEvent = { ...provided, data: { ...provided.data, revisedFields: { title: 'Housing rights, revised' } } } as ProposalEvent;
        expect(fold(proposalDecider, [...readyForDecision, requested, titled]).termsVersion).toBe(1);
        given(...readyForDecision, requested, titled).when(decision()).then([awarded]);
      });
    });

    it('an answer without changes records no revisedFields', () => {
      given(...underReview, requested)
        .when(answer())
        .then([{ type: 'ClarificationProvided', data: { proposalId: PROPOSAL, requestId: 'q-1', answer: 'See revised budget', providedAt: LATER } }]);
    });

    it('revised fields keep the call\'s rules', () => {
      given(drafted, submitted, requested).when(answer({ requestedMinor: 4_000_000 })).thenThrows(BudgetSumMismatch);
    });

    it('proposal.clarification.not-open: an answer only for an open request', () => {
      const provided: ProposalEvent = {
        type: 'ClarificationProvided',
        data: { proposalId: PROPOSAL, requestId: 'q-1', answer: 'x', providedAt: LATER },
      };
      given(drafted, submitted, requested).when(answer(undefined, 'q-unknown')).thenThrows(ClarificationNotOpen);
      given(drafted, submitted, requested, provided).when(answer()).thenThrows(ClarificationNotOpen);
    });

    it('requests need questions and a fresh id, and a draft is not clarified', () => {
      given(drafted, submitted, requested).when(request).thenThrows(DuplicateClarificationRequest);
      given(drafted, submitted)
        .when({ ...request, data: { ...request.data, questions: [' '] } } as ProposalCommand)
        .thenThrows(ClarificationQuestionsRequired);
      given(drafted).when(request).thenThrows(InvalidStateTransition);
    });
  });

  describe('visibleReviews (blind review)', () => {
    const state = fold(proposalDecider, [...underReview, assigned('rev-1'), assigned('rev-2'), assigned('rev-3'), reviewed('rev-1'), reviewed('rev-3'), recused('rev-3')]);

    it('grant managers, admins and auditors see every review', () => {
      for (const role of ['grant-manager', 'admin', 'auditor']) {
        expect(visibleReviews(state, { id: 'someone', role }).map((r) => [r.reviewerId, r.recused])).toEqual([
          ['rev-1', false],
          ['rev-3', true],
        ]);
      }
    });

    it('a reviewer sees other reviews only after submitting their own, and never a recused reviewer\'s (it does not count)', () => {
      expect(visibleReviews(state, { id: 'rev-2', role: 'reviewer' })).toEqual([]);
      expect(visibleReviews(state, { id: 'rev-1', role: 'reviewer' }).map((r) => r.reviewerId)).toEqual(['rev-1']);
      expect(visibleReviews(state, { id: 'rev-3', role: 'reviewer' }).map((r) => r.reviewerId)).toEqual(['rev-3']);
    });

    it('applicants and partner systems see none', () => {
      expect(visibleReviews(state, { id: 'applicant-lead', role: 'applicant' })).toEqual([]);
      expect(visibleReviews(state, { id: 'rev-1', role: 'partner' })).toEqual([]);
    });
  });

  describe('redress', () => {
    const rejected: ProposalEvent = {
      type: 'FundingDecisionRecorded',
      data: { proposalId: PROPOSAL, decision: 'reject', reasons: 'below the funding line', decidedBy: 'gm-1', committee: 'Selection committee', decidedAt: LATER },
    };
    const WITHIN = '2026-05-31T09:00:00.000Z'; // 30 days after LATER
    const TOO_LATE = '2026-05-31T09:00:00.001Z';
    const requestRedress = (overrides: Partial<Extract<ProposalCommand, { type: 'RequestRedress' }>['data']> = {}, now = WITHIN, days = 30): ProposalCommand => ({
      type: 'RequestRedress',
      data: { proposalId: PROPOSAL, requestId: 'redress-1', organisationId: P1, grounds: 'The relevance criterion ignored our annex', requestedBy: 'applicant-p1', ...overrides },
      redressWindowDays: days,
      now,
    });
    const requested: ProposalEvent = {
      type: 'RedressRequested',
      data: {
        proposalId: PROPOSAL,
        requestId: 'redress-1',
        organisationId: P1,
        grounds: 'The relevance criterion ignored our annex',
        requestedBy: 'applicant-p1',
        windowEndsAt: WITHIN,
        requestedAt: WITHIN,
      },
    };
    const outcome = (result: 'upheld' | 'rejected', requestId = 'redress-1', reasons = 'The annex was not read'): ProposalCommand => ({
      type: 'RecordRedressOutcome',
      data: { proposalId: PROPOSAL, requestId, outcome: result, reasons, decidedBy: 'gm-2' },
      now: WITHIN,
    });
    const outcomeRecorded = (result: 'upheld' | 'rejected'): ProposalEvent => ({
      type: 'RedressOutcomeRecorded',
      data: { proposalId: PROPOSAL, requestId: 'redress-1', outcome: result, reasons: 'The annex was not read', decidedBy: 'gm-2', decidedAt: WITHIN },
    });

    it('the lead or an accepted partner requests redress of a rejection within the window (its end included)', () => {
      given(...readyForDecision, rejected).when(requestRedress()).then([requested]);
    });

    it('proposal.redress.window-closed: not after the configured number of days', () => {
      const err = given(...readyForDecision, rejected).when(requestRedress({}, TOO_LATE)).thenThrows(RedressWindowClosed);
      expect(err.windowEndsAt).toBe(WITHIN);
      given(...readyForDecision, rejected)
        .when(requestRedress({}, TOO_LATE, 31))
        .then([{ ...requested, data: { ...(requested.data as object), windowEndsAt: '2026-06-01T09:00:00.000Z', requestedAt: TOO_LATE } } as ProposalEvent]);
    });

    it('only against a rejection or a reserve-list decision; never before a decision or against an award', () => {
      given(...readyForDecision).when(requestRedress()).thenThrows(InvalidStateTransition);
      given(...readyForDecision, awarded).when(requestRedress()).thenThrows(InvalidStateTransition);
      given(...readyForDecision, reserved).when(requestRedress()).then([requested]);
    });

    it('proposal.reason.required: grounds are required', () => {
      given(...readyForDecision, rejected).when(requestRedress({ grounds: ' ' })).thenThrows(JustificationRequired);
    });

    it('proposal.redress.already-requested: one request per decision', () => {
      given(...readyForDecision, rejected, requested).when(requestRedress({ requestId: 'redress-2' })).thenThrows(RedressAlreadyRequested);
      given(...readyForDecision, rejected, requested, outcomeRecorded('rejected')).when(requestRedress({ requestId: 'redress-2' })).thenThrows(RedressAlreadyRequested);
    });

    it('rejected with reasons: the decision stands', () => {
      given(...readyForDecision, rejected, requested).when(outcome('rejected')).then([outcomeRecorded('rejected')]);
      const state = fold(proposalDecider, [...readyForDecision, rejected, requested, outcomeRecorded('rejected')]);
      expect(state.status).toBe('rejected');
      given(...readyForDecision, rejected, requested).when(outcome('rejected', 'redress-1', '')).thenThrows(JustificationRequired);
    });

    it('upheld: the proposal goes back to evaluation, a new consensus and decision follow, and the new decision can be redressed', () => {
      given(...readyForDecision, rejected, requested).when(outcome('upheld')).then([outcomeRecorded('upheld')]);
      const back = [...readyForDecision, rejected, requested, outcomeRecorded('upheld')];
      const state = fold(proposalDecider, back);
      expect([state.status, state.consensusScore, state.decision]).toEqual(['under-review', null, null]);
      given(...back).when(decision()).thenThrows(ConsensusRequired);
      given(...back, assigned('rev-3')).when(review('rev-3')).then([reviewed('rev-3')]);
      given(...back, consensus, rejected).when(requestRedress({ requestId: 'redress-2' })).then([{ ...requested, data: { ...(requested.data as object), requestId: 'redress-2' } } as ProposalEvent]);
    });

    it("a request whose grounds were erased (read as null once its organisation's personal data is shredded) still stands: once per decision, its outcome recorded", () => {
      const erased = { ...requested, data: { ...(requested.data as object), grounds: null } } as ProposalEvent;
      given(...readyForDecision, rejected, erased).when(requestRedress({ requestId: 'redress-2' })).thenThrows(RedressAlreadyRequested);
      given(...readyForDecision, rejected, erased).when(outcome('rejected')).then([outcomeRecorded('rejected')]);
    });

    it('proposal.redress.not-open and proposal.redress.outcome-invalid', () => {
      given(...readyForDecision, rejected).when(outcome('upheld')).thenThrows(RedressNotOpen);
      given(...readyForDecision, rejected, requested).when(outcome('upheld', 'redress-9')).thenThrows(RedressNotOpen);
      given(...readyForDecision, rejected, requested, outcomeRecorded('rejected')).when(outcome('upheld')).thenThrows(RedressNotOpen);
      given(...readyForDecision, rejected, requested)
        .when({ ...outcome('upheld'), data: { ...(outcome('upheld').data as Extract<ProposalCommand, { type: 'RecordRedressOutcome' }>['data']), outcome: 'maybe' as 'upheld' } } as ProposalCommand)
        .thenThrows(InvalidRedressOutcome);
    });
  });

  describe('content for the submission hash', () => {
    it('proposalContent is what was drafted and revised', () => {
      const content = proposalContent(fold(proposalDecider, [drafted]));
      const { draftedAt: _at, ...expected } = (drafted as Extract<ProposalEvent, { type: 'ProposalDrafted' }>).data;
      expect(content).toEqual(expected);
    });
  });

  it('declares every event type with its schema version (ProposalWithdrawn and ReviewerRecused are at 2, see proposal.upcasters.ts)', () => {
    expect(PROPOSAL_EVENT_TYPES).toHaveLength(22);
    const { ProposalWithdrawn, ReviewerRecused, ...others } = proposalEventSchemaVersions;
    expect([ProposalWithdrawn, ReviewerRecused]).toEqual([2, 2]);
    expect(new Set(Object.values(others))).toEqual(new Set([1]));
  });

  it('upcasts a ReviewerRecused stored at version 1 as made by the reviewer: every recusal then followed its own declaration', () => {
    const upcaster = proposalEventUpcasters.find((u) => u.type === 'ReviewerRecused' && u.fromVersion === 1);
    const v1 = { proposalId: PROPOSAL, reviewerId: 'rev-1', reason: 'conflict of interest declared', recusedAt: LATER };
    const stored = { streamId: `proposal-${PROPOSAL}`, eventId: 'e-1', actorId: 'rev-1', recordedAt: LATER };
    expect(upcaster?.upcast(v1, stored)).toEqual((recused('rev-1') as Extract<ProposalEvent, { type: 'ReviewerRecused' }>).data);
  });

  describe('documents: attached by the lead while drafting', () => {
    const attach = (overrides: Partial<AttachProposalDocument['data']> = {}, at: Partial<Pick<AttachProposalDocument, 'call' | 'now'>> = {}): ProposalCommand => ({
      type: 'AttachProposalDocument',
      data: { proposalId: PROPOSAL, documentId: 'doc-1', organisationId: LEAD, name: 'statutes.pdf', sizeBytes: 2048, contentType: 'application/pdf', sha256: 'b'.repeat(64), attachedBy: 'applicant-beirut', ...overrides },
      call,
      now: DURING,
      ...at,
    });
    const attached: ProposalEvent = {
      type: 'ProposalDocumentAttached',
      data: { proposalId: PROPOSAL, documentId: 'doc-1', organisationId: LEAD, name: 'statutes.pdf', sizeBytes: 2048, contentType: 'application/pdf', sha256: 'b'.repeat(64), attachedBy: 'applicant-beirut', attachedAt: DURING },
    };

    it('records a stored document of the lead on a draft, once', () => {
      given(drafted).when(attach()).then([attached]);
      given(drafted, attached).when(attach()).then([]);
      given(drafted, attached).when(attach({ sha256: 'c'.repeat(64) })).thenThrows(DuplicateProposalDocument);
    });

    it('not on a proposal that does not exist, nor once submitted (frozen) or withdrawn', () => {
      given().when(attach()).thenThrows(StreamNotFound);
      given(drafted, submitted).when(attach()).thenThrows(ProposalFrozen);
      given(drafted, withdrawn).when(attach()).thenThrows(InvalidStateTransition);
    });

    it('only while the call is open, like every change of a draft: not once it closed, was cancelled, or for another call', () => {
      given(drafted).when(attach({}, { now: AFTER_DEADLINE })).thenThrows(OutsideSubmissionWindow);
      given(drafted).when(attach({}, { call: { ...call, status: 'closed' } })).thenThrows(CallNotPublished);
      given(drafted).when(attach({}, { call: { ...call, status: 'cancelled' } })).thenThrows(CallNotPublished);
      given(drafted).when(attach({}, { call: { ...call, callId: 'c0ffee00-0000-4000-8000-000000000002' } })).thenThrows(CallMismatch);
      // An extended deadline keeps it open.
      given(drafted).when(attach({}, { call: { ...call, closesAt: '2099-01-01T00:00:00.000Z' }, now: AFTER_DEADLINE })).then([{ ...attached, data: { ...(attached.data as object), attachedAt: AFTER_DEADLINE } } as ProposalEvent]);
    });

    it('needs a name, a size, a type, a SHA-256 and who attached it, and belongs to the lead', () => {
      given(drafted).when(attach({ name: '' })).thenThrows(InvalidProposalDocument);
      given(drafted).when(attach({ sizeBytes: 0 })).thenThrows(InvalidProposalDocument);
      given(drafted).when(attach({ contentType: ' ' })).thenThrows(InvalidProposalDocument);
      given(drafted).when(attach({ sha256: 'not-a-hash' })).thenThrows(InvalidProposalDocument);
      given(drafted).when(attach({ attachedBy: '' })).thenThrows(InvalidProposalDocument);
      given(drafted).when(attach({ organisationId: P1 })).thenThrows(InvalidProposalDocument);
    });

    it('a document name shredded with its organisation still folds', () => {
      const shredded = { ...attached, data: { ...(attached.data as object), name: null } } as ProposalEvent;
      expect(fold(proposalDecider, [drafted, shredded]).documents).toEqual([expect.objectContaining({ documentId: 'doc-1', name: null })]);
    });
  });
});
