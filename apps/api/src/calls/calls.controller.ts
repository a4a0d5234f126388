import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Optional, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ExecuteCallCommand } from '@app/application/calls/call-commands';
import { callRecipientCeiling } from '@app/application/calls/call-recipient-ceiling';
import { DEFAULT_RECIPIENT_CEILING_POLICY, type RecipientCeilingPolicy } from '@app/domain/recipient';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import type { CommandContext } from '@app/application/command-context';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { callStatusesToList, maySeeCall } from '@app/application/calls/call-access';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import { AsOfReadModels } from '@app/application/audit/as-of';
import { callCommandRules } from '@app/domain/call';
import { CallsQuery } from '@app/read-models/calls/calls.query';
import { AsOfQuery, asOfInstant, notFound } from '../audit/as-of-query.dto';
import { CommandCtx } from '../http/command-context.decorator';
import { CommandResultDto } from '../http/command-result.dto';
import { VersionedRead, versioned } from '../http/version-etag';
import { CallViewDto, CallListDto, jsonText, toCallViewDto } from './call-view.dto';
import { CancelCallDto, CloseCallDto, DraftCallDto, ExtendDeadlineDto, ListCallsQuery } from './call.dto';
import { commandHeaders } from '../http/command-docs';

const commandDocs = (): MethodDecorator => commandHeaders('call');

@ApiTags('calls')
@ApiBearerAuth()
@Controller('calls')
export class CallsController {
  /** The configured ceilings per recipient, which a call without its own falls back to. */
  private readonly recipientCeilings: RecipientCeilingPolicy;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly calls: CallsQuery,
    private readonly asOf: AsOfReadModels,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.recipientCeilings = config?.recipientCeiling ?? DEFAULT_RECIPIENT_CEILING_POLICY;
  }

  @Post()
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Draft a call for proposals' })
  @ApiCreatedResponse({ type: CommandResultDto })
  @ApiRuleViolations(callCommandRules.DraftCall)
  @ApiProblemResponses(400, 401, 403, 409, 422)
  @commandDocs()
  draft(@Body() body: DraftCallDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const callId = this.ids.forCommand(ctx, 'call');
    return this.commandBus.execute(new ExecuteCallCommand({ type: 'DraftCall', data: { callId, ...body } }, ctx, { newStream: true }));
  }

  @Post(':id/publish')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Publish a drafted call: applicants can see it and submit within its window' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(callCommandRules.PublishCall)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  publish(@Param('id', ParseUUIDPipe) callId: string, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteCallCommand({ type: 'PublishCall', data: { callId } }, ctx));
  }

  @Post(':id/deadline-extensions')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Extend the submission deadline of a published call (to a later date, with a reason)' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(callCommandRules.ExtendCallDeadline)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  extend(@Param('id', ParseUUIDPipe) callId: string, @Body() body: ExtendDeadlineDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteCallCommand({ type: 'ExtendCallDeadline', data: { callId, ...body } }, ctx));
  }

  @Post(':id/close')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Close a published call to submissions (a reason is required before the deadline)' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(callCommandRules.CloseCall)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  close(@Param('id', ParseUUIDPipe) callId: string, @Body() body: CloseCallDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteCallCommand({ type: 'CloseCall', data: { callId, ...body } }, ctx));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Cancel a call (with a reason); refused once funds are committed' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(callCommandRules.CancelCall)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  cancel(@Param('id', ParseUUIDPipe) callId: string, @Body() body: CancelCallDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteCallCommand({ type: 'CancelCall', data: { callId, ...body } }, ctx));
  }

  @Get()
  @Roles('grant-manager', 'admin', 'auditor', 'reviewer', 'applicant')
  @ApiOperation({ summary: 'List calls (applicants and reviewers see published and closed calls only)' })
  @ApiOkResponse({ type: CallListDto })
  @ApiProblemResponses(400, 401, 403)
  async list(@Query() query: ListCallsQuery, @CurrentActor() actor: Actor): Promise<CallListDto> {
    const statuses = callStatusesToList(actor, query.status);
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.calls.list({ statuses, limit, offset });
    return { items: items.map((call) => toCallViewDto(call, this.recipientCeilings)), total, limit, offset };
  }

  @Get(':id')
  @Roles('grant-manager', 'admin', 'auditor', 'reviewer', 'applicant')
  @ApiOperation({
    summary: 'One call as the read model shows it (eventually consistent: compare `version`), with the ceiling per recipient that applies to it',
    description:
      "`recipientCeiling`: the call's own ceiling per recipient, or the configured one it falls back to (its amount, currency and source). With `?asOf=<ISO instant>`: the same answer as it was at that instant, folded from the events recorded up to it (404 before it existed); a configured ceiling is the configuration's now.",
  })
  @VersionedRead(CallViewDto)
  @ApiProblemResponses(400, 401, 403, 404)
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: AsOfQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) response: Response): Promise<CallViewDto | string> {
    const asOf = asOfInstant(query);
    if (!asOf) {
      // The live answer as PostgreSQL writes it (issue 11): the same bytes as toCallViewDto's object
      // through res.json, without parsing the row into Dates and objects to write them back.
      const live = await this.calls.jsonById(id);
      if (!live || !maySeeCall(actor, live)) throw new NotFoundException(`call ${id} not found`);
      if (live.json !== null) {
        versioned(response, live);
        // The members up to `version` as PostgreSQL wrote them, then the recipient ceiling (the configuration's, when the call states none).
        return jsonText(response, `${live.json},"recipientCeiling":${JSON.stringify(callRecipientCeiling(live, this.recipientCeilings))}}`);
      }
    }
    const call = asOf ? await this.asOf.call(id, asOf) : await this.calls.byId(id);
    if (!call || !maySeeCall(actor, call)) throw notFound('call', id, asOf);
    return versioned(response, toCallViewDto(call, this.recipientCeilings));
  }
}
