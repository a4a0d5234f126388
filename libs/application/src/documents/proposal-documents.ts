import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '@app/platform/clock';
import { DocumentVault } from '@app/documents/document-vault';
import { organisationStreamName } from '@app/domain/organisation';
import { assertAcceptsDocuments, proposalDecider, proposalStreamName, type AttachProposalDocument, type ProposalDocument, type ProposalState } from '@app/domain/proposal';
import { StreamNotFound } from '@app/domain/shared/decider';
import type { CommandContext } from '../command-context';
import { StreamCommandExecutor } from '../stream-command-executor';
import { audienceOf, callSnapshot } from '../proposals/proposal-commands';
import { relationTo, type ProposalActor } from '../proposals/proposal-access';
import { ProposalReaders } from '../proposals/proposal-readers';
import type { AttachedDocumentResult } from './grant-documents';

/**
 * Stores an uploaded file for a proposal and records it (ProposalDocumentAttached), while the
 * proposal is a draft. The file belongs to the lead organisation: it is encrypted with that
 * organisation's personal-data key, so erasing it shreds the file and its name. Only applicants of
 * the lead attach documents (as they draft); who may not see the proposal learns nothing (404).
 */
export class AttachProposalDocumentCommand extends Command<AttachedDocumentResult> {
  constructor(
    readonly proposalId: string,
    readonly documentId: string,
    readonly fileName: string,
    readonly content: AsyncIterable<Buffer>,
    readonly context: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(AttachProposalDocumentCommand)
export class AttachProposalDocumentHandler implements ICommandHandler<AttachProposalDocumentCommand, AttachedDocumentResult> {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly vault: DocumentVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ proposalId, documentId, fileName, content, context }: AttachProposalDocumentCommand): Promise<AttachedDocumentResult> {
    const streamId = proposalStreamName(proposalId);
    const { state } = await this.executor.load(proposalDecider, streamId);
    const lead = leadFor(state, proposalId, context.actor);
    // Refused before a byte is stored: a proposal no longer a draft, or a draft whose call closed.
    // (leadFor answered 404 for a proposal that does not exist: it has a call here.)
    const callId = state.status === 'none' ? '' : state.callId;
    assertAcceptsDocuments(state, proposalId, await callSnapshot({ load: (decider, id) => this.executor.load(decider, id) }, callId), this.clock.now().toISOString());
    const stored = await this.vault.put(organisationStreamName(lead), content);
    const data: AttachProposalDocument['data'] = {
      proposalId, documentId, organisationId: lead, name: fileName, sizeBytes: stored.sizeBytes, contentType: stored.contentType, sha256: stored.sha256, attachedBy: context.actor.id,
    };
    const { id, version } = await this.executor.handle(
      proposalDecider,
      streamId,
      proposalId,
      async (current, _version, facts): Promise<AttachProposalDocument> => {
        leadFor(current, proposalId, context.actor);
        // Decided on the call as the append pins it: a close in between refuses the document.
        return { type: 'AttachProposalDocument', data, call: await callSnapshot(facts, current.status === 'none' ? callId : current.callId, { pin: true }), now: this.clock.now().toISOString() };
      },
      context,
    );
    return { id, version, documentId, ...stored };
  }
}

/** The lead organisation, if the actor is one of its applicants: 404 to who may not see the proposal, 403 to who may only read it. */
function leadFor(state: ProposalState, proposalId: string, actor: ProposalActor): string {
  const audience = audienceOf(state);
  const relation = audience ? relationTo(actor, audience) : null;
  if (!relation) throw new StreamNotFound(proposalStreamName(proposalId));
  if (relation !== 'lead') throw new ForbiddenException("Only applicants of the proposal's lead organisation attach its documents");
  return state.leadOrganisationId;
}

/**
 * Reads a proposal's documents under the proposal's own access rule (proposal-access.ts): the
 * programme, auditors, the lead and accepted partners, and the reviewers assigned to it.
 */
@Injectable()
export class ProposalDocuments {
  constructor(
    private readonly readers: ProposalReaders,
    private readonly vault: DocumentVault,
  ) {}

  async list(proposalId: string, actor: ProposalActor): Promise<ProposalDocument[]> {
    return (await this.visibleProposal(proposalId, actor)).documents ?? [];
  }

  /** Throws DocumentErased (shredded with its organisation) or DocumentUnavailable. */
  async read(proposalId: string, documentId: string, actor: ProposalActor): Promise<{ document: ProposalDocument; bytes: Buffer }> {
    const state = await this.visibleProposal(proposalId, actor);
    const document = (state.documents ?? []).find((doc) => doc.documentId === documentId);
    if (document === undefined) throw new StreamNotFound(`document ${documentId} of ${proposalStreamName(proposalId)}`);
    const bytes = await this.vault.get(organisationStreamName(document.organisationId), document);
    return { document, bytes };
  }

  private async visibleProposal(proposalId: string, actor: ProposalActor): Promise<ProposalState> {
    const state = await this.readers.visibleState(proposalId, actor);
    if (state === null) throw new StreamNotFound(proposalStreamName(proposalId));
    return state;
  }
}

export const PROPOSAL_DOCUMENT_HANDLERS = [AttachProposalDocumentHandler, ProposalDocuments];
