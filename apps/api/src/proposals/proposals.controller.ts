import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res, type StreamableFile } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { organisationNameScope } from '@app/application/organisations/organisation-access';
import { AsOfReadModels } from '@app/application/audit/as-of';
import type { CommandContext } from '@app/application/command-context';
import { maySeeAllProposals, relationTo } from '@app/application/proposals/proposal-access';
import { ProposalReaders } from '@app/application/proposals/proposal-readers';
import { ExecuteProposalCommand, type ProposalRequest, UnknownCall } from '@app/application/proposals/proposal-commands';
import { proposalCommandRules } from '@app/domain/proposal';
import { RecipientCeilingExceeded } from '@app/domain/recipient';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import type { ProposalScope } from '@app/read-models/proposals/proposals.query';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import type { ProposalView } from '@app/read-models/proposals/proposal-view.entity';
import type { ListNames } from '@app/read-models/lists/list-search';
import { csvAnswer, csvContent, wantsCsv } from '../http/csv';
import { listSearchOf } from '../http/list-search.dto';
import { AsOfQuery, asOfInstant, notFound } from '../audit/as-of-query.dto';
import { CommandCtx } from '../http/command-context.decorator';
import { CommandResultDto } from '../http/command-result.dto';
import { VersionedRead, versioned } from '../http/version-etag';
import {
  AddPartnerDto,
  AssignReviewerDto,
  DeclareConflictDto,
  DraftProposalDto,
  ListProposalsQuery,
  ProposalContentChangesDto,
  ProvideClarificationDto,
  RecordConsensusDto,
  RecordDecisionDto,
  RecuseReviewerDto,
  RequestClarificationDto,
  ScreenEligibilityDto,
  SubmitReviewDto,
  WithdrawProposalDto,
} from './proposal.dto';
import {
  ClarificationRequestedResultDto,
  DecisionResultDto,
  ProposalDetailDto,
  PROPOSAL_CSV_COLUMNS,
  PROPOSAL_CSV_EXAMPLE,
  ProposalListDto,
  seesInternals,
  toProposalDetailDto,
  toProposalListItemDto,
} from './proposal-view.dto';
import { ProposalPersonalTexts } from './proposal-personal-texts';
import { commandHeaders } from '../http/command-docs';

const commandDocs = (): MethodDecorator => commandHeaders('proposal');

/** 404: the proposal does not exist OR the caller may not see it (existence is never revealed). */
const ACTION_PROBLEMS = ApiProblemResponses(400, 401, 403, 404, 409, 422);

/**
 * Proposal commands and reads. Routes say which roles may call them; which proposal a caller may
 * touch (lead organisation, assigned reviewer) is checked by the command handler on the stream's
 * own state, and by these reads on the read model (see proposal-access.ts).
 */
