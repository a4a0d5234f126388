/** Small helpers shared by the contract suite and the adapters' own specs. */
import { randomUUID } from 'node:crypto';
import { EventSubscription, NewEvent, RecordedEvent } from '@app/event-store';

/** A stream kind of its own, so a test can read the global log filtered to its streams. */
export function newKind(): string {
  return `contract${randomUUID().slice(0, 8)}`;
}

export function newStreamId(kind = 'contract'): string {
  return `${kind}-${randomUUID()}`;
}

export function newEvent(type = 'ContractTested', data: unknown = { at: 'test' }): NewEvent {
  return {
    type,
    schemaVersion: 1,
    data,
    metadata: {
      eventId: randomUUID(),
      actorId: 'contract-suite',
      actorRole: 'admin',
      correlationId: randomUUID(),
      causationId: randomUUID(),
    },
  };
}

/** The rejection reason of a promise that must reject. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries an assertion until it passes or the time is up. */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(50);
    }
  }
}

/** Takes `count` events from a subscription, then closes it; closes early after `timeoutMs`. */
export async function collect(
  subscription: EventSubscription,
  count: number,
  timeoutMs = 10_000,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for await (const event of subscription) {
      events.push(event);
      if (events.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return events;
}
