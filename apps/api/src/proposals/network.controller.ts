import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CommandContext } from '@app/application/command-context';
import { relationTo } from '@app/application/proposals/proposal-access';
import { ExecuteProposalCommand, type ProposalRequest } from '@app/application/proposals/proposal-commands';
import { ProposalReaders } from '@app/application/proposals/proposal-readers';
import { redressWindowDaysFromEnv, redressWindowEndsAt } from '@app/application/proposals/redress-window';
import { proposalCommandRules } from '@app/domain/proposal';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { CLOCK, type Clock } from '@app/platform/clock';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { CommandCtx } from '../http/command-context.decorator';
import { CommandResultDto } from '../http/command-result.dto';
import { AcceptPartnershipDto, RecordRedressOutcomeDto, RequestRedressDto } from './proposal.dto';
import {
  EvaluationSummaryDto,
  PartnerInvitationListDto,
  RedressRequestedResultDto,
  toEvaluationSummaryDto,
  toPartnerInvitationDto,
} from './proposal-view.dto';
import { commandHeaders } from '../http/command-docs';
import { ProposalPersonalTexts } from './proposal-personal-texts';

const commandDocs = (): MethodDecorator => commandHeaders('proposal');

/** 404: the proposal does not exist OR the caller may not see it, or was not invited to it (existence is never revealed). */
const ACTION_PROBLEMS = ApiProblemResponses(400, 401, 403, 404, 409, 422);

/**
 * The network's side of a proposal: partner invitations (answered by applicants of the invited
 * organisation, who never see the draft itself, only what they are asked to agree to), the
 * evaluation summary the lead and accepted partners read after a decision, and redress. Which
 * proposal a caller may touch is checked by the command handler on the stream's own state and by
 * these reads on the read model (proposal-access.ts).
 */
@ApiTags('proposals')
@ApiBearerAuth()
@Controller()
export class ProposalNetworkController {
  /** REDRESS_WINDOW_DAYS, as the command handler reads it. */
  private readonly redressWindowDays = redressWindowDaysFromEnv();

  constructor(
    private readonly commandBus: CommandBus,
    private readonly proposals: ProposalsQuery,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly personalTexts: ProposalPersonalTexts,
    private readonly readers: ProposalReaders,
  ) {}

