import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DecisionDossiers } from '@app/application/audit/dossier';
import { AuditHistory } from '@app/application/audit/history';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../http/problem';
import { AuditLogPageDto, AuditLogQuery, DecisionDossierDto, STREAM_ID_PATTERN, StreamHistoryDto, StreamHistoryQuery } from './audit.dto';

/**
 * The ledger as auditors read it. Who reads what:
 * - one stream's history and decision dossiers: auditors, admins and grant managers (the programme
 *   team already sees every call, proposal and grant; the history adds who did what and when);
 * - the global log: auditors and admins only (it spans every area at once).
 * Personal fields are never shown in clear here, whoever asks: they read as a marker
 * (`present` / `erased`), because checking the record never needs the person's details.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(
    private readonly history: AuditHistory,
    private readonly dossiers: DecisionDossiers,
  ) {}

  @Get('streams/:streamId')
  @Roles('auditor', 'admin', 'grant-manager')
  @ApiOperation({ summary: 'Every event of one stream with its full metadata, in stream order, paged by version' })
  @ApiOkResponse({ type: StreamHistoryDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async stream(@Param('streamId') streamId: string, @Query() query: StreamHistoryQuery): Promise<StreamHistoryDto> {
    if (!STREAM_ID_PATTERN.test(streamId)) throw new BadRequestException('streamId must be `<kind>-<uuid>`, e.g. proposal-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c');
    const page = await this.history.stream(streamId, query.fromVersion ?? 0, query.limit ?? 100);
    if (!page) throw new NotFoundException(`stream ${streamId} not found`);
    return page;
  }

  @Get('log')
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'The global log, filtered by actor, type and recorded time, cursor-paged',
    description:
      'Each request examines a bounded number of events: with selective filters a page may come back short (even empty) with a `next` ' +
      'cursor to continue from. `next` is null once the end of the log was reached.',
  })
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiProblemResponses(400, 401, 403)
  log(@Query() query: AuditLogQuery): Promise<AuditLogPageDto> {
    const from = query.from === undefined ? undefined : new Date(query.from);
    const to = query.to === undefined ? undefined : new Date(query.to);
    if (from && to && from > to) throw new BadRequestException('from must not be after to');
    return this.history.log({ after: query.after, actorId: query.actor, types: query.type?.split(','), from, to, limit: query.limit ?? 100 });
  }

  @Get('decisions/:proposalId')
  @Roles('auditor', 'admin', 'grant-manager')
  @ApiOperation({
    summary: 'Everything that led to a proposal\'s funding decision, as it stood when the decision was recorded',
    description:
      'Submitted version, content and hash (recomputed), screening, reviewer assignments, conflicts and recusals, each review\'s scores, ' +
      'the consensus, the decision with its reasons and recording actor, and the call\'s budget position at that moment; every element ' +
      'names the event (id, stream version, position) it comes from. 404 if the proposal has no decision.',
  })
  @ApiOkResponse({ type: DecisionDossierDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async decision(@Param('proposalId', ParseUUIDPipe) proposalId: string): Promise<DecisionDossierDto> {
    const dossier = await this.dossiers.forProposal(proposalId);
    if (!dossier) throw new NotFoundException(`no funding decision recorded for proposal ${proposalId}`);
    return dossier as unknown as DecisionDossierDto;
  }
}
