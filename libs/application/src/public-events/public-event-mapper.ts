import { Inject, Injectable } from '@nestjs/common';
import type { RecordedEvent } from '@app/event-store';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { organisationIdsOf, type PublicEvent, type PublicMappingContext, toPublicEvent } from './public-events';
import { publicOrganisationsContext } from './withheld-organisations';

export const PUBLIC_PSEUDONYM_SECRET = Symbol('PUBLIC_PSEUDONYM_SECRET');

/**
 * Maps batches of stored events to public events (the feed, the SSE stream and webhooks all go
 * through it, so a partner sees the same payload whichever way it listens). Organisations'
 * publication consent is read from the organisations read model per batch, at mapping time.
 */
@Injectable()
export class PublicEventMapper {
  constructor(
    @Inject(PUBLIC_PSEUDONYM_SECRET) private readonly pseudonymSecret: string,
    private readonly organisations: OrganisationsQuery,
  ) {}

  /** The context for one batch: one read-model query for every organisation the batch shows (none when it shows none). */
  contextFor(events: readonly RecordedEvent[]): Promise<PublicMappingContext> {
    return this.contextForOrganisations(organisationIdsOf(events));
  }

  /** A context knowing these organisations' consent, e.g. for an export; any other organisation is withheld. */
  async contextForOrganisations(organisationIds: readonly string[]): Promise<PublicMappingContext> {
    const known = organisationIds.length ? await this.organisations.publication(organisationIds) : [];
    return publicOrganisationsContext(this.pseudonymSecret, known);
  }

  /** Public events of a batch, in the batch's order; non-public events are dropped. */
  async map(events: readonly RecordedEvent[], context?: PublicMappingContext): Promise<PublicEvent[]> {
    context ??= await this.contextFor(events);
    return events.map((event) => toPublicEvent(event, context)).filter((event): event is PublicEvent => event !== null);
  }
}
