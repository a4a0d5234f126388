import type { AllFilter, RecordedEvent } from '@app/event-store';

/**
 * What webhook delivery needs from the public event catalogue: the public types a subscription may
 * choose from, and the mapping of a stored (decoded) event to its public form, or null when the
 * event is not public. The catalogue guarantees that public payloads carry no personal data.
 */
export interface PublicEventForWebhook {
  /** Stable id of the event: the Standard Webhooks message id (`webhook-id`). */
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface PublicEventSource {
  readonly types: readonly string[];
  /** The part of the log that can hold public events (the fan-out reads only that). */
  readonly filter?: AllFilter;
  /** The public form of each event of a batch that has one, keyed by event id (one look-up per batch). */
  mapBatch(events: readonly RecordedEvent[]): Promise<Map<string, PublicEventForWebhook>>;
}

export const PUBLIC_EVENT_SOURCE = Symbol('PUBLIC_EVENT_SOURCE');

/** The Standard Webhooks payload: `{ type, timestamp, data }`, fixed once per delivery. */
export function webhookBody(event: PublicEventForWebhook): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event.data });
}
