import type { RecordedEvent } from '@app/event-store';
import { CALL_STREAM_PREFIX, type CallEvent } from '@app/grants/call';
import { assertNever } from '@app/grants/shared/decider';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';

/** The `calls` table: one row per call, for grant managers' screens and the budget position. */
export class CallsProjection implements Projection {
  readonly name = 'calls';
  readonly filter = { streamPrefixes: [CALL_STREAM_PREFIX] };
  readonly tables = ['calls'] as const;

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as CallEvent;
    const version = recorded.streamVersion;
    if (event.type === 'CallDrafted') {
      const d = event.data;
      await tx.query(
        `INSERT INTO calls (id, status, programme, title, description, currency, budget_minor, min_award_minor, max_award_minor,
           eligible_countries, min_partners, reviews_required, criteria, opens_at, closes_at, created_at, updated_at, version)
         VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)
         ON CONFLICT (id) DO NOTHING`,
        [d.callId, d.programme, d.title, d.description, d.currency, d.budgetMinor, d.minAwardMinor, d.maxAwardMinor,
          d.eligibleCountries, d.minPartners, d.reviewsRequired, JSON.stringify(d.criteria), d.opensAt, d.closesAt, recorded.recordedAt, version],
      );
      return;
    }
    // Every later event updates the row only if it is newer than what the row has seen.
    const update = (set: string, params: unknown[]) =>
      tx.query(`UPDATE calls SET ${set}, updated_at = $2, version = $3 WHERE id = $1 AND version < $3`, [event.data.callId, recorded.recordedAt, version, ...params]);
    switch (event.type) {
      case 'CallPublished':
        await update(`status = 'published', published_at = $4`, [event.data.publishedAt]);
        return;
      case 'CallDeadlineExtended':
        await update(`closes_at = $4, deadline_extensions = deadline_extensions || $5::jsonb`, [
          event.data.newClosesAt,
          JSON.stringify([{ previousClosesAt: event.data.previousClosesAt, newClosesAt: event.data.newClosesAt, reason: event.data.reason, extendedAt: event.data.extendedAt }]),
        ]);
        return;
      case 'CallClosed':
        await update(`status = 'closed', closed_at = $4, status_reason = $5`, [event.data.closedAt, event.data.reason ?? null]);
        return;
      case 'CallCancelled':
        await update(`status = 'cancelled', cancelled_at = $4, status_reason = $5`, [event.data.cancelledAt, event.data.reason]);
        return;
      case 'FundsCommitted':
        await update('committed_minor = committed_minor + $4', [event.data.amountMinor]);
        return;
      case 'FundsReleased':
        await update('committed_minor = committed_minor - $4', [event.data.amountMinor]);
        return;
      case 'CommitmentAdjusted':
        await update('committed_minor = committed_minor + $4', [event.data.changeMinor]);
        return;
      default:
        assertNever(event);
    }
  }
}
