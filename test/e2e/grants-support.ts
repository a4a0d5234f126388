/**
 * Sets up the state the grant scenarios start from, without the proposal or organisation HTTP
 * routes: calls over HTTP, the rest as commands through StreamCommandExecutor and the deciders.
 */
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '@app/event-store/hash-chain';
import { callDecider, callStreamName, type ExistingCall } from '@app/domain/call';
import type { CommandContext } from '@app/application/command-context';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { organisationDecider, organisationStreamName } from '@app/domain/organisation';
import {
  callSnapshotOf,
  organisationSnapshotOf,
  proposalContent,
  proposalDecider,
  proposalStreamName,
  type OrganisationSnapshots,
  type ProposalCommand,
} from '@app/domain/proposal';
import type { TestApp } from '../support/app';
import { draftCallBody } from '../support/call-fixtures';

/** Inside the default call's submission window. */
export const DURING_WINDOW = '2027-02-01T10:00:00.000Z';

/** The grant scenarios' call: a smaller budget and award floor, two partners, one review, two criteria. */
export function callBody(overrides: Record<string, unknown> = {}) {
  return draftCallBody({
    budgetMinor: 20_000_000,
    minAwardMinor: 500_000,
    minPartners: 2,
    criteria: [
      { id: 'relevance', name: 'Relevance', weight: 60, maxScore: 10 },
      { id: 'network', name: 'Network', weight: 40, maxScore: 10 },
    ],
    reviewsRequired: 1,
    ...overrides,
  });
}

export function humanContext(id = 'alice', role = 'grant-manager'): CommandContext {
  const requestId = randomUUID();
  return { actor: { id, role }, correlationId: requestId, causationId: requestId };
}

export class GrantScenario {
  readonly executor: StreamCommandExecutor;

  constructor(private readonly t: TestApp) {
    this.executor = t.app.get(StreamCommandExecutor);
  }

  async publishedCall(overrides: Record<string, unknown> = {}): Promise<string> {
    const manager = await this.t.token({ role: 'grant-manager', id: 'alice' });
    const drafted = await this.t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(callBody(overrides)).expect(201);
    await this.t.http.post(`/calls/${drafted.body.id}/publish`).set('Authorization', `Bearer ${manager}`).expect(200);
    return drafted.body.id;
  }

  async organisation(country = 'LB', memberUserIds: string[] = []): Promise<string> {
    const organisationId = randomUUID();
    await this.executor.execute(
      organisationDecider,
      organisationStreamName(organisationId),
      organisationId,
      {
        type: 'RegisterOrganisation',
        data: {
          organisationId,
          name: `Network member ${organisationId.slice(0, 8)}`,
          country,
          legalStatus: 'registered-association',
          focusGroups: ['stateless people'],
          contactPerson: { name: 'Contact Person', email: 'contact@example.org' },
          memberUserIds,
        },
        now: DURING_WINDOW,
      },
      humanContext('admin-user', 'admin'),
    );
    return organisationId;
  }

