import type { RecordedEvent } from '@app/event-store';
import type { CommandContext } from '../command-context';

/**
 * Process managers act as the system, not as a person: events they cause record this actor, with
 * the role `system` (no token carries it, so no user can act as a process manager). The person
 * behind the step is one causation hop away: the triggering event's own actor.
 */
export const SYSTEM_ROLE = 'system';

export function systemActor(processManager: string): CommandContext['actor'] {
  return { id: `process-manager:${processManager}`, role: SYSTEM_ROLE };
}

/** Caused by the event the process manager reacts to; same correlation as that event. */
export function reactionContext(processManager: string, trigger: RecordedEvent): CommandContext {
  return {
    actor: systemActor(processManager),
    causationId: trigger.eventId,
    correlationId: trigger.metadata.correlationId,
  };
}
