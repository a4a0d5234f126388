import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CommandContext } from '@app/application/command-context';
import { EraseOrganisationPersonalDataCommand, ExecuteOrganisationCommand } from '@app/application/organisations';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import {
  applicantOrganisation,
  authorizeProfileChange,
  authorizeRegistration,
  isProgrammeTeam,
  maySeeOrganisation,
} from '@app/application/organisations/organisation-access';
import { AsOfReadModels } from '@app/application/audit/as-of';
import { organisationCommandRules } from '@app/domain/organisation';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { AsOfQuery, asOfInstant, notFound } from '../audit/as-of-query.dto';
import { CommandCtx } from '../http/command-context.decorator';
import { CommandResultDto } from '../http/command-result.dto';
import { VersionedRead, versioned } from '../http/version-etag';
import {
  EraseOrganisationPersonalDataDto, ListOrganisationsQuery, RecordDueDiligenceDto, RegisterOrganisationDto, UpdateOrganisationDto,
} from './organisation.dto';
import { OrganisationListDto, OrganisationViewDto } from './organisation-view.dto';
import { OrganisationViews } from './organisation-views';
import { commandHeaders } from '../http/command-docs';

const commandDocs = (): MethodDecorator => commandHeaders('organisation');

/**
 * Organisations and their contact person (personal data, crypto-shredded on erasure).
 *
 * Who registers what: the programme team registers any organisation (the server generates its id)
 * and manages its member users. An applicant registers the one organisation its token's `org`
 * claim names, under that id, and becomes its only member; it may later update that profile
 * (contact person included) but not its members, because membership feeds reviewers'
 * conflict-of-interest rules and is the programme team's to vouch for.
 */
@ApiTags('organisations')
@ApiBearerAuth()
@Controller('organisations')
export class OrganisationsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly organisations: OrganisationsQuery,
    private readonly asOf: AsOfReadModels,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    private readonly views: OrganisationViews,
  ) {}

  @Post()
  @Roles('grant-manager', 'admin', 'applicant')
  @ApiOperation({
    summary: 'Register an organisation',
    description:
      'The programme team registers any organisation under a new id. An applicant registers the organisation its token names (409 if it exists) ' +
      'and becomes its only member; `memberUserIds` is for the programme team only. The contact person is encrypted inside the event.',
  })
  @ApiCreatedResponse({ type: CommandResultDto })
  @ApiRuleViolations(organisationCommandRules.RegisterOrganisation)
  @ApiProblemResponses(400, 401, 403, 409, 422)
  @commandDocs()
  register(@Body() body: RegisterOrganisationDto, @CurrentActor() actor: Actor, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    authorizeRegistration(actor, body.memberUserIds);
    if (isProgrammeTeam(actor)) {
      const organisationId = this.ids.forCommand(ctx, 'organisation');
      return this.commandBus.execute(
        new ExecuteOrganisationCommand({ type: 'RegisterOrganisation', data: { ...body, organisationId, memberUserIds: body.memberUserIds ?? [] } }, ctx, { newStream: true }),
      );
    }
    const organisationId = applicantOrganisation(actor);
    return this.commandBus.execute(new ExecuteOrganisationCommand({ type: 'RegisterOrganisation', data: { ...body, organisationId, memberUserIds: [actor.id] } }, ctx));
  }

  @Patch(':id')
  @Roles('grant-manager', 'admin', 'applicant')
  @ApiOperation({ summary: 'Update the profile (any subset of fields; only changes are recorded). Applicants: their own organisation, not its members' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(organisationCommandRules.UpdateOrganisationProfile)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  update(
    @Param('id', ParseUUIDPipe) organisationId: string,
    @Body() body: UpdateOrganisationDto,
    @CurrentActor() actor: Actor,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    authorizeProfileChange(actor, organisationId, body.memberUserIds);
    return this.commandBus.execute(new ExecuteOrganisationCommand({ type: 'UpdateOrganisationProfile', data: { ...body, organisationId } }, ctx));
  }

  @Post(':id/due-diligence')
  @HttpCode(200)
  @Roles('grant-manager', 'admin')
  @ApiOperation({ summary: 'Record a due diligence outcome (the latest one counts); the checker is the caller' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(organisationCommandRules.RecordDueDiligence)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  recordDueDiligence(
    @Param('id', ParseUUIDPipe) organisationId: string,
    @Body() body: RecordDueDiligenceDto,
    @CurrentActor() actor: Actor,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.commandBus.execute(
      new ExecuteOrganisationCommand({ type: 'RecordDueDiligence', data: { organisationId, outcome: body.outcome, notes: body.notes, checkedBy: actor.id } }, ctx),
    );
  }

  @Post(':id/erasure')
  @HttpCode(200)
  @Roles('admin', 'grant-manager')
  @ApiOperation({
    summary: 'Erase the personal data (contact person) of an organisation',
    description:
      'Records the erasure and destroys the organisation\'s personal-data key (crypto-shredding): every stored copy of the contact person in ' +
      'the log becomes unreadable for good and reads as `null`; the rest of the history stays intact. Idempotent: repeating it appends nothing ' +
      'unless a new contact was recorded since.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(organisationCommandRules.EraseOrganisationPersonalData)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  erase(
    @Param('id', ParseUUIDPipe) organisationId: string,
    @Body() body: EraseOrganisationPersonalDataDto,
    @CurrentActor() actor: Actor,
    @CommandCtx() ctx: CommandContext,
  ): Promise<CommandResultDto> {
    return this.commandBus.execute(new EraseOrganisationPersonalDataCommand({ organisationId, reason: body.reason, requestedBy: actor.id }, ctx));
  }

  @Get()
  @Roles('grant-manager', 'admin', 'auditor')
  @ApiOperation({ summary: 'List organisations by name (programme team and auditors)' })
  @ApiOkResponse({ type: OrganisationListDto })
  @ApiProblemResponses(400, 401, 403)
  async list(@Query() query: ListOrganisationsQuery): Promise<OrganisationListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.organisations.list({ country: query.country, limit, offset });
    return { items: await this.views.many(items), total, limit, offset };
  }

  @Get(':id')
  @Roles('grant-manager', 'admin', 'auditor', 'applicant')
  @ApiOperation({
    summary: 'One organisation as the read model shows it (applicants: their own only). Eventually consistent: compare `version`',
    description: 'With `?asOf=<ISO instant>`: the same answer as it was at that instant, folded from the events recorded up to it (404 before it existed). A contact person erased since reads as erased.',
  })
  @VersionedRead(OrganisationViewDto)
  @ApiProblemResponses(400, 401, 403, 404)
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: AsOfQuery, @CurrentActor() actor: Actor, @Res({ passthrough: true }) response: Response): Promise<OrganisationViewDto> {
    // Another organisation is "not found" to an applicant, so ids cannot be probed.
    const visible = maySeeOrganisation(actor, id);
    const asOf = asOfInstant(query);
    const organisation = !visible ? null : asOf ? await this.asOf.organisation(id, asOf) : await this.organisations.byId(id);
    if (!organisation) throw notFound('organisation', id, asOf);
    return versioned(response, await this.views.one(organisation));
  }
}
