import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../http/problem';
import { CallsQuery } from '@app/read-models/calls/calls.query';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import { RankingDto, toRankedProposalDto } from './proposal-view.dto';

/** `GET /calls/:id/ranking` lives with the proposals: it ranks them, from the proposals read model. */
@ApiTags('calls')
@ApiBearerAuth()
@Controller('calls')
export class CallRankingController {
  constructor(
    private readonly calls: CallsQuery,
    private readonly proposals: ProposalsQuery,
  ) {}

  @Get(':id/ranking')
  @Roles('grant-manager', 'admin', 'auditor')
  @ApiOperation({ summary: "The call's proposals with a consensus score, best first, with their status and decision" })
  @ApiOkResponse({ type: RankingDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async ranking(@Param('id', ParseUUIDPipe) callId: string): Promise<RankingDto> {
    if (!(await this.calls.byId(callId))) throw new NotFoundException(`call ${callId} not found`);
    const ranked = await this.proposals.ranking(callId);
    return { callId, items: ranked.map(toRankedProposalDto) };
  }
}
