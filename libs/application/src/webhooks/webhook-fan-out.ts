import type { Projector } from '@app/log-consumers';
import { type PublicEventForWebhook, type PublicEventSource, webhookBody } from './public-event-source';

export const WEBHOOK_FAN_OUT = 'webhook-fan-out';

/**
 * Turns log events into queued webhook deliveries: maps each event to its public form (every
 * organisation withheld, with the ids of those it shows: the sender shows them as their consent is
 * when it sends) and queues
 * one delivery per matching subscription, in the same transaction as its checkpoint (a projector
 * of the log-consumer runtime, with a checkpoint of its own: a projection rebuild never re-runs it).
 * Deliveries are unique per subscription and event, so a batch redone after a crash queues nothing
 * twice. A subscription gets the events recorded from its creation on (the feed serves older history).
 */
export function webhookFanOut(publicEvents: PublicEventSource): Projector<Map<string, PublicEventForWebhook>> & { onQueued(listener: () => void): () => void } {
  const listeners = new Set<() => void>();
  let queuedInBatch = 0;
  return {
    kind: 'projector',
    name: WEBHOOK_FAN_OUT,
    filter: publicEvents.filter ?? {},
    input: 'sealed',
    // Bodies are queued with every organisation withheld (no look-up): the sender shows them by the consent in force when it sends.
    prepare: (events) => publicEvents.mapBatch(events),
    async apply(events, tx, publicForms): Promise<void> {
      queuedInBatch = 0;
      const ids: string[] = [];
      const types: string[] = [];
      const positions: string[] = [];
      const bodies: string[] = [];
      const recordedAts: string[] = [];
      const organisationIds: string[] = [];
      for (const event of events) {
        const publicEvent = publicForms.get(event.eventId);
        if (!publicEvent) continue;
        ids.push(publicEvent.id);
        types.push(publicEvent.type);
        positions.push(event.position);
        bodies.push(webhookBody(publicEvent));
        recordedAts.push(event.recordedAt.toISOString());
        organisationIds.push(JSON.stringify(publicEvent.organisationIds));
      }
      if (ids.length === 0) return;
      // One statement for the whole batch (a catch-up queued one INSERT per public event before).
      // Read after the events themselves: a subscription committed before an event was appended is seen.
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, position, body, organisation_ids, status, attempts, next_attempt_at)
         SELECT gen_random_uuid(), s.id, e.id, e.type, e.position, e.body, ARRAY(SELECT jsonb_array_elements_text(e.organisation_ids::jsonb)), 'pending', 0, now()
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) WITH ORDINALITY AS e(id, type, position, body, recorded_at, organisation_ids, n)
           JOIN webhook_subscriptions s ON s.deleted_at IS NULL AND e.type = ANY (s.event_types) AND s.created_at <= e.recorded_at
          ORDER BY e.n, s.id
         ON CONFLICT (subscription_id, event_id) DO NOTHING
         RETURNING id`,
        [ids, types, positions, bodies, recordedAts, organisationIds],
      );
      queuedInBatch = rows.length;
    },
    committed(): void {
      // The sender wakes up instead of waiting for its poll.
      if (queuedInBatch > 0) for (const listener of listeners) listener();
    },
    onQueued(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
