import { Inject, Injectable } from '@nestjs/common';
import type { RecordedEvent } from '@app/event-store';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { organisationIdsOf, type PublicEvent, type PublicMappingContext, toPublicEvent } from './public-events';
import { type KnownOrganisation, organisationPseudonym, publicOrganisationsContext, replacePublicOrganisations } from './withheld-organisations';

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
    return publicOrganisationsContext(this.pseudonymSecret, await this.known(organisationIds));
  }

  private async known(organisationIds: readonly string[]): Promise<KnownOrganisation[]> {
    const rows = organisationIds.length ? await this.organisations.publication(organisationIds) : [];
    return rows.map(({ id, name, publicationConsent, consentWithdrawals }) => ({ id, name, publicationConsent, consentWithdrawals: consentWithdrawals.map((at) => at.toISOString()) }));
  }

  /** A context that withholds every organisation, whatever it chose (no look-up): for payloads shown again later with `reshow`. */
  withheldContext(): Promise<PublicMappingContext> {
    return this.contextForOrganisations([]);
  }

  /**
   * Public payloads built earlier (a queued webhook body), with every organisation in them shown as
   * the publication consent in force now shows it: a consent withdrawn since withholds it, one given
   * since names it. An organisation shown withheld is recognised by its pseudonym among
   * `organisationIds` (those the payload was built for; one that is not among them stays withheld),
   * one shown by name by its id. One read-model look-up for all the payloads, none when they show no
   * organisation. A payload about a grant (its `awardedAt`) shows a withheld organisation under the
   * pseudonym of the grant's award (publicOrganisationsContext); whichever it was built with, it is
   * recognised.
   */
  async reshow(payloads: readonly { data: unknown; organisationIds: readonly string[] }[]): Promise<unknown[]> {
    const ids = new Set<string>();
    for (const payload of payloads) {
      for (const id of payload.organisationIds) ids.add(id);
      replacePublicOrganisations(payload.data, (organisation) => {
        if (!organisation.withheld) ids.add(organisation.id);
        return organisation;
      });
    }
    const known = await this.known([...ids]);
    const epochs = new Map(known.map((organisation) => [organisation.id, organisation.consentWithdrawals?.length ?? 0]));
    const context = publicOrganisationsContext(this.pseudonymSecret, known);
    return payloads.map((payload) => {
      const byPseudonym = new Map<string, string>();
      for (const id of payload.organisationIds) {
        for (let epoch = 0; epoch <= (epochs.get(id) ?? 0); epoch += 1) byPseudonym.set(`withheld-${organisationPseudonym(id, this.pseudonymSecret, epoch)}`, id);
      }
      const data = payload.data as { awardedAt?: unknown } | null;
      const at = data !== null && typeof data === 'object' && typeof data.awardedAt === 'string' ? data.awardedAt : undefined;
      return replacePublicOrganisations(payload.data, (organisation) => {
        const organisationId = organisation.withheld ? byPseudonym.get(organisation.id) : organisation.id;
        return organisationId === undefined ? organisation : context.organisation(organisationId, at);
      });
    });
  }

  /** Public events of a batch, in the batch's order; non-public events are dropped. */
  async map(events: readonly RecordedEvent[], context?: PublicMappingContext): Promise<PublicEvent[]> {
    context ??= await this.contextFor(events);
    return events.map((event) => toPublicEvent(event, context)).filter((event): event is PublicEvent => event !== null);
  }
}
