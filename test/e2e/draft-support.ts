/**
 * A drafted proposal on a published call, straight through the command path (no proposal routes);
 * by default every invited partner has accepted the terms, so the draft can be submitted.
 */
import { randomUUID } from 'node:crypto';
import { callDecider, callStreamName, type ExistingCall } from '@app/domain/call';
import type { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { organisationDecider, organisationStreamName } from '@app/domain/organisation';
import { callSnapshotOf, organisationSnapshotOf, proposalDecider, proposalStreamName, type CallSnapshot, type OrganisationSnapshots } from '@app/domain/proposal';
import { DURING_WINDOW, humanContext } from './grants-support';

export async function callSnapshot(executor: StreamCommandExecutor, callId: string): Promise<CallSnapshot> {
  const { state } = await executor.load(callDecider, callStreamName(callId));
  if (state.status === 'none') throw new Error(`call ${callId} not found`);
  return callSnapshotOf(state as ExistingCall);
}

export async function organisationSnapshots(executor: StreamCommandExecutor, ids: readonly string[]): Promise<OrganisationSnapshots> {
  const entries = await Promise.all(ids.map(async (id) => [id, organisationSnapshotOf((await executor.load(organisationDecider, organisationStreamName(id))).state)] as const));
  return Object.fromEntries(entries);
}

export async function draftProposal(
  executor: StreamCommandExecutor,
  options: { callId: string; leadOrganisationId: string; partnerOrganisationIds: string[]; applicantId?: string; now?: string; partnersAccept?: boolean },
): Promise<string> {
  const proposalId = randomUUID();
  const { callId, leadOrganisationId, partnerOrganisationIds } = options;
  await executor.execute(
    proposalDecider,
    proposalStreamName(proposalId),
    proposalId,
    {
      type: 'DraftProposal',
      data: {
        proposalId,
        callId,
        leadOrganisationId,
        partners: partnerOrganisationIds.map((organisationId) => ({ organisationId, role: 'community outreach' })),
        title: 'Birth registration for stateless children',
        summary: 'Legal aid and advocacy on late birth registration.',
        policyIssue: 'nationality rights',
        requestedMinor: 1_000_000,
        currency: 'EUR',
        budgetLines: [{ label: 'Legal aid', amountMinor: 1_000_000 }],
        durationMonths: 12,
      },
      call: await callSnapshot(executor, callId),
      organisations: await organisationSnapshots(executor, [leadOrganisationId, ...partnerOrganisationIds]),
      now: options.now ?? DURING_WINDOW,
    },
    humanContext(options.applicantId ?? 'applicant-user', 'applicant'),
  );
  if (options.partnersAccept ?? true) await acceptPartnerships(executor, proposalId, partnerOrganisationIds, options.now);
  return proposalId;
}

/** Each partner's applicant accepts the current terms of the draft (the invitation, or a sign-off after a change). */
export async function acceptPartnerships(executor: StreamCommandExecutor, proposalId: string, partnerOrganisationIds: readonly string[], now = DURING_WINDOW): Promise<void> {
  for (const organisationId of partnerOrganisationIds) {
    const { state } = await executor.load(proposalDecider, proposalStreamName(proposalId));
    await executor.execute(
      proposalDecider,
      proposalStreamName(proposalId),
      proposalId,
      {
        type: 'AcceptPartnership',
        data: { proposalId, organisationId, acceptedBy: `applicant-${organisationId}`, mandateStatement: 'Mandated by its board to join the network', termsVersion: state.termsVersion },
        now,
      },
      humanContext(`applicant-${organisationId}`, 'applicant'),
    );
  }
}
