import { Inject, Injectable } from '@nestjs/common';
import { PublicEventMapper } from '@app/grants/application/public-events';
import { CallsQuery } from '@app/read-models/calls/calls.query';
import type { GrantView } from '@app/read-models/grants/grant-view.entity';
import { GrantsQuery } from '@app/read-models/grants/grants.query';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import { THREE_SIXTY_GIVING_CONFIG, type ThreeSixtyGivingConfig, type ThreeSixtyGivingPackage, toThreeSixtyGivingGrant } from './three-sixty-giving';

const PAGE = 200;

/** Builds the 360Giving package from the read models (never from the log): every grant ever awarded. */
@Injectable()
export class ThreeSixtyGivingExport {
  constructor(
    private readonly grants: GrantsQuery,
    private readonly calls: CallsQuery,
    private readonly proposals: ProposalsQuery,
    private readonly organisations: OrganisationsQuery,
    private readonly publicEvents: PublicEventMapper,
    @Inject(THREE_SIXTY_GIVING_CONFIG) private readonly config: ThreeSixtyGivingConfig,
  ) {}

  async build(dataSource: string): Promise<ThreeSixtyGivingPackage> {
    const rows: GrantView[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const { items } = await this.grants.list({ limit: PAGE, offset });
      rows.push(...items);
      if (items.length < PAGE) break;
    }
    const calls = await lookup(rows.map((g) => g.callId), (id) => this.calls.byId(id));
    const proposals = await lookup(rows.map((g) => g.proposalId), (id) => this.proposals.byId(id));
    const countries = await lookup(
      rows.flatMap((g) => [g.granteeOrganisationId, ...g.partnerOrganisationIds]),
      async (id) => (await this.organisations.byId(id))?.country ?? null,
    );
    const publication = await this.publicEvents.contextForOrganisations(rows.flatMap((g) => [g.granteeOrganisationId, ...g.partnerOrganisationIds]));
    const grants = rows.map((grant) =>
      toThreeSixtyGivingGrant(
        {
          grant,
          call: calls.get(grant.callId) ?? null,
          proposal: proposals.get(grant.proposalId) ?? null,
          countries: [...new Set([grant.granteeOrganisationId, ...grant.partnerOrganisationIds].map((id) => countries.get(id)).filter((c): c is string => !!c))],
          recipient: publication.organisation(grant.granteeOrganisationId),
          partners: grant.partnerOrganisationIds.map((id) => publication.organisation(id)),
        },
        this.config,
        dataSource,
      ),
    );
    return { version: '1.4', grants };
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