  /** Drafted, submitted, screened, reviewed once and with a consensus: ready for a funding decision. */
  async proposalReadyForDecision(options: {
    callId: string;
    leadOrganisationId: string;
    partnerOrganisationIds: string[];
    requestedMinor: number;
    durationMonths?: number;
    /** What every partner states as its mandate when it accepts. */
    mandateStatement?: string;
  }): Promise<string> {
    const proposalId = randomUUID();
    const { callId, leadOrganisationId, partnerOrganisationIds, requestedMinor } = options;
    const call = await this.call(callId);
    const organisations = await this.snapshots([leadOrganisationId, ...partnerOrganisationIds]);
    const run = (command: ProposalCommand, ctx = humanContext()) =>
      this.executor.execute(proposalDecider, proposalStreamName(proposalId), proposalId, command, ctx);
    await run(
      {
        type: 'DraftProposal',
        data: {
          proposalId,
          callId,
          leadOrganisationId,
          partners: partnerOrganisationIds.map((organisationId) => ({ organisationId, role: 'community outreach' })),
          title: 'Nationality rights for stateless children',
          summary: 'Legal aid and advocacy on birth registration.',
          policyIssue: 'nationality rights',
          requestedMinor,
          currency: 'EUR',
          budgetLines: [{ label: 'Legal aid', amountMinor: requestedMinor }],
          durationMonths: options.durationMonths ?? 24,
        },
        call,
        organisations,
        now: DURING_WINDOW,
      },
      humanContext('applicant-user', 'applicant'),
    );
    // Every invited partner accepts the terms (version 1, as drafted) before the lead submits.
    for (const organisationId of partnerOrganisationIds) {
      await run(
        {
          type: 'AcceptPartnership',
          data: { proposalId, organisationId, acceptedBy: `applicant-${organisationId}`, mandateStatement: options.mandateStatement ?? 'Mandated by its board to join the network', termsVersion: 1 },
          now: DURING_WINDOW,
        },
        humanContext(`applicant-${organisationId}`, 'applicant'),
      );
    }
    const { state } = await this.executor.load(proposalDecider, proposalStreamName(proposalId));
    const contentHash = createHash('sha256').update(canonicalJson(proposalContent(state))).digest('hex');
    await run({ type: 'SubmitProposal', data: { proposalId, contentHash }, call, organisations, now: DURING_WINDOW }, humanContext('applicant-user', 'applicant'));
    await run({ type: 'ScreenEligibility', data: { proposalId, results: [{ rule: 'lead-country', passed: true, note: 'LB' }], screenedBy: 'alice' }, now: DURING_WINDOW });
    await run({ type: 'AssignReviewer', data: { proposalId, reviewerId: 'reviewer-1', assignedBy: 'alice' }, organisations, now: DURING_WINDOW });
    await run(
      {
        type: 'SubmitReview',
        data: {
          proposalId,
          reviewerId: 'reviewer-1',
          scores: call.criteria.map((c) => ({ criterionId: c.id, score: c.maxScore, comment: 'Strong' })),
          recommendation: 'fund',
          comment: 'Fund it',
        },
        call,
        organisations,
        now: DURING_WINDOW,
      },
      humanContext('reviewer-1', 'reviewer'),
    );
    await run({ type: 'RecordConsensus', data: { proposalId, score: 90, summary: 'Strong network', recordedBy: 'alice' }, call, now: DURING_WINDOW });
    return proposalId;
  }

  /** Records the committee's award; the award process manager takes it from there. */
  async award(proposalId: string, amountMinor: number, grantId = randomUUID(), decidedAt = '2027-05-03T09:00:00.000Z'): Promise<string> {
    const { state } = await this.executor.load(proposalDecider, proposalStreamName(proposalId));
    const call = await this.call(state.callId);
    await this.executor.execute(
      proposalDecider,
      proposalStreamName(proposalId),
      proposalId,
      {
        type: 'RecordFundingDecision',
        data: { proposalId, decision: 'award', amountMinor, reasons: 'Ranked within budget', decidedBy: 'committee-chair', committee: 'Programme committee', grantId },
        call,
        organisations: await this.snapshots([state.leadOrganisationId, ...state.partners.map((partner) => partner.organisationId)]),
        now: decidedAt,
      },
      humanContext('committee-chair', 'grant-manager'),
    );
    return grantId;
  }

  private async call(callId: string) {
    const { state } = await this.executor.load(callDecider, callStreamName(callId));
    if (state.status === 'none') throw new Error(`call ${callId} not found`);
    return callSnapshotOf(state as ExistingCall);
  }

  private async snapshots(organisationIds: string[]): Promise<OrganisationSnapshots> {
    const entries = await Promise.all(
      organisationIds.map(async (id) => [id, organisationSnapshotOf((await this.executor.load(organisationDecider, organisationStreamName(id))).state)] as const),
    );
    return Object.fromEntries(entries);
  }
}
