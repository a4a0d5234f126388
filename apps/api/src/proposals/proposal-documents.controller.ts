import { Controller, Get, Inject, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { CommandContext } from '@app/application/command-context';
import type { AttachedDocumentResult } from '@app/application/documents/grant-documents';
import { AttachProposalDocumentCommand, ProposalDocuments } from '@app/application/documents/proposal-documents';
import { proposalCommandRules } from '@app/domain/proposal';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import { CommandCtx } from '../http/command-context.decorator';
import { DocumentAttachedDto, DocumentListDto, documentProblem, sendDocument, toDocumentDto, UPLOAD_BODY_SCHEMA } from '../http/document-responses';
import { readFileUpload } from '../http/multipart';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { Idempotent } from '../http/command-docs';

/** Everyone who may see some proposal; proposal-access.ts decides which. */
const READERS = ['grant-manager', 'admin', 'auditor', 'applicant', 'reviewer'] as const;

/**
 * A proposal's documents (annexes, statutes, letters of support): uploaded by the lead while it
 * drafts, stored encrypted with the lead organisation's key, read by whoever may see the proposal.
 */
@ApiTags('proposals')
@ApiBearerAuth()
@Controller('proposals')
export class ProposalDocumentsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly documents: ProposalDocuments,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':id/documents')
  @Idempotent()
  @Roles('applicant')
  @ApiOperation({
    summary: 'Upload a document for a draft proposal (multipart/form-data, one part named "file"): applicants of the lead organisation',
    description:
      'As for grants: the type is sniffed from the bytes and must be allowed (415 otherwise), the size is limited (413), the file is stored content-addressed and encrypted with the lead organisation\'s personal-data key, its name is personal data. Only while the proposal is a draft of an open call (409 once submitted; 422 once its call closed or passed its deadline; either refused before a byte is stored). Anyone else who may see the proposal gets 403; who may not, 404.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_BODY_SCHEMA })
  @ApiCreatedResponse({ type: DocumentAttachedDto })
  @ApiRuleViolations(proposalCommandRules.AttachProposalDocument)
  @ApiProblemResponses(400, 401, 403, 404, 409, 413, 415, 422)
  async upload(@Param('id', ParseUUIDPipe) proposalId: string, @Req() req: Request, @CommandCtx() ctx: CommandContext): Promise<DocumentAttachedDto> {
    const upload = await readFileUpload(req, { maxBytes: this.config.documents.maxBytes });
    const documentId = this.ids.forCommand(ctx, 'document');
    try {
      const result: AttachedDocumentResult = await this.commandBus.execute(new AttachProposalDocumentCommand(proposalId, documentId, upload.fileName, upload.content, ctx));
      return result;
    } catch (error) {
      // A body cut short or malformed is answered as such (400), whatever the command made of it.
      throw (await upload.discard()) ?? documentProblem(error, this.config.documents.allowedTypes);
    }
  }

  @Get(':id/documents')
  @Roles(...READERS)
  @ApiOperation({ summary: "The proposal's documents (who may see the proposal may see them)" })
  @ApiOkResponse({ type: DocumentListDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async list(@Param('id', ParseUUIDPipe) proposalId: string, @CurrentActor() actor: Actor): Promise<DocumentListDto> {
    return { items: (await this.documents.list(proposalId, actor)).map(toDocumentDto) };
  }

  @Get(':id/documents/:documentId')
  @Roles(...READERS)
  @ApiOperation({
    summary: 'Download a document of the proposal',
    description: "The bytes as uploaded (checked against their SHA-256), with the sniffed type. 410 once the lead organisation's personal data was erased.",
  })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The document', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
  @ApiProblemResponses(400, 401, 403, 404, 410)
  async download(
    @Param('id', ParseUUIDPipe) proposalId: string,
    @Param('documentId', ParseUUIDPipe) documentId: string,
    @CurrentActor() actor: Actor,
    @Res() res: Response,
  ): Promise<void> {
    const { document, bytes } = await this.documents.read(proposalId, documentId, actor).catch((error: unknown) => {
      throw documentProblem(error, this.config.documents.allowedTypes);
    });
    sendDocument(res, document, bytes);
  }
}
