import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '@app/platform/clock';
import { type EraseOrganisationPersonalData, organisationDecider, organisationStreamName, type OrganisationCommand } from '@app/domain/organisation';
import type { CommandContext, CommandResult } from '../command-context';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { PersonalDataPolicy } from '../personal-data/personal-data.policy';
import { type ExecuteOptions, StreamCommandExecutor } from '../stream-command-executor';

/** Distributes Omit over a union, so each command keeps its own data shape. */
type WithoutNow<T> = T extends unknown ? Omit<T, 'now'> : never;

/** Register, update the profile, record due diligence: the plain command path; `now` is added by the handler. */
export class ExecuteOrganisationCommand extends Command<CommandResult> {
  constructor(
    readonly command: WithoutNow<Exclude<OrganisationCommand, EraseOrganisationPersonalData>>,
    readonly context: CommandContext,
    /** `newStream` when the organisation's id was minted for this command (IdGenerator.forCommand). */
    readonly options: ExecuteOptions = {},
  ) {
    super();
  }
}

@CommandHandler(ExecuteOrganisationCommand)
export class ExecuteOrganisationCommandHandler implements ICommandHandler<ExecuteOrganisationCommand, CommandResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ command, context, options }: ExecuteOrganisationCommand): Promise<CommandResult> {
    const organisationId = command.data.organisationId;
    const full = { ...command, now: this.clock.now().toISOString() } as OrganisationCommand;
    const { id, version } = await this.executor.execute(organisationDecider, organisationStreamName(organisationId), organisationId, full, context, options);
    return { id, version };
  }
}

/** Erases the organisation's personal data: records the erasure, then shreds the subject's key. */
export class EraseOrganisationPersonalDataCommand extends Command<CommandResult> {
  constructor(
    readonly data: EraseOrganisationPersonalData['data'],
    readonly context: CommandContext,
  ) {
    super();
  }
}

/**
 * Order and crash safety: append first, then destroy the key.
 *
 * - The event is the durable record of the request, so it comes first: once it is in the log, the
 *   read models purge their decrypted copies and every replay folds the contact to `null`.
 * - If the process dies after the append and before the key is destroyed, two things finish it:
 *   a retry of the same request (the decider appends nothing when nothing personal was recorded
 *   since the last erasure, and this handler destroys the key anyway — idempotent), and the
 *   worker's PersonalDataErasureReaction, which destroys the key from the log without any retry.
 * - Destroying the key first would leave the opposite gap: a crash before the append would shred
 *   the log but leave the decrypted copy in the read models with nothing in the log to purge it.
 * - Destroying the subject's current key here is safe even when nothing was appended: the decider
 *   appends nothing only when no personal data was recorded since the last erasure, so that key
 *   protects nothing newer. A contact recorded concurrently, between the append and the key
 *   deletion, is shredded too: losing a new contact is the safe failure, keeping an erased one is not.
 *   (The reaction, running later, spares keys created after the erasure event.)
 */
@CommandHandler(EraseOrganisationPersonalDataCommand)
export class EraseOrganisationPersonalDataHandler implements ICommandHandler<EraseOrganisationPersonalDataCommand, CommandResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly keyring: PersonalDataKeyring,
    private readonly policy: PersonalDataPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data, context }: EraseOrganisationPersonalDataCommand): Promise<CommandResult> {
    const streamId = organisationStreamName(data.organisationId);
    const command: OrganisationCommand = { type: 'EraseOrganisationPersonalData', data, now: this.clock.now().toISOString() };
    const { id, version } = await this.executor.execute(organisationDecider, streamId, data.organisationId, command, context);
    await this.keyring.erase(this.policy.subjectOf(streamId));
    return { id, version };
  }
}

export const ORGANISATION_COMMAND_HANDLERS = [ExecuteOrganisationCommandHandler, EraseOrganisationPersonalDataHandler];
