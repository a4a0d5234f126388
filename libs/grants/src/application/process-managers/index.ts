import type { Projection } from '@app/read-models/projection/projection';
import type { Clock } from '@app/platform/clock';
import type { StreamCommandExecutor } from '../stream-command-executor';

export const PROCESS_MANAGERS = Symbol('PROCESS_MANAGERS');

export interface ProcessManagerDependencies {
  executor: StreamCommandExecutor;
  clock: Clock;
}

/**
 * Process managers react to events in the log by issuing commands on other streams (e.g. an award
 * decision commits funds on the call, then creates the grant). They run like projections, from a
 * checkpoint, at least once, so every step they take must be idempotent. A projection rebuild never
 * runs them.
 */
export function createProcessManagers(_deps: ProcessManagerDependencies): Projection[] {
  return [];
}
