import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '@app/platform/clock';
import { callDecider, callStreamName, type CallCommand } from '@app/domain/call';
import { configuredRecipientCeiling, DEFAULT_RECIPIENT_CEILING_POLICY } from '@app/domain/recipient';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import type { CommandContext, CommandResult } from '../command-context';
import { type ExecuteOptions, StreamCommandExecutor } from '../stream-command-executor';

/** Distributes Omit over a union, so each command keeps its own data shape. */
type WithoutNow<T> = T extends unknown ? Omit<T, 'now'> : never;

/** Any call command, as the HTTP layer sends it on the command bus; `now` is added by the handler. */
export class ExecuteCallCommand extends Command<CommandResult> {
  constructor(
    readonly command: WithoutNow<CallCommand>,
    readonly context: CommandContext,
    /** `newStream` when the call's id was minted for this command (IdGenerator.forCommand). */
    readonly options: ExecuteOptions = {},
  ) {
    super();
  }
}

@CommandHandler(ExecuteCallCommand)
export class ExecuteCallCommandHandler implements ICommandHandler<ExecuteCallCommand, CommandResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  async execute({ command, context, options }: ExecuteCallCommand): Promise<CommandResult> {
    const callId = command.data.callId;
    const now = this.clock.now().toISOString();
    const full: CallCommand =
      command.type === 'DraftCall'
        ? { ...command, now, configuredRecipientCeiling: configuredRecipientCeiling(command.data.programme, this.config?.recipientCeiling ?? DEFAULT_RECIPIENT_CEILING_POLICY) }
        : ({ ...command, now } as CallCommand);
    const { id, version } = await this.executor.execute(callDecider, callStreamName(callId), callId, full, context, options);
    return { id, version };
  }
}
