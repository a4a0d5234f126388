import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res, type StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { CommandContext } from '@app/application/command-context';
import { AmendGrantCommand, ExecuteGrantCommand, type GrantLifecycleCommand } from '@app/application/grants/grant-commands';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { grantCommandOptions, grantListScope, maySeeGrant, seesGrantStaff } from '@app/application/grants/grant-access';
import { organisationNameScope } from '@app/application/organisations/organisation-access';
import type { GrantView } from '@app/read-models/grants/grant-view.entity';
import type { ListNames } from '@app/read-models/lists/list-search';
import { csvAnswer, csvContent, wantsCsv } from '../http/csv';
import { listSearchOf } from '../http/list-search.dto';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { CLOCK, type Clock } from '@app/platform/clock';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import { AsOfReadModels } from '@app/application/audit/as-of';
import { callCommandRules } from '@app/domain/call';
import { grantCommandRules } from '@app/domain/grant';
import { RecipientCeilingExceeded } from '@app/domain/recipient';
import { GrantsQuery } from '@app/read-models/grants/grants.query';
import { AsOfQuery, asOfInstant, notFound } from '../audit/as-of-query.dto';
import { CommandCtx } from '../http/command-context.decorator';
import { CommandResultDto } from '../http/command-result.dto';
import { VersionedRead, versioned } from '../http/version-etag';
import {
  AMENDMENT_EXAMPLES,
  AmendGrantDto,
  CancelDisbursementDto,
  DISBURSEMENT_EXAMPLES,
  ListGrantsQuery,
  ReasonDto,
  RecordPaymentDto,
  ScheduleDisbursementDto,
  ScheduleReportDto,
  SignAgreementDto,
  SubmitReportDto,
} from './grant.dto';
import { AmendmentRecordedDto, GRANT_CSV_COLUMNS, GRANT_CSV_EXAMPLE, GrantListDto, GrantViewDto, ReportScheduledDto, toGrantListItemDto, toGrantViewDto, TrancheScheduledDto } from './grant-view.dto';
import { commandHeaders } from '../http/command-docs';

const commandDocs = (): MethodDecorator => commandHeaders('grant');

/** The programme team runs a grant; auditors read every grant; applicants read their organisation's. */
const PROGRAMME = ['grant-manager', 'admin'] as const;
const READERS = ['grant-manager', 'admin', 'auditor', 'applicant'] as const;

