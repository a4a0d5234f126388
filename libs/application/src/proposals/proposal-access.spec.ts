import { ForbiddenException } from '@nestjs/common';
import { StreamNotFound } from '@app/domain/shared/decider';
import { authorizeProposalCommand, relationTo, type ProposalAudience } from './proposal-access';

const LEAD = 'lead-org';
const PARTNER = 'partner-org';
const INVITED = 'invited-org';
const proposal: ProposalAudience = { leadOrganisationId: LEAD, partnerOrganisationIds: [PARTNER], assignedReviewerIds: ['rev-assigned'], invitedOrganisationIds: [INVITED] };
const proposalId = 'p-1';

const lead = { id: 'u-lead', role: 'applicant', organisationId: LEAD };
const partner = { id: 'u-partner', role: 'applicant', organisationId: PARTNER };
const stranger = { id: 'u-stranger', role: 'applicant', organisationId: 'other-org' };
const manager = { id: 'alice', role: 'grant-manager' };
const admin = { id: 'root', role: 'admin' };
const auditor = { id: 'audrey', role: 'auditor' };
const assigned = { id: 'rev-assigned', role: 'reviewer' };
const unassigned = { id: 'rev-other', role: 'reviewer' };
const partnerSystem = { id: 'donor', role: 'partner' };
const invitee = { id: 'u-invited', role: 'applicant', organisationId: INVITED };

const attempt = (actor: Parameters<typeof authorizeProposalCommand>[0], type: Parameters<typeof authorizeProposalCommand>[1]['type'], data: Record<string, string> = {}) =>
  () => authorizeProposalCommand(actor, { type, data: { proposalId, ...data } }, proposal);

