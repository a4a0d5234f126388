import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../http/problem';
import { IsPageLimit } from '../http/validation';
import { DataSource } from 'typeorm';

export const RECORD_KINDS = ['call', 'proposal', 'grant'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export class RecordSearchQuery {
  @ApiPropertyOptional({ example: 'housing', description: 'Part of the title, any case (a grant goes by its proposal\'s title). Empty: the records changed last.' })
  @IsOptional() @IsString() @MaxLength(200)
  q?: string;
  @ApiPropertyOptional({ example: 20, description: '1..50' }) @IsOptional() @IsPageLimit(50)
  limit?: number;
}

export class RecordSearchHitDto {
  @ApiProperty({ enum: RECORD_KINDS }) kind: RecordKind;
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'proposal-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c', description: 'The stream whose history GET /audit/streams/{streamId} shows' }) streamId: string;
  @ApiProperty({ example: 'Housing rights for minorities in informal settlements' }) title: string;
  @ApiProperty({ example: 'under-review' }) status: string;
  @ApiProperty({ format: 'uuid', description: 'The call it belongs to (a call: itself)' }) callId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'A grant\'s proposal; null for a call' }) proposalId: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class RecordSearchResultDto {
  @ApiProperty({ type: [RecordSearchHitDto] }) items: RecordSearchHitDto[];
}

interface HitRow {
  kind: RecordKind;
  id: string;
  title: string;
  status: string;
  call_id: string;
  proposal_id: string | null;
  updated_at: Date;
}

/**
 * Find a call, proposal or grant by name: the one lookup the console's time machine needs and the
 * list routes lack (they filter by call and status only). Read models only; the programme team and
 * auditors, who may read every one of these records anyway.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('search')
export class RecordSearchController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Roles('auditor', 'admin', 'grant-manager')
  @ApiOperation({ summary: 'Calls, proposals and grants whose title contains the words given, most recently changed first' })
  @ApiOkResponse({ type: RecordSearchResultDto })
  @ApiProblemResponses(400, 401, 403)
  async search(@Query() query: RecordSearchQuery): Promise<RecordSearchResultDto> {
    const pattern = `%${(query.q ?? '').trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = (await this.dataSource.query(
      `SELECT * FROM (
         SELECT 'call' AS kind, id, title, status, id AS call_id, NULL::uuid AS proposal_id, updated_at FROM calls WHERE title ILIKE $1
         UNION ALL
         SELECT 'proposal', id, title, status, call_id, id, updated_at FROM proposals WHERE title ILIKE $1
         UNION ALL
         SELECT 'grant', g.id, p.title, g.status, g.call_id, g.proposal_id, g.updated_at FROM grants g JOIN proposals p ON p.id = g.proposal_id WHERE p.title ILIKE $1
       ) hits ORDER BY updated_at DESC, kind, id LIMIT $2`,
      [pattern, query.limit ?? 20],
    )) as HitRow[];
    return {
      items: rows.map((row) => ({
        kind: row.kind,
        id: row.id,
        streamId: `${row.kind}-${row.id}`,
        title: row.title,
        status: row.status,
        callId: row.call_id,
        proposalId: row.kind === 'call' ? null : row.proposal_id,
        updatedAt: new Date(row.updated_at).toISOString(),
      })),
    };
  }
}