@ApiTags('proposals')
@ApiBearerAuth()
@Controller('proposals')
export class ProposalsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly proposals: ProposalsQuery,
    private readonly asOf: AsOfReadModels,
    private readonly readers: ProposalReaders,
    private readonly personalTexts: ProposalPersonalTexts,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
  ) {}

  private send(request: ProposalRequest, ctx: CommandContext): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteProposalCommand(request, ctx));
  }

  @Post()
  @Roles('applicant')
  @ApiOperation({ summary: "Draft a proposal for a published call, led by the caller's organisation" })
  @ApiCreatedResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.DraftProposal, UnknownCall])
  @ApiProblemResponses(400, 401, 403, 409, 422)
  @commandDocs()
  draft(@Body() body: DraftProposalDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const proposalId = this.ids.forCommand(ctx, 'proposal');
    const leadOrganisationId = body.leadOrganisationId ?? actor.organisationId ?? '';
    return this.send({ type: 'DraftProposal', data: { ...body, proposalId, leadOrganisationId } }, ctx);
  }

  @Patch(':id')
  @Roles('applicant')
  @ApiOperation({ summary: 'Revise a draft (refused with 409 once submitted: use a clarification round)' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.ReviseProposal, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  revise(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: ProposalContentChangesDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'ReviseProposal', data: { ...body, proposalId } }, ctx);
  }

  @Post(':id/partners')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({
    summary: 'Invite an organisation into the network of a draft: the same answer whether or not the id is registered',
    description: 'An applicant of the invited organisation accepts (with its mandate) or declines; submission needs every listed partner to have accepted the current terms. Inviting changes the terms, so accepted partners sign off again.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.AddPartner, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  addPartner(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: AddPartnerDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'AddPartner', data: { proposalId, organisationId: body.organisationId, role: body.role } }, ctx);
  }

  @Delete(':id/partners/:orgId')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({ summary: "Remove a partner, or withdraw an invitation, from a draft's network (the network's size is checked at submission)" })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.RemovePartner, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  removePartner(
    @Param('id', ParseUUIDPipe) proposalId: string,
    @Param('orgId', ParseUUIDPipe) organisationId: string,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.send({ type: 'RemovePartner', data: { proposalId, organisationId } }, ctx);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({ summary: 'Submit before the deadline, once every partner accepted the current terms: freezes the content and records its sha256 hash' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.SubmitProposal, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  submit(@Param('id', ParseUUIDPipe) proposalId: string, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'SubmitProposal', data: { proposalId } }, ctx);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({ summary: 'Withdraw the proposal (until a funding decision), with a reason' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.WithdrawProposal)
  @ACTION_PROBLEMS
  @commandDocs()
  withdraw(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: WithdrawProposalDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'WithdrawProposal', data: { proposalId, reason: body.reason, withdrawnBy: ctx.actor.id } }, ctx);
  }

  @Post(':id/eligibility')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Record the eligibility screening of a submitted proposal, rule by rule' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.ScreenEligibility)
  @ACTION_PROBLEMS
  @commandDocs()
  screen(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: ScreenEligibilityDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const results = body.results.map(({ rule, passed, note }) => ({ rule, passed, note }));
    return this.send({ type: 'ScreenEligibility', data: { proposalId, results, screenedBy: actor.id } }, ctx);
  }

  @Post(':id/reviewers')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Assign a reviewer to an eligible proposal (never a member of the network)' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.AssignReviewer)
  @ACTION_PROBLEMS
  @commandDocs()
  assignReviewer(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: AssignReviewerDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'AssignReviewer', data: { proposalId, reviewerId: body.reviewerId, assignedBy: actor.id } }, ctx);
  }

  @Post(':id/recusals')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({
    summary: 'Recuse an assigned reviewer, with a reason: a conflict of interest the programme learned of (e.g. from a complaint)',
    description:
      "As when the reviewer declares a conflict: the review it wrote (if any) no longer counts, it may no longer review the proposal nor read it, and it leaves its review queue. Also after the decision, which stands: the decision dossier (GET /audit/decisions/:proposalId) shows the recusal after the decision, with `by: \"staff\"`, who made it (`recusedBy`, and the evidence's actor role) and the reason. A reviewer already recused is refused (422 proposal.reviewer.recused).",
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.RecuseReviewer)
  @ACTION_PROBLEMS
  @commandDocs()
  recuseReviewer(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: RecuseReviewerDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'RecuseReviewer', data: { proposalId, reviewerId: body.reviewerId, reason: body.reason, recusedBy: actor.id } }, ctx);
  }

  @Post(':id/conflicts')
  @HttpCode(200)
  @Roles('reviewer')
  @ApiOperation({ summary: 'Declare a conflict of interest as an assigned reviewer: you are recused at once' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(proposalCommandRules.DeclareConflictOfInterest)
  @ACTION_PROBLEMS
  @commandDocs()
  declareConflict(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: DeclareConflictDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.send({ type: 'DeclareConflictOfInterest', data: { proposalId, reviewerId: actor.id, description: body.description } }, ctx);
  }

  @Post(':id/reviews')
  @HttpCode(200)
  @Roles('reviewer')
  @ApiOperation({ summary: "Submit your review: every call criterion scored once, within its range" })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.SubmitReview, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  submitReview(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: SubmitReviewDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const scores = body.scores.map(({ criterionId, score, comment }) => ({ criterionId, score, comment }));
    return this.send(
      { type: 'SubmitReview', data: { proposalId, reviewerId: actor.id, scores, recommendation: body.recommendation, comment: body.comment } },
      ctx,
    );
  }

  @Post(':id/consensus')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: "Record the panel's consensus score once the call's required reviews are in" })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.RecordConsensus, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  recordConsensus(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: RecordConsensusDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const criteria = body.criteria?.map(({ criterionId, score, comment }) => ({ criterionId, score, comment }));
    return this.send({ type: 'RecordConsensus', data: { proposalId, score: body.score, summary: body.summary, recordedBy: actor.id, ...(criteria ? { criteria } : {}) } }, ctx);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({
    summary: 'Record the funding decision (award, reject, reserve); an award answers award: { status: "pending", grantId }',
    description:
      "An award is pending until the call commits its funds; GET /proposals/:id then shows award.status awarded (the grant exists) or funds-unavailable (with the reason and what the call had left). An award that would take an organisation of the network (lead or partner, each counting the whole amount) past its ceiling per recipient across the programme is refused at once (422 recipient.ceiling.exceeded); one that passes this check but loses a race with another award to the same organisation ends as funds-unavailable with that reason.",
  })
  @ApiOkResponse({ type: DecisionResultDto })
  @ApiRuleViolations([...proposalCommandRules.RecordFundingDecision, UnknownCall, RecipientCeilingExceeded])
  @ACTION_PROBLEMS
  @commandDocs()
  async decide(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: RecordDecisionDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<DecisionResultDto> {
    const award = body.decision === 'award';
    // The grant id is generated here so the award process manager can create grant-{id} idempotently.
    const grantId = award ? this.ids.forCommand(ctx, 'grant') : undefined;
    const result = await this.send(
      {
        type: 'RecordFundingDecision',
        data: {
          proposalId,
          decision: body.decision,
          ...(body.amountMinor !== undefined ? { amountMinor: body.amountMinor } : {}),
          reasons: body.reasons,
          decidedBy: actor.id,
          committee: body.committee,
          ...(grantId ? { grantId } : {}),
        },
      },
      ctx,
    );
    // The grant does not exist yet: the award process creates it only once the call commits the funds.
    return grantId ? { ...result, award: { status: 'pending', grantId } } : result;
  }

  @Post(':id/clarification-requests')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Ask the applicants questions about a submitted proposal' })
  @ApiOkResponse({ type: ClarificationRequestedResultDto })
  @ApiRuleViolations(proposalCommandRules.RequestClarification)
  @ACTION_PROBLEMS
  @commandDocs()
  async requestClarification(
    @Param('id', ParseUUIDPipe) proposalId: string,
    @Body() body: RequestClarificationDto,
    @CurrentActor() actor: Actor,
    @CommandCtx() ctx: CommandContext,
  ): Promise<ClarificationRequestedResultDto> {
    const requestId = this.ids.forCommand(ctx, 'clarification-request');
    const result = await this.send({ type: 'RequestClarification', data: { proposalId, requestId, questions: body.questions, requestedBy: actor.id } }, ctx);
    return { ...result, requestId };
  }

  @Post(':id/clarifications')
  @HttpCode(200)
  @Roles('applicant')
  @ApiOperation({ summary: 'Answer an open clarification request, optionally revising the submitted content' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations([...proposalCommandRules.ProvideClarification, UnknownCall])
  @ACTION_PROBLEMS
  @commandDocs()
  provideClarification(@Param('id', ParseUUIDPipe) proposalId: string, @Body() body: ProvideClarificationDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    const revisedFields = body.revisedFields ? { ...body.revisedFields } : undefined;
    return this.send({ type: 'ProvideClarification', data: { proposalId, requestId: body.requestId, answer: body.answer, ...(revisedFields ? { revisedFields } : {}) } }, ctx);
  }

  @Get()
  @Roles('grant-manager', 'admin', 'auditor', 'reviewer', 'applicant')
  @ApiOperation({
    summary: "List proposals with the names beside the ids; search and filter by call, status, country and organisation (applicants see their organisation's, reviewers those assigned to them)",
    description:
      'Each item names its lead organisation (and its country), its partners and its call. Organisation names are shown as you may read them: the programme team and auditors every name; ' +
      'applicants and reviewers their own organisation\'s and those of organisations that chose to be public, any other as "Withheld recipient" (no country); `q`, `country` never match what is withheld from you. ' +
      '`Accept: text/csv` answers the same list as CSV (RFC 4180, a header row, streamed; cells that a spreadsheet would read as a formula are prefixed with `\'`): every matching proposal unless `limit`/`offset` are given.',
  })
  @ApiExtraModels(ProposalListDto)
  @ApiOkResponse({
    description: 'The page as JSON, or every matching proposal as CSV',
    content: { 'application/json': { schema: { $ref: getSchemaPath(ProposalListDto) } }, ...csvContent(PROPOSAL_CSV_EXAMPLE) },
  })
  @ApiProblemResponses(400, 401, 403)
  async list(
    @Query() query: ListProposalsQuery,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProposalListDto | StreamableFile> {
    res.vary('Accept');
    const names = organisationNameScope(actor);
    const filter = { scope: scopeOf(actor), callId: query.callId, status: query.status, search: listSearchOf(query, names) };
    const toItem = (view: ProposalView, listNames: ListNames) => toProposalListItemDto(view, relationTo(actor, view) ?? 'partner', listNames, names);
    if (wantsCsv(req)) {
      const pages = this.proposals.pages({ ...filter, limit: query.limit, offset: query.offset });
      return csvAnswer(res, 'proposals.csv', PROPOSAL_CSV_COLUMNS, pages, (page) => page.items.map((view) => toItem(view, page.names)));
    }
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total, names: listed } = await this.proposals.list({ ...filter, limit, offset });
    return { items: items.map((view) => toItem(view, listed)), total, limit, offset };
  }

  @Get(':id')
  @Roles('grant-manager', 'admin', 'auditor', 'reviewer', 'applicant')
  @ApiOperation({
    summary: 'One proposal as the read model shows it, with the reviews the caller may see (eventually consistent: compare `version`)',
    description: 'With `?asOf=<ISO instant>`: the same answer as it was at that instant, folded from the events recorded up to it (404 before it existed). Who may see it, and which reviews, is judged on the proposal as it was then, and the caller must also be allowed to read it now (a reviewer recused since, or a partner that left, gets 404).',
  })
  @VersionedRead(ProposalDetailDto)
  @ApiProblemResponses(400, 401, 403, 404)
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: AsOfQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) response: Response): Promise<ProposalDetailDto> {
    const asOf = asOfInstant(query);
    const view = asOf ? await this.asOf.proposal(id, asOf) : await this.proposals.byId(id);
    const relation = view ? relationTo(actor, view) : null;
    if (!view || !relation || !(await this.readers.maySeeNow(id, actor))) throw notFound('proposal', id, asOf);
    const conflictDescriptions = seesInternals(relation) && view.conflicts.length > 0 ? await this.personalTexts.conflictDescriptions(view) : [];
    return versioned(response, toProposalDetailDto(view, relation, actor, conflictDescriptions));
  }
}

function scopeOf(actor: Actor): ProposalScope {
  if (maySeeAllProposals(actor)) return { kind: 'all' };
  if (actor.role === 'applicant' && actor.organisationId) return { kind: 'organisation', organisationId: actor.organisationId };
  if (actor.role === 'reviewer') return { kind: 'reviewer', reviewerId: actor.id };
  return { kind: 'none' };
}