describe('proposal access', () => {
  it('lets the programme team and auditors see every proposal, applicants those their organisation is in, reviewers those assigned to them', () => {
    expect(relationTo(manager, proposal)).toBe('programme');
    expect(relationTo(admin, proposal)).toBe('programme');
    expect(relationTo(auditor, proposal)).toBe('auditor');
    expect(relationTo(lead, proposal)).toBe('lead');
    expect(relationTo(partner, proposal)).toBe('partner');
    expect(relationTo(assigned, proposal)).toBe('reviewer');
    for (const nobody of [stranger, unassigned, partnerSystem, invitee, { id: 'x', role: 'applicant' }]) expect(relationTo(nobody, proposal)).toBeNull();
  });

  it('hides a proposal from those who may not see it: 404 as if it did not exist', () => {
    expect(attempt(stranger, 'WithdrawProposal')).toThrow(StreamNotFound);
    expect(attempt(unassigned, 'SubmitReview', { reviewerId: unassigned.id })).toThrow(StreamNotFound);
    expect(attempt(partnerSystem, 'ScreenEligibility')).toThrow(StreamNotFound);
    expect(() => authorizeProposalCommand(manager, { type: 'ScreenEligibility', data: { proposalId } }, null)).toThrow(StreamNotFound);
  });

  it('lets only applicants of the lead organisation draft, revise, change partners, submit, withdraw and answer clarifications', () => {
    for (const type of ['ReviseProposal', 'AddPartner', 'RemovePartner', 'SubmitProposal', 'WithdrawProposal', 'ProvideClarification'] as const) {
      expect(attempt(lead, type)).not.toThrow();
      expect(attempt(partner, type)).toThrow(ForbiddenException);
      expect(attempt(manager, type)).toThrow(ForbiddenException);
      expect(attempt(assigned, type)).toThrow(ForbiddenException);
    }
    expect(() => authorizeProposalCommand(lead, { type: 'DraftProposal', data: { proposalId, leadOrganisationId: LEAD } }, null)).not.toThrow();
    expect(() => authorizeProposalCommand(partner, { type: 'DraftProposal', data: { proposalId, leadOrganisationId: LEAD } }, null)).toThrow(ForbiddenException);
    expect(() => authorizeProposalCommand(manager, { type: 'DraftProposal', data: { proposalId, leadOrganisationId: LEAD } }, null)).toThrow(ForbiddenException);
  });

  it('lets only grant managers and admins screen, assign and recuse reviewers, record consensus and decisions, and request clarifications', () => {
    for (const type of ['ScreenEligibility', 'AssignReviewer', 'RecuseReviewer', 'RecordConsensus', 'RecordFundingDecision', 'RequestClarification'] as const) {
      expect(attempt(manager, type)).not.toThrow();
      expect(attempt(admin, type)).not.toThrow();
      expect(attempt(auditor, type)).toThrow(ForbiddenException);
      expect(attempt(lead, type)).toThrow(ForbiddenException);
      expect(attempt(assigned, type)).toThrow(ForbiddenException);
    }
  });

  it('lets an assigned reviewer declare conflicts and review only as themselves', () => {
    for (const type of ['DeclareConflictOfInterest', 'SubmitReview'] as const) {
      expect(attempt(assigned, type, { reviewerId: assigned.id })).not.toThrow();
      expect(attempt(assigned, type, { reviewerId: 'someone-else' })).toThrow(ForbiddenException);
      expect(attempt(manager, type, { reviewerId: assigned.id })).toThrow(ForbiddenException);
      expect(attempt(lead, type, { reviewerId: assigned.id })).toThrow(ForbiddenException);
    }
  });

  it('stops a recused reviewer reading the proposal, while it may still add to its declaration', () => {
    const recusedFrom: ProposalAudience = { ...proposal, recusedReviewerIds: ['rev-assigned'] };
    expect(relationTo(assigned, recusedFrom)).toBeNull();
    expect(relationTo(assigned, recusedFrom, 'act')).toBe('reviewer');
    expect(() => authorizeProposalCommand(assigned, { type: 'DeclareConflictOfInterest', data: { proposalId, reviewerId: 'rev-assigned' } }, recusedFrom)).not.toThrow();
    expect(relationTo(assigned, proposal)).toBe('reviewer');
  });

  it('lets an applicant of an invited or accepted partner answer for its own organisation only; others learn nothing (404) or are refused (403)', () => {
    for (const type of ['AcceptPartnership', 'DeclinePartnership', 'LeavePartnership'] as const) {
      expect(attempt(invitee, type, { organisationId: INVITED })).not.toThrow();
      expect(attempt(partner, type, { organisationId: PARTNER })).not.toThrow();
      expect(attempt(stranger, type, { organisationId: 'other-org' })).toThrow(StreamNotFound);
      expect(attempt(stranger, type, { organisationId: INVITED })).toThrow(StreamNotFound);
      expect(attempt(invitee, type, { organisationId: PARTNER })).toThrow(StreamNotFound);
      expect(attempt(lead, type, { organisationId: INVITED })).toThrow(ForbiddenException);
      expect(attempt(partner, type, { organisationId: INVITED })).toThrow(ForbiddenException);
      expect(attempt(manager, type, { organisationId: INVITED })).toThrow(ForbiddenException);
    }
  });

  it('lets applicants of the lead and of accepted partners request redress for their own organisation; grant managers record its outcome', () => {
    expect(attempt(lead, 'RequestRedress', { organisationId: LEAD })).not.toThrow();
    expect(attempt(partner, 'RequestRedress', { organisationId: PARTNER })).not.toThrow();
    expect(attempt(partner, 'RequestRedress', { organisationId: LEAD })).toThrow(ForbiddenException);
    expect(attempt(invitee, 'RequestRedress', { organisationId: INVITED })).toThrow(StreamNotFound);
    expect(attempt(manager, 'RequestRedress', { organisationId: LEAD })).toThrow(ForbiddenException);
    expect(attempt(manager, 'RecordRedressOutcome')).not.toThrow();
    expect(attempt(lead, 'RecordRedressOutcome')).toThrow(ForbiddenException);
    expect(attempt(auditor, 'RecordRedressOutcome')).toThrow(ForbiddenException);
  });

  it('lets auditors write nothing', () => {
    for (const type of ['ReviseProposal', 'SubmitProposal', 'ScreenEligibility', 'RecordFundingDecision', 'SubmitReview'] as const) {
      expect(attempt(auditor, type, { reviewerId: auditor.id })).toThrow(ForbiddenException);
    }
  });
});
