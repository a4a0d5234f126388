import { Injectable } from '@nestjs/common';
import { proposalDecider, proposalStreamName, type ProposalState } from '@app/domain/proposal';
import { StreamCommandExecutor } from '../stream-command-executor';
import { maySeeAllProposals, relationTo, type ProposalActor } from './proposal-access';
import { audienceOf } from './proposal-commands';

/**
 * Whether a caller may read a proposal NOW, judged on its stream as the log holds it, not on a read
 * model that may still lag it by a few milliseconds, nor on the proposal as it was at an `asOf`
 * instant. Losing access takes effect at once: a reviewer that declared a conflict, a partner that
 * left or was removed. (Until 2026-12-06 `GET /proposals/:id` still answered such a reviewer for
 * the ~30 ms the projection took, and its `?asOf=` form answered them and departed partners for
 * any instant at which they had had access.) The programme and auditors see every proposal, so
 * nothing is read for them; anyone else costs one read of the stream (the executor's, folded from
 * its cache or snapshot).
 */
@Injectable()
export class ProposalReaders {
  constructor(private readonly executor: StreamCommandExecutor) {}

  async maySeeNow(proposalId: string, actor: ProposalActor): Promise<boolean> {
    if (maySeeAllProposals(actor)) return true;
    return (await this.visibleState(proposalId, actor)) !== null;
  }

  /** The proposal's state as the log holds it, or null when the caller may not read it now (or it does not exist). */
  async visibleState(proposalId: string, actor: ProposalActor): Promise<ProposalState | null> {
    const { state } = await this.executor.load(proposalDecider, proposalStreamName(proposalId));
    const audience = audienceOf(state);
    return audience !== null && relationTo(actor, audience) !== null ? state : null;
  }
}
