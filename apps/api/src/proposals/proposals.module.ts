import { Module } from '@nestjs/common';
import { DocumentsModule } from '@app/application/documents/documents.module';
import { PROPOSAL_DOCUMENT_HANDLERS } from '@app/application/documents/proposal-documents';
import { ExecuteProposalCommandHandler } from '@app/application/proposals/proposal-commands';
import { ProposalReaders } from '@app/application/proposals/proposal-readers';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { ProposalNetworkController } from './network.controller';
import { ProposalDocumentsController } from './proposal-documents.controller';
import { ProposalsController } from './proposals.controller';
import { ProposalPersonalTexts } from './proposal-personal-texts';
import { CallRankingController } from './ranking.controller';
import { ReviewsController } from './reviews.controller';

/** HTTP routes, command handlers and queries of the proposals area (with partner invitations, redress, the reviewer queue and the ranking per call). */
@Module({
  imports: [ReadModelsModule, DocumentsModule],
  controllers: [ProposalsController, ProposalNetworkController, ReviewsController, CallRankingController, ProposalDocumentsController],
  providers: [ExecuteProposalCommandHandler, ...PROPOSAL_DOCUMENT_HANDLERS, ProposalReaders, ProposalPersonalTexts],
})
export class ProposalsModule {}
