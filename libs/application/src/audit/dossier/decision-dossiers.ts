import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { callStreamName } from '@app/domain/call';
import { proposalStreamName } from '@app/domain/proposal';
import { EVENT_CODEC, type EventCodec } from '../../event-codec';
import { buildDecisionDossier, callEventsAsOf, type DecisionDossier, upToLastDecision } from './decision-dossier';

/** Loads the two streams a decision dossier is made of, through the event-store port and the codec. */
@Injectable()
export class DecisionDossiers {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(EVENT_CODEC) private readonly codec: EventCodec,
  ) {}

  /** Null when the proposal does not exist or has no funding decision. */
  async forProposal(proposalId: string): Promise<DecisionDossier | null> {
    const stream = await this.read(proposalStreamName(proposalId.toLowerCase()));
    const proposalEvents = upToLastDecision(stream);
    if (!proposalEvents) return null;
    const decidedAt = proposalEvents[proposalEvents.length - 1].recordedAt;
    const callId = (proposalEvents[0].data as { callId: string }).callId;
    const callEvents = callEventsAsOf(await this.read(callStreamName(callId)), decidedAt);
    // What followed the decision (a redress request and its outcome) belongs in its dossier too.
    return buildDecisionDossier(proposalEvents, callEvents, stream.slice(proposalEvents.length));
  }

  private async read(streamId: string): Promise<RecordedEvent[]> {
    return Promise.all((await this.store.readStream(streamId)).map((event) => this.codec.decode(event)));
  }
}
