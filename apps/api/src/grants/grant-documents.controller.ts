import { Controller, Get, Inject, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { CommandContext } from '@app/application/command-context';
import { AttachGrantDocumentCommand, GrantDocuments, type AttachedDocumentResult } from '@app/application/documents/grant-documents';
import { grantCommandOptions } from '@app/application/grants/grant-access';
import { grantCommandRules } from '@app/domain/grant';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import { CommandCtx } from '../http/command-context.decorator';
import { DocumentAttachedDto, DocumentListDto, documentProblem, sendDocument, toDocumentDto, UPLOAD_BODY_SCHEMA } from '../http/document-responses';
import { readFileUpload } from '../http/multipart';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { Idempotent } from '../http/command-docs';

const PROGRAMME = ['grant-manager', 'admin'] as const;
const READERS = ['grant-manager', 'admin', 'auditor', 'applicant'] as const;

/**
 * A grant's documents: uploaded as multipart/form-data (streamed, size-limited, type sniffed from
 * the bytes), stored encrypted with the grantee organisation's key, read under the grant's access
 * rule. Reports and the agreement name them by id.
 */
@ApiTags('grants')
@ApiBearerAuth()
@Controller('grants')
export class GrantDocumentsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly documents: GrantDocuments,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':id/documents')
  @Idempotent()
  @Roles('applicant', ...PROGRAMME)
  @ApiOperation({
    summary: 'Upload a document for the grant (multipart/form-data, one part named "file")',
    description:
      'By an applicant of the grantee organisation, or by the programme. The type is sniffed from the bytes and must be allowed (PDF, PNG, JPEG, OOXML and OpenDocument by default: otherwise 415); the size is limited (DOCUMENT_MAX_BYTES, 10 MiB by default: otherwise 413). The file is stored content-addressed and encrypted with the grantee organisation\'s personal-data key, and its name is personal data: an erasure of the organisation shreds both. Name the returned `documentId` in a report submission or the agreement.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_BODY_SCHEMA })
  @ApiCreatedResponse({ type: DocumentAttachedDto })
  @ApiRuleViolations(grantCommandRules.AttachGrantDocument)
  @ApiProblemResponses(400, 401, 403, 404, 409, 413, 415, 422)
  async upload(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Req() req: Request,
    @CommandCtx() ctx: CommandContext,
    @CurrentActor() actor: Actor,
  ): Promise<DocumentAttachedDto> {
    const { actingForOrganisationId } = grantCommandOptions(actor);
    const upload = await readFileUpload(req, { maxBytes: this.config.documents.maxBytes });
    const documentId = this.ids.forCommand(ctx, 'document');
    try {
      const result: AttachedDocumentResult = await this.commandBus.execute(
        new AttachGrantDocumentCommand(grantId, documentId, upload.fileName, upload.content, ctx, actingForOrganisationId),
      );
      return result;
    } catch (error) {
      // A body cut short or malformed is answered as such (400), whatever the command made of it.
      throw (await upload.discard()) ?? documentProblem(error, this.config.documents.allowedTypes);
    }
  }

  @Get(':id/documents')
  @Roles(...READERS)
  @ApiOperation({ summary: "The grant's documents (who may see the grant may see them)" })
  @ApiOkResponse({ type: DocumentListDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async list(@Param('id', ParseUUIDPipe) grantId: string, @CurrentActor() actor: Actor): Promise<DocumentListDto> {
    return { items: (await this.documents.list(grantId, actor)).map(toDocumentDto) };
  }

  @Get(':id/documents/:documentId')
  @Roles(...READERS)
  @ApiOperation({
    summary: 'Download a document of the grant',
    description: 'The bytes as uploaded (checked against their SHA-256), with the sniffed type. 410 once the organisation\'s personal data was erased (the file is crypto-shredded).',
  })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The document', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
  @ApiProblemResponses(400, 401, 403, 404, 410)
  async download(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('documentId', ParseUUIDPipe) documentId: string,
    @CurrentActor() actor: Actor,
    @Res() res: Response,
  ): Promise<void> {
    const { document, bytes } = await this.documents.read(grantId, documentId, actor).catch((error: unknown) => {
      throw documentProblem(error, this.config.documents.allowedTypes);
    });
    sendDocument(res, document, bytes);
  }
}
