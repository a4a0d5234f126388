import type { RecordedEvent } from '@app/event-store';
import { CALL_STREAM_PREFIX, type CallEvent } from '@app/domain/call';
import { assertNever } from '@app/domain/shared/decider';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';
import { upsertNewerRows } from '../projection/upsert-rows';

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
           eligible_countries, min_partners, reviews_required, criteria, opens_at, closes_at, created_at, updated_at, version, recipient_ceiling_minor)
         VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17)
         ON CONFLICT (id) DO NOTHING`,
        [d.callId, d.programme, d.title, d.description, d.currency, d.budgetMinor, d.minAwardMinor, d.maxAwardMinor,
          d.eligibleCountries, d.minPartners, d.reviewsRequired, JSON.stringify(d.criteria), d.opensAt, d.closesAt, recorded.recordedAt, version,
          d.recipientCeilingMinor ?? null],
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

  /**
   * The batch path (the live runtime's, rebuilds' and as-of replays'): the same row changes as
   * `apply`, folded in memory for the whole batch (rows are read and written as JSON, so every value
   * round-trips exactly), then each touched row is written once, in one statement. A row read here
   * only ever moves to a higher version, so the upsert's guard (version below the new one) never
   * stops it. The rows folded are this batch's own (parsed from its read, or made from a draft), so
   * they are changed in place, and `updated_at` is written as text once per row, not once per event:
   * a copy of the row and a date's ISO text per event were most of an as-of replay's apply.
   */
  async applyBatch(events: readonly RecordedEvent[], tx: EntityManager): Promise<void> {
    if (events.length === 0) return;
    // A call the batch only drafts needs no read: its row is the draft's unless one exists already,
    // which the upsert's version guard keeps (as apply's ON CONFLICT DO NOTHING does). So a batch
    // of new calls is one statement, not two (every round trip counts under a busy event loop).
    const toRead = new Set<string>();
    for (const recorded of events) if (recorded.type !== 'CallDrafted') toRead.add((recorded.data as { callId: string }).callId);
    const stored: { row: CallRow }[] = toRead.size === 0 ? [] : await tx.query('SELECT to_jsonb(c) AS row FROM calls c WHERE id = ANY ($1::uuid[]) FOR UPDATE', [[...toRead]]);
    const rows = new Map(stored.map(({ row }) => [row.id, row]));
    /** Per touched row, the recorded time of the last event applied to it (its `updated_at`). */
    const updatedAt = new Map<string, Date>();
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as CallEvent;
      const version = recorded.streamVersion;
      const row = rows.get(event.data.callId);
      if (event.type === 'CallDrafted') {
        if (row) continue;
        const d = event.data;
        const at = recorded.recordedAt.toISOString();
        rows.set(d.callId, {
          id: d.callId, status: 'draft', programme: d.programme, title: d.title, description: d.description, currency: d.currency,
          budget_minor: d.budgetMinor, min_award_minor: d.minAwardMinor, max_award_minor: d.maxAwardMinor, committed_minor: 0,
          eligible_countries: d.eligibleCountries, min_partners: d.minPartners, reviews_required: d.reviewsRequired, criteria: d.criteria,
          opens_at: d.opensAt, closes_at: d.closesAt, deadline_extensions: [], published_at: null, closed_at: null, cancelled_at: null,
          status_reason: null, created_at: at, updated_at: at, version, recipient_ceiling_minor: d.recipientCeilingMinor ?? null,
        });
        updatedAt.set(d.callId, recorded.recordedAt);
        continue;
      }
      if (!row || row.version >= version) continue;
      row.version = version;
      updatedAt.set(row.id, recorded.recordedAt);
      switch (event.type) {
        case 'CallPublished':
          row.status = 'published';
          row.published_at = event.data.publishedAt;
          break;
        case 'CallDeadlineExtended': {
          const { previousClosesAt, newClosesAt, reason, extendedAt } = event.data;
          row.closes_at = newClosesAt;
          row.deadline_extensions.push({ previousClosesAt, newClosesAt, reason, extendedAt });
          break;
        }
        case 'CallClosed':
          row.status = 'closed';
          row.closed_at = event.data.closedAt;
          row.status_reason = event.data.reason ?? null;
          break;
        case 'CallCancelled':
          row.status = 'cancelled';
          row.cancelled_at = event.data.cancelledAt;
          row.status_reason = event.data.reason;
          break;
        case 'FundsCommitted':
          row.committed_minor += event.data.amountMinor;
          break;
        case 'FundsReleased':
          row.committed_minor -= event.data.amountMinor;
          break;
        case 'CommitmentAdjusted':
          row.committed_minor += event.data.changeMinor;
          break;
        default:
          assertNever(event);
      }
    }
    const touched: CallRow[] = [];
    for (const [id, at] of updatedAt) {
      const row = rows.get(id) as CallRow;
      row.updated_at = at.toISOString();
      touched.push(row);
    }
    await upsertNewerRows(tx, 'calls', CALL_COLUMNS, touched);
  }
}

/** A `calls` row as JSON (to_jsonb / jsonb_populate_recordset): every column, by its SQL name. */
interface CallRow {
  id: string;
  status: string;
  programme: string;
  title: string;
  description: string;
  currency: string;
  budget_minor: number;
  min_award_minor: number;
  max_award_minor: number;
  committed_minor: number;
  eligible_countries: string[];
  min_partners: number;
  reviews_required: number;
  criteria: unknown;
  opens_at: string;
  closes_at: string;
  deadline_extensions: unknown[];
  published_at: string | null;
  closed_at: string | null;
  cancelled_at: string | null;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
  version: number;
  /** The call's own ceiling per recipient; null when it states none. */
  recipient_ceiling_minor: number | null;
}

const CALL_COLUMNS: readonly (keyof CallRow)[] = [
  'id', 'status', 'programme', 'title', 'description', 'currency', 'budget_minor', 'min_award_minor', 'max_award_minor', 'committed_minor',
  'eligible_countries', 'min_partners', 'reviews_required', 'criteria', 'opens_at', 'closes_at', 'deadline_extensions', 'published_at',
  'closed_at', 'cancelled_at', 'status_reason', 'created_at', 'updated_at', 'version', 'recipient_ceiling_minor',
];