@ApiTags('grants')
@ApiBearerAuth()
@ApiExtraModels(AmendGrantDto, ScheduleDisbursementDto)
@Controller('grants')
export class GrantsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly grants: GrantsQuery,
    private readonly asOf: AsOfReadModels,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    summary: "The grant portfolio, paged, with titles and names beside the ids; search and filter by status, call, country and organisation (applicants see their own organisation's grants)",
    description:
      "Each item carries its title (its proposal's), its call's title and the grantee's name and country. Organisation names are shown as you may read them: the programme team and auditors every name, " +
      'applicants their own organisation\'s and those of organisations that chose to be public, any other as "Withheld recipient". ' +
      '`Accept: text/csv` answers the same list as CSV (RFC 4180, a header row, streamed; cells that a spreadsheet would read as a formula are prefixed with `\'`): every matching grant unless `limit`/`offset` are given.',
  })
  @ApiExtraModels(GrantListDto)
  @ApiOkResponse({
    description: 'The page as JSON, or every matching grant as CSV',
    content: { 'application/json': { schema: { $ref: getSchemaPath(GrantListDto) } }, ...csvContent(GRANT_CSV_EXAMPLE) },
  })
  @ApiProblemResponses(400, 401, 403)
  async list(
    @Query() query: ListGrantsQuery,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<GrantListDto | StreamableFile> {
    res.vary('Accept');
    const today = this.today();
    const scope = grantListScope(actor);
    const names = organisationNameScope(actor);
    const filter = {
      // No scope at all: a status nobody has, so the same path answers an empty list (or a CSV of its header).
      statuses: !scope ? [] : query.status ? [query.status] : undefined,
      overdue: query.overdue === undefined ? undefined : { on: today, value: query.overdue === 'true' },
      granteeOrganisationId: scope?.granteeOrganisationId,
      callId: query.callId,
      search: listSearchOf(query, names),
    };
    const toItem = (grant: GrantView, listNames: ListNames) => toGrantListItemDto(grant, today, listNames, names, seesGrantStaff(actor));
    if (wantsCsv(req)) {
      const pages = this.grants.pages({ ...filter, limit: query.limit, offset: query.offset });
      return csvAnswer(res, 'grants.csv', GRANT_CSV_COLUMNS, pages, (page) => page.items.map((grant) => toItem(grant, page.names)));
    }
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total, names: listed } = await this.grants.list({ ...filter, limit, offset });
    return { items: items.map((grant) => toItem(grant, listed)), total, limit, offset };
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    summary: 'One grant with its tranches, reports and amendments (eventually consistent: compare `version`)',
    description: 'With `?asOf=<ISO instant>`: the same answer as it was at that instant, folded from the events recorded up to it (404 before it existed). `overdue` is judged on the asOf day.',
  })
  @VersionedRead(GrantViewDto)
  @ApiProblemResponses(400, 401, 403, 404)
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: AsOfQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) response: Response): Promise<GrantViewDto> {
    const asOf = asOfInstant(query);
    const grant = asOf ? await this.asOf.grant(id, asOf) : await this.grants.byId(id);
    // Another organisation's grant is not there for an applicant, rather than forbidden: its existence is not theirs to learn.
    if (!grant || !maySeeGrant(actor, grant)) throw notFound('grant', id, asOf);
    // Overdue is a question of when you ask: as of an instant, it is asked on that day.
    return versioned(response, toGrantViewDto(grant, asOf ? asOf.toISOString().slice(0, 10) : this.today(), seesGrantStaff(actor)));
  }

  @Post(':id/agreement')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({ summary: 'Record the signed grant agreement: the grant becomes active (signatories are personal data)' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.SignGrantAgreement)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  signAgreement(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: SignAgreementDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const signatories = body.signatories.map(({ name, role }) => ({ name, role }));
    const documents = body.documentIds === undefined ? {} : { documentIds: [...body.documentIds] };
    return this.run({ type: 'SignGrantAgreement', data: { grantId, signatories, ...documents } }, ctx);
  }

  @Post(':id/disbursements')
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Schedule a tranche (optionally payable only after a report is accepted); never beyond the grant amount',
    description: 'Not once the grant is settled (its final financial report accepted): the settlement schedules its own final payment, if any (422 `grant.disbursement.after-settlement`).',
  })
  @ApiBody({ schema: { $ref: getSchemaPath(ScheduleDisbursementDto) }, examples: DISBURSEMENT_EXAMPLES })
  @ApiCreatedResponse({ type: TrancheScheduledDto })
  @ApiRuleViolations(grantCommandRules.ScheduleDisbursement)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  async scheduleDisbursement(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Body() body: ScheduleDisbursementDto,
    @CommandCtx() ctx: CommandContext,
  ): Promise<TrancheScheduledDto> {
    const trancheId = this.ids.forCommand(ctx, 'tranche');
    const condition = body.conditionReportId === undefined ? {} : { condition: { reportId: body.conditionReportId } };
    const result = await this.run({ type: 'ScheduleDisbursement', data: { grantId, trancheId, amountMinor: body.amountMinor, dueDate: body.dueDate, ...condition } }, ctx);
    return { ...result, trancheId };
  }

  @Post(':id/disbursements/:trancheId/payment')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Record that a tranche was paid (its report, if any, must be accepted)',
    description: "Once the grant is settled (its final financial report accepted), only the settlement's final payment is paid (422 `grant.disbursement.after-settlement` for any other tranche).",
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.RecordDisbursementPayment)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  recordPayment(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('trancheId', ParseUUIDPipe) trancheId: string,
    @Body() body: RecordPaymentDto,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.run({ type: 'RecordDisbursementPayment', data: { grantId, trancheId, paymentReference: body.paymentReference } }, ctx);
  }

  @Post(':id/disbursements/:trancheId/cancellation')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Cancel a scheduled tranche that will not be paid, with a reason',
    description: 'The tranche is settled without payment: it no longer counts as scheduled and no longer blocks closure. A paid or already cancelled tranche is refused (422).',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.CancelDisbursement)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  cancelDisbursement(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('trancheId', ParseUUIDPipe) trancheId: string,
    @Body() body: CancelDisbursementDto,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.run({ type: 'CancelDisbursement', data: { grantId, trancheId, reason: body.reason, cancelledBy: ctx.actor.id } }, ctx);
  }

  @Post(':id/reports')
  @Roles(...PROGRAMME)
  @ApiOperation({ summary: 'Schedule a report (interim, final or financial) with its due date' })
  @ApiCreatedResponse({ type: ReportScheduledDto })
  @ApiRuleViolations(grantCommandRules.ScheduleReport)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  async scheduleReport(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: ScheduleReportDto, @CommandCtx() ctx: CommandContext): Promise<ReportScheduledDto> {
    const reportId = this.ids.forCommand(ctx, 'report');
    const result = await this.run({ type: 'ScheduleReport', data: { grantId, reportId, kind: body.kind, dueDate: body.dueDate } }, ctx);
    return { ...result, reportId };
  }

  @Post(':id/reports/:reportId/submission')
  @HttpCode(200)
  @Roles('applicant', ...PROGRAMME)
  @ApiOperation({
    summary: 'Submit a report: by an applicant of the grantee organisation (or by the programme on its behalf)',
    description: 'For an applicant of any other organisation the grant does not exist (404), as on GET /grants/:id.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.SubmitReport)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  submitReport(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('reportId', ParseUUIDPipe) reportId: string,
    @Body() body: SubmitReportDto,
    @CommandCtx() ctx: CommandContext,
    @CurrentActor() actor: Actor,
  ): Promise<CommandResultDto> {
    const documents = body.documentIds === undefined ? {} : { documentIds: [...body.documentIds] };
    const options = grantCommandOptions(actor);
    return this.run({ type: 'SubmitReport', data: { grantId, reportId, summary: body.summary, ...documents } }, ctx, options);
  }

  @Post(':id/reports/:reportId/acceptance')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Accept a submitted report (releases tranches tied to it)',
    description:
      'Accepting the final financial report settles the grant from its accepted costs (the total spent, at most the grant amount): tranches still scheduled are cancelled, then either a final payment (a new tranche of the costs minus what was paid: pay it like any tranche) or a recovery of the unspent advance (POST /grants/{id}/recovery once repaid) is recorded.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.AcceptReport)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  acceptReport(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('reportId', ParseUUIDPipe) reportId: string,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    // Used only if this is the final financial report and accepted costs leave money to pay (the final payment's tranche).
    const finalPaymentTrancheId = this.ids.forCommand(ctx, 'final-payment');
    return this.run({ type: 'AcceptReport', data: { grantId, reportId, acceptedBy: ctx.actor.id, finalPaymentTrancheId } }, ctx);
  }

  @Post(':id/reports/:reportId/revision-request')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({ summary: 'Send a submitted report back to the grantee, with a reason' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.RequestReportRevision)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  requestRevision(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('reportId', ParseUUIDPipe) reportId: string,
    @Body() body: ReasonDto,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.run({ type: 'RequestReportRevision', data: { grantId, reportId, reason: body.reason, requestedBy: ctx.actor.id } }, ctx);
  }

  @Post(':id/reports/:reportId/waiver')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Waive a report the grantee owes and will not deliver, with a reason: it is owed no more, and no longer keeps the grant from closing',
    description:
      'For a report scheduled, or sent back for revision (not one accepted, nor one submitted and awaiting review: accept it, or send it back first; 422). `GET /grants/:id` shows it `waived`, with the reason and when. ' +
      'A waiver settles no money: a tranche payable only once this report is accepted is cancelled with it (it could never be paid), and with a budget agreed the grant still closes only once a final financial report is accepted (schedule another one, or terminate the grant).',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.WaiveReport)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  waiveReport(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('reportId', ParseUUIDPipe) reportId: string,
    @Body() body: ReasonDto,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.run({ type: 'WaiveReport', data: { grantId, reportId, reason: body.reason, waivedBy: ctx.actor.id } }, ctx);
  }

  @Post(':id/amendments')
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Amend the grant: budget reallocation, no-cost extension, or amount change (an increase is committed on the call first)',
    description: "An increase never takes the grant above its call's maximum award per grant (422 `grant.amendment.exceeds-call-maximum`), its call's remaining budget, or a network organisation's ceiling per recipient.",
  })
  @ApiBody({ schema: { $ref: getSchemaPath(AmendGrantDto) }, examples: AMENDMENT_EXAMPLES })
  @ApiCreatedResponse({ type: AmendmentRecordedDto })
  @ApiRuleViolations(
    [...grantCommandRules.AmendGrant, ...callCommandRules.AdjustCommitment, RecipientCeilingExceeded],
    "An amount change also moves the commitment on the call first, with its rules, and an increase is held to each network organisation's ceiling per recipient (recipient.ceiling.exceeded).",
  )
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  async amend(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: AmendGrantDto, @CommandCtx() ctx: CommandContext): Promise<AmendmentRecordedDto> {
    const amendmentId = this.ids.forCommand(ctx, 'amendment');
    const { newPeriodEnd, newAmountMinor, budgetReallocation, budgetLines } = body;
    const data = {
      grantId,
      amendmentId,
      kind: body.kind,
      reason: body.reason,
      approvedBy: ctx.actor.id,
      ...(newPeriodEnd !== undefined ? { newPeriodEnd } : {}),
      ...(newAmountMinor !== undefined ? { newAmountMinor } : {}),
      ...(budgetReallocation !== undefined ? { budgetReallocation: budgetReallocation.map(({ budgetLine, changeMinor }) => ({ budgetLine, changeMinor })) } : {}),
      ...(budgetLines !== undefined ? { budgetLines: budgetLines.map(({ budgetLine, amountMinor }) => ({ budgetLine, amountMinor })) } : {}),
    };
    const { id, version } = await this.commandBus.execute(new AmendGrantCommand(data, ctx));
    return { id, version, amendmentId };
  }

  @Post(':id/suspension')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({ summary: 'Suspend an active grant, with a reason (no payments while suspended; reports continue)' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.SuspendGrant)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  suspend(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: ReasonDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.run({ type: 'SuspendGrant', data: { grantId, reason: body.reason } }, ctx);
  }

  @Post(':id/reinstatement')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({ summary: 'Reinstate a suspended grant, with a reason' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.ReinstateGrant)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  reinstate(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: ReasonDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.run({ type: 'ReinstateGrant', data: { grantId, reason: body.reason } }, ctx);
  }

  @Post(':id/termination')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Terminate the grant, with a reason: unpaid tranches are cancelled and unspent funds go back to the call',
    description:
      'From awarded (the agreement never signed, e.g. the grantee declined: the whole amount goes back), active or suspended. Unspent: the amount minus what was paid net of recoveries, an unspent advance still owed included; its repayment is still recorded afterwards (POST /grants/{id}/recovery). Not while the final payment of a settled grant is scheduled and unpaid (422 `grant.termination.final-payment-owed`): it is owed for the accepted costs, so pay it, then close the grant.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.TerminateGrant)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  terminate(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: ReasonDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.run({ type: 'TerminateGrant', data: { grantId, reason: body.reason } }, ctx);
  }

  @Post(':id/closure')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Close the grant once the final report is accepted and every tranche is settled (paid or cancelled); unspent funds go back to the call',
    description:
      'Every report is accepted (or waived: POST /grants/{id}/reports/{reportId}/waiver) first: one submitted and not reviewed is 422 `grant.closure.reports-awaiting-review`, one the grantee still owes (scheduled, or sent back for revision) 422 `grant.closure.reports-outstanding`, naming them.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.CloseGrant)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  close(@Param('id', ParseUUIDPipe) grantId: string, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.run({ type: 'CloseGrant', data: { grantId } }, ctx);
  }

  private run(command: GrantLifecycleCommand, ctx: CommandContext, options = {}): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteGrantCommand(command, ctx, options));
  }

  private today(): string {
    return this.clock.now().toISOString().slice(0, 10);
  }
}
