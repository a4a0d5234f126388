import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '@app/platform/clock';
import { DocumentVault } from '@app/documents/document-vault';
import { grantDecider, grantStreamName, type AttachGrantDocument, type GrantDocument, type GrantState } from '@app/domain/grant';
import { organisationStreamName } from '@app/domain/organisation';
import { StreamNotFound } from '@app/domain/shared/decider';
import type { CommandContext, CommandResult } from '../command-context';
import { StreamCommandExecutor } from '../stream-command-executor';
import { maySeeGrant, type GrantActor } from '../grants/grant-access';

/** What an upload stored and the grant recorded. */
export interface AttachedDocumentResult extends CommandResult {
  documentId: string;
  sha256: string;
  sizeBytes: number;
  contentType: string;
}

/**
 * Stores an uploaded file for a grant and records it (GrantDocumentAttached). The file belongs to
 * the grantee organisation: it is encrypted with that organisation's personal-data key, so erasing
 * the organisation shreds it with its name. The bytes are stored first (content-addressed, so a
 * retry stores nothing new); a command the grant then refuses leaves an encrypted blob no event
 * names, which nobody can download.
 */
export class AttachGrantDocumentCommand extends Command<AttachedDocumentResult> {
  constructor(
    readonly grantId: string,
    readonly documentId: string,
    readonly fileName: string,
    readonly content: AsyncIterable<Buffer>,
    readonly context: CommandContext,
    /** An applicant acts for this organisation: another organisation's grant is not there for it (404). */
    readonly actingForOrganisationId?: string,
  ) {
    super();
  }
}

@CommandHandler(AttachGrantDocumentCommand)
export class AttachGrantDocumentHandler implements ICommandHandler<AttachGrantDocumentCommand, AttachedDocumentResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly vault: DocumentVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ grantId, documentId, fileName, content, context, actingForOrganisationId }: AttachGrantDocumentCommand): Promise<AttachedDocumentResult> {
    const streamId = grantStreamName(grantId);
    const { state } = await this.executor.load(grantDecider, streamId);
    const owner = ownerOf(state, grantId, actingForOrganisationId);
    const stored = await this.vault.put(organisationStreamName(owner), content);
    const command: AttachGrantDocument = {
      type: 'AttachGrantDocument',
      data: { grantId, documentId, organisationId: owner, name: fileName, sizeBytes: stored.sizeBytes, contentType: stored.contentType, sha256: stored.sha256, attachedBy: context.actor.id },
      now: this.clock.now().toISOString(),
    };
    const { id, version } = await this.executor.handle(
      grantDecider,
      streamId,
      grantId,
      (current) => {
        ownerOf(current, grantId, actingForOrganisationId);
        return command;
      },
      context,
    );
    return { id, version, documentId, ...stored };
  }
}

/** The grantee; for an applicant of another organisation the grant does not exist. */
function ownerOf(state: GrantState, grantId: string, actingForOrganisationId: string | undefined): string {
  if (state.terms === null) throw new StreamNotFound(grantStreamName(grantId));
  if (actingForOrganisationId !== undefined && state.terms.granteeOrganisationId !== actingForOrganisationId) throw new StreamNotFound(grantStreamName(grantId));
  return state.terms.granteeOrganisationId;
}

/** A document as a reader gets it: `name` is `null` once its organisation's personal data was erased. */
export type GrantDocumentView = GrantDocument;

/**
 * Reads a grant's documents under the grant's own access rule (grant-access.ts): who may see the
 * grant may read its documents. The list and each download are folded from the grant's stream, so
 * a document is there the moment its upload was acknowledged, and its name is decrypted (or shown
 * erased) by the same codec as every other personal field.
 */
@Injectable()
export class GrantDocuments {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly vault: DocumentVault,
  ) {}

  async list(grantId: string, actor: GrantActor): Promise<GrantDocumentView[]> {
    const state = await this.visibleGrant(grantId, actor);
    return state.documents ?? [];
  }

  /** Throws DocumentErased (shredded with its organisation) or DocumentUnavailable. */
  async read(grantId: string, documentId: string, actor: GrantActor): Promise<{ document: GrantDocumentView; bytes: Buffer }> {
    const state = await this.visibleGrant(grantId, actor);
    const document = (state.documents ?? []).find((doc) => doc.documentId === documentId);
    if (document === undefined) throw new StreamNotFound(`document ${documentId} of ${grantStreamName(grantId)}`);
    const bytes = await this.vault.get(organisationStreamName(document.organisationId), document);
    return { document, bytes };
  }

  private async visibleGrant(grantId: string, actor: GrantActor): Promise<GrantState> {
    const { state } = await this.executor.load(grantDecider, grantStreamName(grantId));
    if (state.terms === null || !maySeeGrant(actor, state.terms)) throw new StreamNotFound(grantStreamName(grantId));
    return state;
  }
}

export const GRANT_DOCUMENT_HANDLERS = [AttachGrantDocumentHandler, GrantDocuments];
