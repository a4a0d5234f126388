import { Injectable } from '@nestjs/common';
import { CallView } from '@app/read-models/calls/call-view.entity';
import { CallsQuery } from '@app/read-models/calls/calls.query';
import { GrantView } from '@app/read-models/grants/grant-view.entity';
import { GrantsQuery } from '@app/read-models/grants/grants.query';
import { OrganisationView } from '@app/read-models/organisations/organisation-view.entity';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { ProposalView, ReviewerAssignmentView } from '@app/read-models/proposals/proposal-view.entity';
import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import { callStreamName } from '@app/domain/call';
import { grantStreamName } from '@app/domain/grant';
import { organisationStreamName } from '@app/domain/organisation';
import { proposalStreamName } from '@app/domain/proposal';
import { AsOfReplay } from './as-of-replay';

/**
 * The read-model rows of one call, organisation, proposal or grant as they were at an instant,
 * read through the same query services the live routes use (bound to the replay's transaction,
 * where the table names resolve to its private scratch copies), so the routes map them to the
 * same DTOs. Null: the stream did not exist yet.
 *
 * None of these four projections reads another stream's rows (a proposal row carries its own
 * callId, a grant its own terms), so an as-of answer is exactly its own stream's prefix.
 * Calls and proposals may be served from snapshots (their rows hold no personal data); grants and
 * organisations are always replayed from the first event (their streams are short, and no snapshot
 * ever holds their personal data: grant rows keep no signatories, organisation rows keep the contact
 * person sealed, opened by the route with the live key, so it reads as erased in the past too).
 */
@Injectable()
export class AsOfReadModels {
  constructor(private readonly replay: AsOfReplay) {}

  call(id: string, asOf: Date): Promise<CallView | null> {
    return this.replay.read(
      {
        streamId: callStreamName(id.toLowerCase()),
        projection: 'calls',
        snapshot: [{ table: 'calls', column: 'id', id }],
        read: (tx) => new CallsQuery(tx.getRepository(CallView)).byId(id),
      },
      asOf,
    );
  }

  organisation(id: string, asOf: Date): Promise<OrganisationView | null> {
    return this.replay.read(
      {
        streamId: organisationStreamName(id.toLowerCase()),
        projection: 'organisations',
        read: (tx) => new OrganisationsQuery(tx.getRepository(OrganisationView)).byId(id),
      },
      asOf,
    );
  }

  proposal(id: string, asOf: Date): Promise<ProposalView | null> {
    return this.replay.read(
      {
        streamId: proposalStreamName(id.toLowerCase()),
        projection: 'proposals',
        snapshot: [
          { table: 'proposals', column: 'id', id },
          { table: 'proposal_reviewer_assignments', column: 'proposal_id', id },
        ],
        read: (tx) => new ProposalsQuery(tx.getRepository(ProposalView), tx.getRepository(ReviewerAssignmentView)).byId(id),
      },
      asOf,
    );
  }

  grant(id: string, asOf: Date): Promise<GrantView | null> {
    return this.replay.read(
      {
        streamId: grantStreamName(id.toLowerCase()),
        projection: 'grants',
        read: (tx) => new GrantsQuery(tx.getRepository(GrantView)).byId(id),
      },
      asOf,
    );
  }
}
