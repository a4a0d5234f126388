import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { callDecider, callStreamName, type CallState } from '@app/domain/call';
import { grantDecider, grantStreamName, type GrantAwardedData, type GrantState } from '@app/domain/grant';
import {
  DEFAULT_RECIPIENT_CEILING_POLICY,
  grantEndAdjustmentId,
  recipientCeilingFor,
  type RecipientCeilingPolicy,
  recipientDecider,
  recipientsOfAward,
  recipientStreamName,
  type RecordAwardedGrant,
} from '@app/domain/recipient';
import type { StreamCommandExecutor } from '../stream-command-executor';
import { isRefusal } from './process-manager-logger';
import { reactionContext } from './system-context';

/**
 * Grants awarded before the recipient ledger existed count towards the ceiling too ("every awarded
 * or amended amount"): for each grant, every organisation of its network records it on its ledger
 * as it stands now, amendments included (RecordAwardedGrant: a fact, not held to the ceiling, and
 * nothing at all for a grant the award workflow already counted), with the ids of the amendments
 * its amount already reflects, so the grant-funds process manager's adjustment by one of them
 * (an amendment made after the upgrade, before this consumer reached its grant) counts nothing twice. Later amendments move it through
 * the grant-funds process manager like any other. A grant already closed or terminated counts what
 * it did not leave unspent (nothing at all if it paid nothing), with its end's adjustment id, so the
 * grant-funds release of that end, before or after this, releases nothing twice.
 */
export function decideRecipientLedgerBackfill(input: { grant: GrantState; call: CallState; policy: RecipientCeilingPolicy; now: string }): { organisationId: string; command: RecordAwardedGrant }[] {
  const { grant, call, policy, now } = input;
  if (grant.terms === null || call.status === 'none') return [];
  const { grantId, proposalId, callId, granteeOrganisationId, partnerOrganisationIds, amountMinor } = grant.terms;
  const { programme, currency } = call.terms;
  const ceilingMinor = recipientCeilingFor(call.terms, policy);
  const end = grant.status === 'closed' ? 'closure' : grant.status === 'terminated' ? 'termination' : null;
  const unspentMinor = end === null ? 0 : Math.max(0, grant.unspentMinor ?? 0);
  const countedMinor = amountMinor - unspentMinor;
  if (countedMinor <= 0) return [];
  const adjustmentIds = [...grant.amendmentIds, ...(end !== null && unspentMinor > 0 ? [grantEndAdjustmentId(end)] : [])];
  return recipientsOfAward(granteeOrganisationId, partnerOrganisationIds).map(({ organisationId, role }) => ({
    organisationId,
    command: { type: 'RecordAwardedGrant', data: { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor: countedMinor, ceilingMinor, adjustmentIds }, now },
  }));
}

export type RecipientLedgerBackfillOutcome = 'ignored' | 'recorded' | 'nothing-to-do';

/** A log consumer of its own over GrantAwarded, from the start of the log (once through the history; then a no-op per new grant). */
export class RecipientLedgerBackfill {
  static readonly processName = 'recipient-ledger-backfill';
  readonly name = `process-manager:${RecipientLedgerBackfill.processName}`;
  readonly filter = { eventTypes: ['GrantAwarded'] };

  constructor(private readonly deps: { executor: StreamCommandExecutor; clock: Clock; recipientCeilings?: RecipientCeilingPolicy }) {}

  async handle(event: RecordedEvent): Promise<RecipientLedgerBackfillOutcome> {
    if (event.type !== 'GrantAwarded') return 'ignored';
    const { grantId, callId } = event.data as GrantAwardedData;
    const { executor, clock } = this.deps;
    const { state: grant } = await executor.load(grantDecider, grantStreamName(grantId));
    const { state: call } = await executor.load(callDecider, callStreamName(callId));
    const context = reactionContext(RecipientLedgerBackfill.processName, event);
    let appended = 0;
    const outputs = decideRecipientLedgerBackfill({ grant, call, policy: this.deps.recipientCeilings ?? DEFAULT_RECIPIENT_CEILING_POLICY, now: clock.now().toISOString() });
    for (const { organisationId, command } of outputs) {
      try {
        appended += (await executor.execute(recipientDecider, recipientStreamName(organisationId), organisationId, command, context)).events.length;
      } catch (error) {
        // Malformed history (no programme, an amount of 0): nothing to count, nothing to retry.
        if (!isRefusal(error)) throw error;
      }
    }
    return appended > 0 ? 'recorded' : 'nothing-to-do';
  }
}
