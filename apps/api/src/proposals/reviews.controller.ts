import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { ApiProblemResponses } from '../http/problem';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import { ReviewerQueueQuery } from './proposal.dto';
import { ReviewerQueueDto, toReviewerQueueItemDto } from './proposal-view.dto';

/** A reviewer's own work list. */
@ApiTags('proposals')
@ApiBearerAuth()
@Controller('reviews')
export class ReviewsController {
  constructor(private readonly proposals: ProposalsQuery) {}

  @Get('assigned')
  @Roles('reviewer')
  @ApiOperation({
    summary: 'The proposals assigned to you that you may still judge, with whether your review is in',
    description:
      'Not those you were recused from (a conflict you declared, or a recusal by the programme), nor those whose lead or partner organisation now counts you among its member users: your review would be refused there (422 proposal.reviewer.affiliated), and a review you sent before stays on record.',
  })
  @ApiOkResponse({ type: ReviewerQueueDto })
  @ApiProblemResponses(400, 401, 403)
  async assigned(@Query() query: ReviewerQueueQuery, @CurrentActor() actor: Actor): Promise<ReviewerQueueDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.proposals.reviewerQueue(actor.id, { pending: query.pending, limit, offset });
    return { items: items.map(toReviewerQueueItemDto), total, limit, offset };
  }
}
