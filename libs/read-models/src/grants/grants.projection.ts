import type { RecordedEvent } from '@app/event-store';
import {
  evolveGrant,
  GRANT_STREAM_PREFIX,
  grantTotals,
  initialGrantState,
  isGrantEvent,
  nextReportDue,
  type GrantEvent,
  type GrantState,
} from '@app/grants/grant';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';
import type { GrantAmendmentView } from './grant-view.entity';

interface StoredRow {
  version: number;
  state: GrantState;
  amendments: GrantAmendmentView[];
  status_reason: string | null;
}

/**
 * The `grants` portfolio. Each event is folded into the row's stored state with the grant
 * decider's own `evolve`, so the read model can never disagree with the rules about what a tranche
 * or report is; the scalar columns are derived from that state. Idempotent by `version`.
 */
export class GrantsProjection implements Projection {
  readonly name = 'grants';
  readonly filter = { streamPrefixes: [GRANT_STREAM_PREFIX] };
  readonly tables = ['grants'] as const;

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as GrantEvent;
    if (!isGrantEvent(event)) return;
    const grantId = event.data.grantId;
    const rows: StoredRow[] = await tx.query('SELECT version, state, amendments, status_reason FROM grants WHERE id = $1 FOR UPDATE', [grantId]);
    const row = rows[0];
    if (row === undefined) {
      if (event.type !== 'GrantAwarded') return;
      await this.insert(evolveGrant(initialGrantState, event), recorded, tx);
      return;
    }
    if (recorded.streamVersion <= row.version) return;

    const state = evolveGrant(row.state, event);
    const amendments = event.type === 'GrantAmended' ? [...row.amendments, amendmentView(event.data)] : row.amendments;
    const totals = grantTotals(state);
    await tx.query(
      `UPDATE grants SET status = $2, amount_minor = $3, scheduled_minor = $4, paid_minor = $5, remaining_minor = $6, unspent_minor = $7,
         period_end = $8, next_report_due = $9, next_report_owed = $10, agreement_signed_at = $11, status_reason = $12,
         amendments = $13, state = $14, updated_at = $15, version = $16
       WHERE id = $1`,
      [
        grantId,
        state.status,
        totals.amountMinor,
        totals.scheduledMinor,
        totals.paidMinor,
        totals.remainingMinor,
        state.unspentMinor,
        state.terms?.periodEnd,
        nextReportDue(state),
        nextReportOwed(state),
        state.agreementSignedAt,
        statusReason(event, row.status_reason),
        JSON.stringify(amendments),
        JSON.stringify(state),
        recorded.recordedAt,
        recorded.streamVersion,
      ],
    );
  }

  private async insert(state: GrantState, recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const terms = state.terms;
    if (terms === null) return;
    const totals = grantTotals(state);
    await tx.query(
      `INSERT INTO grants (id, proposal_id, call_id, grantee_organisation_id, partner_organisation_ids, currency, status, amount_minor,
         awarded_amount_minor, scheduled_minor, paid_minor, remaining_minor, period_start, period_end, amendments, state, awarded_at, updated_at, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, '[]', $14, $15, $16, $17)
       ON CONFLICT (id) DO NOTHING`,
      [
        terms.grantId,
        terms.proposalId,
        terms.callId,
        terms.granteeOrganisationId,
        terms.partnerOrganisationIds,
        terms.currency,
        state.status,
        totals.amountMinor,
        totals.scheduledMinor,
        totals.paidMinor,
        totals.remainingMinor,
        terms.periodStart,
        terms.periodEnd,
        JSON.stringify(state),
        terms.awardedAt,
        recorded.recordedAt,
        recorded.streamVersion,
      ],
    );
  }
}

/**
 * Earliest due date of a report the grantee still owes: scheduled, or sent back for revision. A
 * submitted report awaits the programme, not the grantee (as in the domain's `isOverdue`).
 */
export function nextReportOwed(state: GrantState): string | null {
  if (state.status === 'closed' || state.status === 'terminated') return null;
  const owed = state.reports.filter((r) => r.status === 'scheduled' || r.status === 'revision-requested').map((r) => r.dueDate);
  return owed.length === 0 ? null : owed.reduce((earliest, due) => (due < earliest ? due : earliest));
}

function statusReason(event: GrantEvent, previous: string | null): string | null {
  switch (event.type) {
    case 'GrantSuspended':
    case 'GrantTerminated':
      return event.data.reason;
    case 'GrantReinstated':
      return null;
    default:
      return previous;
  }
}

function amendmentView(data: Extract<GrantEvent, { type: 'GrantAmended' }>['data']): GrantAmendmentView {
  const { grantId: _grantId, ...amendment } = data;
  return amendment;
}
