import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '@app/platform/clock';
import { callDecider, callStreamName, type CallCommand } from '@app/domain/call';
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
  ) {}

  async execute({ command, context, options }: ExecuteCallCommand): Promise<CommandResult> {
    const callId = command.data.callId;
    const full = { ...command, now: this.clock.now().toISOString() } as CallCommand;
    const { id, version } = await this.executor.execute(callDecider, callStreamName(callId), callId, full, context, options);
    return { id, version };
  }
}
