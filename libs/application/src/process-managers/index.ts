import type { Clock } from '@app/platform/clock';
import { nestStructuredLogger } from '@app/platform/logging/structured-logger';
import { type LogConsumer, reactorOf } from '@app/log-consumers';
import { PersonalDataErasureReaction } from '../personal-data/personal-data-erasure.reaction';
import { personalDataPolicy } from '../personal-data/personal-data.policy';
import type { StreamCommandExecutor } from '../stream-command-executor';
import { AwardOutcomeBackfill } from './award-outcome-backfill';
import { RecipientLedgerBackfill } from './recipient-ledger-backfill';
import { AwardProcessManager } from './award.process-manager';
import { GrantFundsProcessManager } from './grant-funds.process-manager';
import type { ProcessManagerLogger } from './process-manager-logger';
import type { RetryOptions } from '../retry-on-conflict';
import type { RecipientCeilingPolicy } from '@app/domain/recipient';

export interface ProcessManagerDependencies {
  executor: StreamCommandExecutor;
  clock: Clock;
  logger?: ProcessManagerLogger;
  retry?: RetryOptions;
  /** The programme's ceilings per recipient (configuration: APP_CONFIG.recipientCeiling). */
  recipientCeilings?: RecipientCeilingPolicy;
}

/**
 * Process managers react to events in the log by issuing commands on other streams (e.g. an award
 * decision commits funds on the call, then creates the grant). They run like projections, from a
 * checkpoint, at least once, so every step they take must be idempotent. A projection rebuild never
 * runs them.
 */
export function createProcessManagers(deps: ProcessManagerDependencies): LogConsumer[] {
  const logger = deps.logger ?? nestStructuredLogger('ProcessManagers');
  const shared = { executor: deps.executor, clock: deps.clock, logger, retry: deps.retry };
  const awards = new AwardProcessManager({ ...shared, recipientCeilings: deps.recipientCeilings });
  const grantFunds = new GrantFundsProcessManager(shared);
  const recipientReleaseBackfill = new GrantFundsProcessManager(shared, { ledgersOnly: true });
  const backfill = new AwardOutcomeBackfill(shared);
  const ledgerBackfill = new RecipientLedgerBackfill({ ...shared, recipientCeilings: deps.recipientCeilings });
  return [
    reactorOf(awards, (event) => awards.handle(event)),
    reactorOf(grantFunds, (event) => grantFunds.handle(event)),
    // Records the outcome of awards made before AwardFunded existed (once through the history).
    reactorOf(backfill, (event) => backfill.handle(event)),
    // Counts grants awarded before the recipient ledger existed on their organisations' ledgers (once through the history).
    reactorOf(ledgerBackfill, (event) => ledgerBackfill.handle(event)),
    // Releases on the recipients' ledgers what grants closed or terminated before the ledgers followed grant ends left unspent (once through the history).
    reactorOf(recipientReleaseBackfill, (event) => recipientReleaseBackfill.handle(event)),
    // Completes a crypto-shredding whose key deletion was interrupted (see the reaction).
    new PersonalDataErasureReaction(personalDataPolicy()),
  ];
}

export { AwardProcessManager, awardRefusalReason, type AwardOutcome } from './award.process-manager';
export { AwardOutcomeBackfill, decideAwardOutcomeBackfill, type AwardOutcomeBackfillOutcome } from './award-outcome-backfill';
export { decideRecipientLedgerBackfill, RecipientLedgerBackfill, type RecipientLedgerBackfillOutcome } from './recipient-ledger-backfill';
export { awardGrantCommand, decideAward, type AwardInput, type AwardOutput } from './award.workflow';
export { GrantFundsProcessManager, type GrantFundsOutcome } from './grant-funds.process-manager';
export { decideGrantFunds, type GrantFundsInput, type GrantFundsOutput } from './grant-funds.workflow';
export { grantPeriodFrom } from './grant-period';
export { DEFAULT_RETRY, retryOnConflict, type RetryOptions } from '../retry-on-conflict';
export { SYSTEM_ROLE, systemActor } from './system-context';
