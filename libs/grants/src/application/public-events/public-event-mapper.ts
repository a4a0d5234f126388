import { Inject, Injectable } from '@nestjs/common';
import type { RecordedEvent } from '@app/event-store';
import { type PublicEvent, type PublicMappingContext, type PublicOrganisation, toPublicEvent } from './public-events';
import { withheldOrganisationsContext } from './withheld-organisations';

export const PUBLIC_PSEUDONYM_SECRET = Symbol('PUBLIC_PSEUDONYM_SECRET');

/**
 * Maps batches of stored events to public events (the feed, the SSE stream and webhooks all go
 * through it, so a partner sees the same payload whichever way it listens).
 */
@Injectable()
export class PublicEventMapper {
  constructor(@Inject(PUBLIC_PSEUDONYM_SECRET) private readonly pseudonymSecret: string) {}

  /** The context for one batch. Async so that per-batch lookups (e.g. publication consent) can be added without changing callers. */
  async contextFor(_events: readonly RecordedEvent[]): Promise<PublicMappingContext> {
    return withheldOrganisationsContext(this.pseudonymSecret);
  }

  /** Public events of a batch, in the batch's order; non-public events are dropped. */
  async map(events: readonly RecordedEvent[], context?: PublicMappingContext): Promise<PublicEvent[]> {
    context ??= await this.contextFor(events);
    return events.map((event) => toPublicEvent(event, context)).filter((event): event is PublicEvent => event !== null);
  }

  /** The public id of an organisation (a pseudonym while it is withheld), e.g. for exports. */
  organisation(organisationId: string): PublicOrganisation {
    return withheldOrganisationsContext(this.pseudonymSecret).organisation(organisationId);
  }
}
