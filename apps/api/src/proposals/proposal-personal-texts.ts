import { Injectable } from '@nestjs/common';
import { PersonalDataPolicy } from '@app/application/personal-data';
import { PersonalDataKeyring, SealedPersonalData } from '@app/personal-data';
import { type ConflictOfInterestDeclaredData, proposalStreamName, type RedressRequestedData } from '@app/domain/proposal';
import type { ProposalView } from '@app/read-models/proposals/proposal-view.entity';

/**
 * Opens the personal texts a proposal row keeps sealed, in memory, each with the live key of its
 * subject (the policy's): a redress request's grounds with the key of the organisation that filed
 * it, a conflict declaration's text with the key of the reviewer who declared it. The keys are read
 * from the key store for every answer, never from a cache, so an erasure shows in the very next
 * answer of every process, whether or not the projection has caught up. Text recorded before the
 * field was personal data is clear in the log, and read as written.
 */
@Injectable()
export class ProposalPersonalTexts {
  private readonly sealed: SealedPersonalData;

  constructor(
    keyring: PersonalDataKeyring,
    private readonly policy: PersonalDataPolicy,
  ) {
    this.sealed = new SealedPersonalData(keyring);
  }

  /** The grounds of each of the row's redress requests by request id: clear text, or null once erased. */
  async grounds(view: ProposalView): Promise<ReadonlyMap<string, string | null>> {
    const streamId = proposalStreamName(view.id);
    const texts = await this.sealed.openText(
      view.redressRequests.map(({ organisationId, grounds }) => ({
        subject: this.policy.subjectOf(streamId, { type: 'RedressRequested', data: { organisationId } satisfies Partial<RedressRequestedData> }),
        field: grounds,
      })),
    );
    return new Map(view.redressRequests.map(({ requestId }, i) => [requestId, texts[i]]));
  }

  /** The text of each of the row's conflict declarations, in the row's order: clear text, or null once the reviewer was erased. */
  conflictDescriptions(view: ProposalView): Promise<(string | null)[]> {
    const streamId = proposalStreamName(view.id);
    return this.sealed.openText(
      view.conflicts.map(({ reviewerId, description }) => ({
        subject: this.policy.subjectOf(streamId, { type: 'ConflictOfInterestDeclared', data: { reviewerId } satisfies Partial<ConflictOfInterestDeclaredData> }),
        field: description,
      })),
    );
  }
}
