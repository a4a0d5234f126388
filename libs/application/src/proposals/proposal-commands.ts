import { createHash } from 'node:crypto';
import { canonicalJson } from '@app/event-store/hash-chain';
import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '@app/platform/clock';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { assertAwardWithinRecipientCeilings } from '../recipients/recipient-ceiling.check';
import { DEFAULT_RECIPIENT_CEILING_POLICY } from '@app/domain/recipient';
import { callDecider, callStreamName } from '@app/domain/call';
import { organisationDecider, organisationStreamName } from '@app/domain/organisation';
import {
  acceptedPartnerIds,
  callSnapshotOf,
  invitedPartnerIds,
  organisationSnapshotOf,
  proposalContent,
  proposalDecider,
  proposalStreamName,
  type CallSnapshot,
  type OrganisationSnapshots,
  type ProposalCommand,
  type ProposalState,
} from '@app/domain/proposal';
import { DomainRuleViolation } from '@app/domain/shared/decider';
import type { CommandContext, CommandResult } from '../command-context';
import { type Facts, StreamCommandExecutor } from '../stream-command-executor';
import { authorizeProposalCommand, type HttpProposalCommandType, type ProposalAudience } from './proposal-access';
import { redressWindowDaysFromEnv } from './redress-window';

/** A command as the HTTP layer states it: without the time and the facts the application looks up. */
type Requested<T> = T extends { type: infer K; data: infer D } ? { type: K; data: D } : never;

/**
 * Any proposal command a person can send. The handler adds `now`, the call and organisation
 * snapshots, and (on submission) the content hash. RecordAwardFundsUnavailable and RecordAwardFunded
 * are not here: only the award process manager sends them, straight through the executor; nor is
 * AttachProposalDocument, which stores the file first (documents/proposal-documents.ts).
 */
export type ProposalRequest =
  | Exclude<Requested<ProposalCommand>, { type: 'SubmitProposal' | 'RecordAwardFundsUnavailable' | 'RecordAwardFunded' | 'AttachProposalDocument' }>
  | { type: 'SubmitProposal'; data: { proposalId: string } };

/** The call a new proposal names is not in the log (HTTP 422: the request refers to nothing). */
export class UnknownCall extends DomainRuleViolation {
  static readonly rule = 'proposal.call.unknown';
  constructor(readonly callId: string) {
    super(UnknownCall.rule, `Call ${callId} does not exist`);
  }
}

export class ExecuteProposalCommand extends Command<CommandResult> {
  constructor(
    readonly request: ProposalRequest,
    readonly context: CommandContext,
  ) {
    super();
  }
}

/** sha256 hex of the canonical JSON of what a submission freezes; an auditor can recompute it from the log. */
export function proposalContentHash(state: ProposalState): string {
  return createHash('sha256').update(canonicalJson(proposalContent(state))).digest('hex');
}

export function audienceOf(state: ProposalState): ProposalAudience | null {
  if (state.status === 'none') return null;
  return {
    leadOrganisationId: state.leadOrganisationId,
    partnerOrganisationIds: acceptedPartnerIds(state),
    assignedReviewerIds: state.assignedReviewerIds,
    recusedReviewerIds: state.recusedReviewerIds,
    invitedOrganisationIds: invitedPartnerIds(state),
  };
}

/**
 * Reads the proposal once, checks who may act, looks up the outside facts the decider needs (the
 * call, the organisations of the network) and appends with the version it read — all as one step
 * of the executor, so a concurrent append makes it read, check and decide again on the new state.
 *
 * The call is pinned for every command whose rule needs it open (draft, revise, partners, submit):
 * the append happens only if the call stream is still at the version read, so a CloseCall (or a
 * cancellation, or a deadline change) appended in between makes the command decide again on the
 * closed call and refuse. PostgreSQL checks this atomically with the append; EventStoreDB just
 * before it (see the README, "A submission and the call's closing"). Organisations are read
 * unpinned: a profile change racing a command is decided on as it was read.
 */
@CommandHandler(ExecuteProposalCommand)
export class ExecuteProposalCommandHandler implements ICommandHandler<ExecuteProposalCommand, CommandResult> {
  /** REDRESS_WINDOW_DAYS (default 30): read once, so a bad value fails at start. */
  private readonly redressWindowDays = redressWindowDaysFromEnv();

