import { ConflictException, Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WrongExpectedVersionError } from '@app/event-store';
import { CLOCK, type Clock } from '@app/platform/clock';
import { callDecider, callStreamName, commitmentOf } from '@app/domain/call';
import { grantDecider, grantStreamName, type AmendGrant, type AwardGrant, type GrantCommand, type GrantState } from '@app/domain/grant';
import { StreamNotFound } from '@app/domain/shared/decider';
import { RecipientCommitmentNotFound, recipientDecider, recipientsOfAward, recipientStreamName } from '@app/domain/recipient';
import type { CommandContext, CommandResult } from '../command-context';
import { StreamCommandExecutor } from '../stream-command-executor';

/** Distributes Omit over a union, so each command keeps its own data shape. */
type WithoutNow<T> = T extends unknown ? Omit<T, 'now'> : never;

/** What the HTTP layer may send: the award comes from the process manager, amendments have their own handler. */
export type GrantLifecycleCommand = WithoutNow<Exclude<GrantCommand, AwardGrant | AmendGrant>>;

export interface GrantCommandOptions {
  /**
   * The organisation an applicant acts for: unless it is the grant's grantee, the grant is not
   * there for them (404, exactly as for a grant that does not exist, and as `GET /grants/:id`
   * answers): its existence is not theirs to learn. Checked against the stream itself, in the same
   * read the decision uses.
   */
  actingForOrganisationId?: string;
}

/** Any grant lifecycle command; `now` is added by the handler from the injected clock. */
export class ExecuteGrantCommand extends Command<CommandResult> {
  constructor(
    readonly command: GrantLifecycleCommand,
    readonly context: CommandContext,
    readonly options: GrantCommandOptions = {},
  ) {
    super();
  }
}

@CommandHandler(ExecuteGrantCommand)
export class ExecuteGrantCommandHandler implements ICommandHandler<ExecuteGrantCommand, CommandResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ command, context, options }: ExecuteGrantCommand): Promise<CommandResult> {
    const grantId = command.data.grantId;
    const streamId = grantStreamName(grantId);
    const full = { ...command, now: this.clock.now().toISOString() } as GrantCommand;
    const organisationId = options.actingForOrganisationId;
    // The builder runs before If-Match is compared: someone else's grant answers 404, never 409 with its version.
    const { id, version } = await this.executor.handle(
      grantDecider,
      streamId,
      grantId,
      (state) => {
        if (organisationId !== undefined) assertGrantee(state, grantId, organisationId);
        return full;
      },
      context,
    );
    return { id, version };
  }
}

/** The same StreamNotFound as a grant never awarded, so the answer does not tell the two apart. */
function assertGrantee(state: GrantState, grantId: string, organisationId: string): void {
  if (state.terms === null || state.terms.granteeOrganisationId !== organisationId) throw new StreamNotFound(grantStreamName(grantId));
}

export class AmendGrantCommand extends Command<CommandResult> {
  constructor(
    readonly data: AmendGrant['data'],
    readonly context: CommandContext,
  ) {
    super();
  }
}

/**
 * Amendments, with the multi-stream rules they carry: a grant's amount never rises above its call's
 * maximum award per grant (decided with the grant, on the call's terms read here), nor beyond what
 * its call can still commit, nor takes an organisation of its network past its ceiling per
 * recipient. An amount increase is therefore three steps, recipients and call first:
 *
 * 1. decide the amendment on the grant as it is now (with the call's maximum award), and the
 *    increase on the call and every ledger as they stand (a broken rule stops here, nothing written);
 * 2. AdjustRecipientCommitment by the increase on each organisation's ledger (grantee, then
 *    partners), keyed by the amendment id (RecipientCeilingExceeded → 422; those already raised are
 *    given back with `{amendmentId}:reverted`); a grant a ledger never counted (awarded before the
 *    ledger existed) is skipped there;
 * 3. AdjustCommitment by the increase on the call, keyed by the amendment id (BudgetExceeded → 422,
 *    the recipients given back, nothing written to the grant);
 * 4. append GrantAmended, expecting the grant version read in step 1 (or the client's If-Match).
 *
 * If step 4 fails (the grant moved on meanwhile), compensating adjustments `{amendmentId}:reverted`
 * give the increase back to the call and the recipients and the client gets the error (409), so the log shows both facts. Should
 * the process die between steps 2 and 3, the increase stays committed without an amendment: the
 * budget errs on the safe side, and the commitment shows the amendment id to reconcile it by.
 *
 * Decreases and other kinds append directly; the grant-funds process manager then gives a decrease
 * back to the call (and re-applies an increase idempotently, as a backstop).
 */
