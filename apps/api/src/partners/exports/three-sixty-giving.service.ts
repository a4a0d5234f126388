import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { type PublicMappingContext, PublicEventMapper } from '@app/application/public-events';
import { grantStreamName } from '@app/domain/grant';
import { CallsQuery } from '@app/read-models/calls/calls.query';
import type { GrantView } from '@app/read-models/grants/grant-view.entity';
import { GrantsQuery } from '@app/read-models/grants/grants.query';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import {
  type GrantEnding,
  isPublishedAsGrant,
  THREE_SIXTY_GIVING_CONFIG,
  type ThreeSixtyGivingConfig,
  type ThreeSixtyGivingPackage,
  toThreeSixtyGivingGrant,
} from './three-sixty-giving';

const PAGE = 200;
const ENDINGS = new Set(['GrantTerminated', 'GrantClosed']);

/**
 * Builds the 360Giving package from the read models: every grant ever awarded but those declined
 * before their agreement was signed; `null` before the first award (or when every grant was declined), since a 360Giving package must hold at least one grant (the controller answers 204).
 * The one figure the grants read model lacks, the day a grant was terminated or closed, is read from
 * that grant's own stream, through the public event mapping (`grant.terminated` / `grant.closed`),
 * so the export publishes no more of the event than the public feed does.
 */
@Injectable()
export class ThreeSixtyGivingExport {
  constructor(
    private readonly grants: GrantsQuery,
    private readonly calls: CallsQuery,
    private readonly proposals: ProposalsQuery,
    private readonly organisations: OrganisationsQuery,
    private readonly publicEvents: PublicEventMapper,
    @Inject(THREE_SIXTY_GIVING_CONFIG) private readonly config: ThreeSixtyGivingConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async build(dataSource: string): Promise<ThreeSixtyGivingPackage | null> {
    const awarded: GrantView[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const { items } = await this.grants.list({ limit: PAGE, offset });
      awarded.push(...items);
      if (items.length < PAGE) break;
    }
    const publication = await this.publicEvents.contextForOrganisations(awarded.flatMap((g) => [g.granteeOrganisationId, ...g.partnerOrganisationIds]));
    const ended = new Map(awarded.filter((g) => g.status === 'terminated' || g.status === 'closed').map((g) => [g.id, g]));
    const endings = await lookup([...ended.keys()], (id) => this.ending(ended.get(id)!, publication));
    // A grant declined before its agreement was signed never started: it is not published (see isPublishedAsGrant).
    const rows = awarded.filter((grant) => isPublishedAsGrant(grant, endings.get(grant.id) ?? null));
    if (rows.length === 0) return null;
    const calls = await lookup(rows.map((g) => g.callId), (id) => this.calls.byId(id));
    const proposals = await lookup(rows.map((g) => g.proposalId), (id) => this.proposals.byId(id));
    const countries = await lookup(
      rows.flatMap((g) => [g.granteeOrganisationId, ...g.partnerOrganisationIds]),
      async (id) => (await this.organisations.byId(id))?.country ?? null,
    );
    const grants = rows.map((grant) =>
      toThreeSixtyGivingGrant(
        {
          grant: { ...grant, recovery: grant.state.recovery ?? null },
          ending: endings.get(grant.id) ?? null,
          call: calls.get(grant.callId) ?? null,
          proposal: proposals.get(grant.proposalId) ?? null,
          countries: [...new Set([grant.granteeOrganisationId, ...grant.partnerOrganisationIds].map((id) => countries.get(id)).filter((c): c is string => !!c))],
          recipient: publication.organisation(grant.granteeOrganisationId, grant.awardedAt.toISOString()),
          partners: grant.partnerOrganisationIds.map((id) => publication.organisation(id, grant.awardedAt.toISOString())),
        },
        this.config,
        dataSource,
      ),
    );
    return { version: '1.4', grants };
  }

  /**
   * The terminal event of a terminated or closed grant, read backwards from the version the read
   * model shows; should it be missing, the row's status and last change stand in for it.
   */
  private async ending(grant: GrantView, context: PublicMappingContext): Promise<GrantEnding> {
    const fallback: GrantEnding = { status: grant.status === 'terminated' ? 'terminated' : 'closed', at: grant.updatedAt.toISOString() };
    const recorded = await this.store.readStream(grantStreamName(grant.id), { direction: 'backwards', fromVersion: grant.version });
    const terminal = recorded.find((event) => ENDINGS.has(event.type));
    if (terminal === undefined) return fallback;
    const [published] = await this.publicEvents.map([terminal], context);
    if (published === undefined) return fallback;
    return { status: published.type === 'grant.terminated' ? 'terminated' : 'closed', at: published.occurredAt };
  }
}

async function lookup<T>(ids: string[], load: (id: string) => Promise<T | null>): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, T>();
  await Promise.all(
    unique.map(async (id) => {
      const value = await load(id);
      if (value !== null) found.set(id, value);
    }),
  );
  return found;
}