  constructor(
    private readonly executor: StreamCommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  async execute({ request, context }: ExecuteProposalCommand): Promise<CommandResult> {
    const proposalId = request.data.proposalId;
    const { id, version } = await this.executor.handle(
      proposalDecider,
      proposalStreamName(proposalId),
      proposalId,
      (state, _version, facts) => {
        authorizeProposalCommand(context.actor, request as { type: HttpProposalCommandType; data: { proposalId: string } }, audienceOf(state));
        return this.withFacts(request, state, facts, this.clock.now().toISOString());
      },
      context,
    );
    return { id, version };
  }

  private async withFacts(request: ProposalRequest, state: ProposalState, facts: Facts, now: string): Promise<ProposalCommand> {
    const network = [state.leadOrganisationId, ...state.partners.map((p) => p.organisationId)];
    // Rules that need the call open are decided on a pinned call (see the class comment).
    const openCall = (callId: string) => callSnapshot(facts, callId, { pin: true });
    switch (request.type) {
      case 'DraftProposal': {
        // Partners are invited, never looked up: the answer must not depend on whether they are registered.
        const { callId, leadOrganisationId } = request.data;
        const call = await openCall(callId);
        const organisations = await this.organisations(facts, [leadOrganisationId]);
        return { ...request, call, organisations, now };
      }
      case 'AddPartner':
        return { ...request, call: await openCall(state.callId), now };
      case 'RequestRedress':
        return { ...request, redressWindowDays: this.redressWindowDays, now };
      case 'SubmitProposal':
        return {
          type: 'SubmitProposal',
          data: { proposalId: request.data.proposalId, contentHash: proposalContentHash(state) },
          call: await openCall(state.callId),
          organisations: await this.organisations(facts, network),
          now,
        };
      case 'ReviseProposal':
      case 'RemovePartner':
        return { ...request, call: await openCall(state.callId), now } as ProposalCommand;
      case 'AssignReviewer':
        return { ...request, organisations: await this.organisations(facts, network), now };
      case 'RecordFundingDecision': {
        // The call's award range and review count are fixed once drafted: nothing to pin.
        // And the network's organisations as they are now (their latest due diligence), unpinned as for a review.
        const command: ProposalCommand = { ...request, call: await callSnapshot(facts, state.callId), organisations: await this.organisations(facts, network), now };
        // The proposal's own rules answer first (a decision it refuses is 409/422 for its reason);
        // then the ceiling per recipient of every organisation of the network (422, nothing appended).
        proposalDecider.decide(command, state);
        const { state: callState } = await facts.load(callDecider, callStreamName(state.callId));
        await assertAwardWithinRecipientCeilings(facts, request.data, state, callState, this.config?.recipientCeiling ?? DEFAULT_RECIPIENT_CEILING_POLICY);
        return command;
      }
      case 'SubmitReview':
        // The organisations of the network as they are now, as for the assignment: a reviewer who
        // became a member user of one since may not review (read unpinned, see the class comment).
        return { ...request, call: await callSnapshot(facts, state.callId), organisations: await this.organisations(facts, network), now };
      case 'RecordConsensus':
      case 'ProvideClarification':
        // The call's criteria, award range and review count are fixed once drafted: nothing to pin.
        return { ...request, call: await callSnapshot(facts, state.callId), now } as ProposalCommand;
      case 'AcceptPartnership':
      case 'DeclinePartnership':
      case 'LeavePartnership':
      case 'RecordRedressOutcome':
      case 'WithdrawProposal':
      case 'ScreenEligibility':
      case 'DeclareConflictOfInterest':
      case 'RecuseReviewer':
      case 'RequestClarification':
        return { ...request, now } as ProposalCommand;
      default: {
        const unhandled: never = request;
        throw new Error(`Unhandled proposal request ${JSON.stringify(unhandled)}`);
      }
    }
  }

  /** Registered organisations only: a missing one is left out, and the decider names it (UnknownOrganisation). */
  private async organisations(facts: Facts, ids: readonly string[]): Promise<OrganisationSnapshots> {
    const unique = [...new Set(ids)];
    const loaded = await Promise.all(unique.map((id) => facts.load(organisationDecider, organisationStreamName(id))));
    const snapshots: Record<string, ReturnType<typeof organisationSnapshotOf>> = {};
    unique.forEach((id, i) => {
      if (loaded[i].state.status === 'registered') snapshots[id] = organisationSnapshotOf(loaded[i].state);
    });
    return snapshots;
  }
}

/** The snapshot of a call a proposal command is decided on (`pin`: the append holds only if the call did not move); 422 for a call that does not exist. */
export async function callSnapshot(facts: Facts, callId: string, options?: { pin: boolean }): Promise<CallSnapshot> {
  const { state } = await facts.load(callDecider, callStreamName(callId), options);
  if (state.status === 'none') throw new UnknownCall(callId);
  return callSnapshotOf(state);
}