  private send(request: ProposalRequest, ctx: CommandContext): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteProposalCommand(request, ctx));
  }

  @Get('partner-invitations')
  @Roles('applicant')
  @ApiOperation({
    summary: "Drafts that invite your organisation as a partner, and submitted proposals whose terms changed since it signed them off: who invites it, its role and the terms (budget) to accept; not the other partners",
    description:
      'Accepted invitations stay listed until submission, so a partner sees when changed terms need its sign-off again (signOffNeeded; acceptedTermsVersion below termsVersion). After submission a proposal is listed again when a clarification answer changed its budget: the award waits for every partner to sign the new terms off.',
  })
  @ApiOkResponse({ type: PartnerInvitationListDto })
  @ApiProblemResponses(401, 403)
  async invitations(@CurrentActor() actor: Actor): Promise<PartnerInvitationListDto> {
    const organisationId = actor.organisationId;
    if (!organisationId) return { items: [] };
    const views = await this.proposals.invitationsFor(organisationId);
    return { items: views.map((view) => toPartnerInvitationDto(view, organisationId)).filter((dto) => dto !== null) };
  }

  @Post('proposals/:id/partners/:orgId/acceptance')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({
    summary: "Accept your organisation's invitation into the network with its mandate, or sign off changed terms again",
    description: 'Only an applicant of the invited organisation; termsVersion is the version you were shown. Submission needs every partner to have accepted the current terms.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.AcceptPartnership)
  @ACTION_PROBLEMS
  @commandDocs()
  accept(
    @Param('id', ParseUUIDPipe) proposalId: string,
    @Param('orgId', ParseUUIDPipe) organisationId: string,
    @Body() body: AcceptPartnershipDto,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.send(
      { type: 'AcceptPartnership', data: { proposalId, organisationId, acceptedBy: ctx.actor.id, mandateStatement: body.mandateStatement, termsVersion: body.termsVersion } },
      ctx,
    );
  }

  @Post('proposals/:id/partners/:orgId/refusal')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({ summary: "Decline your organisation's invitation: it is no longer listed in the network" })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.DeclinePartnership)
  @ACTION_PROBLEMS
  @commandDocs()
  decline(@Param('id', ParseUUIDPipe) proposalId: string, @Param('orgId', ParseUUIDPipe) organisationId: string, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'DeclinePartnership', data: { proposalId, organisationId, declinedBy: ctx.actor.id } }, ctx);
  }

  @Post('proposals/:id/partners/:orgId/departure')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({ summary: 'Take your (accepted) organisation out of the network, before submission' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.LeavePartnership)
  @ACTION_PROBLEMS
  @commandDocs()
  leave(@Param('id', ParseUUIDPipe) proposalId: string, @Param('orgId', ParseUUIDPipe) organisationId: string, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'LeavePartnership', data: { proposalId, organisationId, leftBy: ctx.actor.id } }, ctx);
  }

  @Get('proposals/:id/evaluation-summary')
  @Roles('applicant', 'grant-manager', 'admin', 'auditor')
  @ApiOperation({
    summary: "The evaluation summary: the panel's consensus score and comments per criterion, the decision and its reasons, the redress window and requests",
    description:
      "For the lead, accepted partners, the programme team and auditors. Never reviewer ids or individual reviews. The consensus shows once a decision stands. A request's grounds are personal data of the organisation that filed it: null once that organisation's personal data was erased.",
  })
  @ApiOkResponse({ type: EvaluationSummaryDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async evaluationSummary(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<EvaluationSummaryDto> {
    const view = await this.proposals.byId(id);
    const relation = view ? relationTo(actor, view) : null;
    if (!view || !relation || relation === 'reviewer' || !(await this.readers.maySeeNow(id, actor))) throw new NotFoundException(`proposal ${id} not found`);
    const grounds = await this.personalTexts.grounds(view);
    return toEvaluationSummaryDto(view, grounds, this.redressWindowDays, this.clock.now(), (decidedAt) => redressWindowEndsAt(decidedAt, this.redressWindowDays));
  }

  @Post('proposals/:id/redress-requests')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({
    summary: 'Request redress (a review of the evaluation procedure) of a rejection or reserve-list decision, with grounds, within the window',
    description: "For applicants of the lead or of an accepted partner, for their own organisation; once per decision, within REDRESS_WINDOW_DAYS (default 30) of it.",
  })
  @ApiOkResponse({ type: RedressRequestedResultDto })
  @ApiRuleViolations(proposalCommandRules.RequestRedress)
  @ACTION_PROBLEMS
  @commandDocs()
  async requestRedress(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: RequestRedressDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<RedressRequestedResultDto> {
    const requestId = this.ids.forCommand(ctx, 'redress-request');
    const result = await this.send(
      { type: 'RequestRedress', data: { proposalId, requestId, organisationId: actor.organisationId ?? '', grounds: body.grounds, requestedBy: actor.id } },
      ctx,
    );
    return { ...result, requestId };
  }

  @Post('proposals/:id/redress-requests/:requestId/outcome')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Record the outcome of a redress request: upheld (back to evaluation) or rejected, with reasons' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.RecordRedressOutcome)
  @ACTION_PROBLEMS
  @commandDocs()
  recordRedressOutcome(
    @Param('id', ParseUUIDPipe) proposalId: string,
    @Param('requestId', ParseUUIDPipe) requestId: string,
    @Body() body: RecordRedressOutcomeDto,
    @CurrentActor() actor: Actor,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.send({ type: 'RecordRedressOutcome', data: { proposalId, requestId, outcome: body.outcome, reasons: body.reasons, decidedBy: actor.id } }, ctx);
  }
}
