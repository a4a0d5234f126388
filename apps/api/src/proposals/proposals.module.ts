import { Module } from '@nestjs/common';
import { ExecuteProposalCommandHandler } from '@app/application/proposals/proposal-commands';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { ProposalNetworkController } from './network.controller';
import { ProposalsController } from './proposals.controller';
import { CallRankingController } from './ranking.controller';
import { ReviewsController } from './reviews.controller';

/** HTTP routes, command handlers and queries of the proposals area (with partner invitations, redress, the reviewer queue and the ranking per call). */
@Module({
  imports: [ReadModelsModule],
  controllers: [ProposalsController, ProposalNetworkController, ReviewsController, CallRankingController],
  providers: [ExecuteProposalCommandHandler],
})
export class ProposalsModule {}
