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
  /** Every organisation withheld: the sender shows them as their consent is when it sends (see `render`). */
  data: Record<string, unknown>;
  /** The organisations `data` shows, by internal id (kept with the delivery, never sent). */
  organisationIds: string[];
}

/** A queued delivery's body and the organisations it shows. */
export interface StoredWebhookBody {
  body: string;
  organisationIds: readonly string[];
}

export interface PublicEventSource {
  readonly types: readonly string[];
  /** The part of the log that can hold public events (the fan-out reads only that). */
  readonly filter?: AllFilter;
  /** The public form of each event of a batch that has one, keyed by event id, every organisation withheld (no look-up). */
  mapBatch(events: readonly RecordedEvent[]): Promise<Map<string, PublicEventForWebhook>>;
  /**
   * The bodies to send now: each organisation shown as public or withheld by the consent in force
   * now (one look-up for all of them), so that a withdrawal reaches every attempt after it.
   */
  render(bodies: readonly StoredWebhookBody[]): Promise<string[]>;
}

export const PUBLIC_EVENT_SOURCE = Symbol('PUBLIC_EVENT_SOURCE');

/** The Standard Webhooks payload: `{ type, timestamp, data }`; its organisations are shown again at each attempt. */
export function webhookBody(event: PublicEventForWebhook): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event.data });
}
