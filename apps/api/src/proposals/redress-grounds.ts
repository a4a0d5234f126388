import { Injectable } from '@nestjs/common';
import { PersonalDataPolicy } from '@app/application/personal-data';
import { PersonalDataKeyring, SealedPersonalData } from '@app/personal-data';
import { proposalStreamName, type RedressRequestedData } from '@app/domain/proposal';
import type { ProposalView } from '@app/read-models/proposals/proposal-view.entity';

/**
 * Opens the redress grounds a proposal row keeps sealed, in memory, each with the live key of the
 * organisation that filed the request (the policy's subject for RedressRequested). The keys are read
 * from the key store for every answer, never from a cache, so an erasure of that organisation shows
 * in the very next answer of every process, whether or not the projection has caught up.
 */
@Injectable()
export class RedressGrounds {
  private readonly sealed: SealedPersonalData;

  constructor(
    keyring: PersonalDataKeyring,
    private readonly policy: PersonalDataPolicy,
  ) {
    this.sealed = new SealedPersonalData(keyring);
  }

  /** The grounds of each of the row's redress requests by request id: clear text, or null once erased. */
  async of(view: ProposalView): Promise<ReadonlyMap<string, string | null>> {
    const streamId = proposalStreamName(view.id);
    const texts = await this.sealed.openText(
      view.redressRequests.map(({ organisationId, grounds }) => ({
        subject: this.policy.subjectOf(streamId, { type: 'RedressRequested', data: { organisationId } satisfies Partial<RedressRequestedData> }),
        field: grounds,
      })),
    );
    return new Map(view.redressRequests.map(({ requestId }, i) => [requestId, texts[i]]));
  }
}