@CommandHandler(AmendGrantCommand)
export class AmendGrantCommandHandler implements ICommandHandler<AmendGrantCommand, CommandResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data, context }: AmendGrantCommand): Promise<CommandResult> {
    const streamId = grantStreamName(data.grantId);
    const { state, version } = await this.executor.load(grantDecider, streamId);
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new WrongExpectedVersionError(streamId, context.expectedVersion, version);
    }
    const command: AmendGrant = { type: 'AmendGrant', data, call: await this.callLimits(state), now: this.clock.now().toISOString() };
    let amended: ReturnType<typeof grantDecider.decide>[number] | undefined;
    try {
      [amended] = grantDecider.decide(command, state);
    } catch (error) {
      // A keyed request whose twin (sent at once with the key) amended the grant first is refused
      // here as a duplicate: the executor answers it from that earlier attempt (or refuses alike).
      if (context.idempotencyKey === undefined) throw error;
      const { id, version: next } = await this.executor.execute(grantDecider, streamId, data.grantId, command, { ...context, expectedVersion: version });
      return { id, version: next };
    }
    const increaseMinor =
      amended?.type === 'GrantAmended' && amended.data.kind === 'amount-change' ? amended.data.newAmountMinor - amended.data.previousAmountMinor : 0;
    if (increaseMinor <= 0 || state.terms === null) {
      const { id, version: next } = await this.executor.execute(grantDecider, streamId, data.grantId, command, { ...context, expectedVersion: version });
      return { id, version: next };
    }

    const callId = state.terms.callId;
    const recipients = recipientsOfAward(state.terms.granteeOrganisationId, state.terms.partnerOrganisationIds).map((r) => r.organisationId);
    // The compensation is a step of its own, not a retry of the client's request: it carries no Idempotency-Key.
    const { idempotencyKey: _key, ...compensation } = context;
    // An earlier attempt of this keyed request that was given back (the grant moved on before its
    // amendment) spent its adjustment ids and, on the call and the ledgers, its key: a retry that
    // reused them would be answered from that attempt, already reverted, and raise the grant alone.
    // So each attempt after one given back adjusts under ids and a key of its own (`…#n`).
    const { adjustmentId, stepContext } = await this.attemptOf(callId, data.grantId, data.amendmentId, context);
    const notRecorded = `Amendment ${data.amendmentId} was not recorded`;
    const raiseReason = `Grant amount raised by amendment ${data.amendmentId}`;
    await this.assertIncreaseFits(callId, recipients, data.grantId, adjustmentId, increaseMinor, raiseReason);
    const raised = await this.adjustRecipients(recipients, data.grantId, adjustmentId, increaseMinor, raiseReason, stepContext, compensation);
    try {
      await this.adjustCall(callId, data.grantId, adjustmentId, increaseMinor, raiseReason, stepContext);
    } catch (error) {
      await this.revertRecipients(raised, data.grantId, adjustmentId, increaseMinor, notRecorded, compensation);
      throw error;
    }
    try {
      const { id, version: next } = await this.executor.execute(grantDecider, streamId, data.grantId, command, { ...context, expectedVersion: version });
      return { id, version: next };
    } catch (error) {
      await this.adjustCall(callId, data.grantId, `${adjustmentId}:reverted`, -increaseMinor, notRecorded, compensation);
      await this.revertRecipients(raised, data.grantId, adjustmentId, increaseMinor, notRecorded, compensation);
      if (error instanceof WrongExpectedVersionError && context.expectedVersion === undefined) {
        throw new ConflictException('The grant changed while the amendment was being recorded; nothing was amended, please retry');
      }
      throw error;
    }
  }

  /**
   * The call's maximum award per grant, which an increase is held to (fixed when the call was
   * drafted: nothing to pin). A grant not awarded yet is refused by the decider (StreamNotFound)
   * before the call matters; a grant's call always exists once the grant does.
   */
  private async callLimits(grant: GrantState): Promise<AmendGrant['call']> {
    if (grant.terms === null) return { maxAwardMinor: Number.MAX_SAFE_INTEGER };
    const { state: call } = await this.executor.load(callDecider, callStreamName(grant.terms.callId));
    if (call.status === 'none') throw new StreamNotFound(callStreamName(grant.terms.callId));
    return { maxAwardMinor: call.terms.maxAwardMinor };
  }

  /**
   * This attempt's adjustment id and the context of its steps on the call and the ledgers: the
   * amendment's own id and the request's context, unless earlier attempts of it were given back
   * (`{id}:reverted`, `{id}#1:reverted`, … on the call), then `{id}#n` and the key `{key}#n`, n their
   * number. (The grant-funds process manager's backstop adjusts by the amendment's own id, which the
   * call then holds already, applied and given back: it changes nothing.)
   */
  private async attemptOf(callId: string, grantId: string, amendmentId: string, context: CommandContext): Promise<{ adjustmentId: string; stepContext: CommandContext }> {
    const { state: call } = await this.executor.load(callDecider, callStreamName(callId));
    const adjustmentIds = call.status === 'none' ? [] : (commitmentOf(call, grantId)?.adjustmentIds ?? []);
    const givenBack = adjustmentIds.filter((id) => id === `${amendmentId}:reverted` || (id.startsWith(`${amendmentId}#`) && id.endsWith(':reverted'))).length;
    if (givenBack === 0) return { adjustmentId: amendmentId, stepContext: context };
    const key = context.idempotencyKey;
    return { adjustmentId: `${amendmentId}#${givenBack}`, stepContext: key === undefined ? context : { ...context, idempotencyKey: `${key}#${givenBack}` } };
  }

  /**
   * Judges the increase on the call and on every ledger as they stand, before anything is written:
   * a refusal then leaves the log untouched (the call's rule first). Only a change racing in between
   * can still refuse a step below, whose earlier steps are then compensated.
   */
  private async assertIncreaseFits(callId: string, organisationIds: readonly string[], grantId: string, adjustmentId: string, changeMinor: number, reason: string): Promise<void> {
    const now = this.clock.now().toISOString();
    const { state: call } = await this.executor.load(callDecider, callStreamName(callId));
    callDecider.decide({ type: 'AdjustCommitment', data: { callId, grantId, adjustmentId, changeMinor, reason }, now }, call);
    for (const organisationId of organisationIds) {
      const { state } = await this.executor.load(recipientDecider, recipientStreamName(organisationId));
      try {
        recipientDecider.decide({ type: 'AdjustRecipientCommitment', data: { organisationId, grantId, adjustmentId, changeMinor, reason }, now }, state);
      } catch (error) {
        if (!(error instanceof RecipientCommitmentNotFound)) throw error;
      }
    }
  }

  /**
   * Raises what the grant counts on each recipient's ledger, in order; on a refusal gives back those
   * already raised and rethrows. Returns the organisations raised (a ledger that never counted the
   * grant is skipped: it was awarded before the ledger existed).
   */
  private async adjustRecipients(
    organisationIds: readonly string[],
    grantId: string,
    adjustmentId: string,
    changeMinor: number,
    reason: string,
    context: CommandContext,
    compensation: CommandContext,
  ): Promise<string[]> {
    const raised: string[] = [];
    const { expectedVersion: _clientVersion, answer: _answer, ...recipientContext } = context;
    for (const organisationId of organisationIds) {
      try {
        await this.executor.execute(
          recipientDecider,
          recipientStreamName(organisationId),
          organisationId,
          { type: 'AdjustRecipientCommitment', data: { organisationId, grantId, adjustmentId, changeMinor, reason }, now: this.clock.now().toISOString() },
          recipientContext,
        );
        raised.push(organisationId);
      } catch (error) {
        if (error instanceof RecipientCommitmentNotFound) continue;
        await this.revertRecipients(raised, grantId, adjustmentId, changeMinor, `Amendment ${adjustmentId} was refused`, compensation);
        throw error;
      }
    }
    return raised;
  }

  private async revertRecipients(organisationIds: readonly string[], grantId: string, adjustmentId: string, changeMinor: number, reason: string, context: CommandContext): Promise<void> {
    const { expectedVersion: _clientVersion, answer: _answer, ...recipientContext } = context;
    for (const organisationId of organisationIds) {
      await this.executor.execute(
        recipientDecider,
        recipientStreamName(organisationId),
        organisationId,
        { type: 'AdjustRecipientCommitment', data: { organisationId, grantId, adjustmentId: `${adjustmentId}:reverted`, changeMinor: -changeMinor, reason }, now: this.clock.now().toISOString() },
        recipientContext,
      );
    }
  }

  /** The executor reloads and re-decides on a version conflict: the budget rule always judges the fresh call. */
  private adjustCall(callId: string, grantId: string, adjustmentId: string, changeMinor: number, reason: string, context: CommandContext) {
    const { expectedVersion: _clientVersion, answer: _answer, ...callContext } = context;
    return this.executor.execute(
      callDecider,
      callStreamName(callId),
      callId,
      { type: 'AdjustCommitment', data: { callId, grantId, adjustmentId, changeMinor, reason }, now: this.clock.now().toISOString() },
      callContext,
    );
  }
}

export const GRANT_COMMAND_HANDLERS = [ExecuteGrantCommandHandler, AmendGrantCommandHandler];
