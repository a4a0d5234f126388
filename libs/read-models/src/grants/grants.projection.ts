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
} from '@app/domain/grant';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';
import type { GrantAmendmentView } from './grant-view.entity';

interface StoredRow {
  version: number;
  state: GrantState;
  amendments: GrantAmendmentView[];
  status_reason: string | null;
}

/** The columns GrantAwarded inserts (the others keep their defaults: null, or '[]' for amendments). */
interface InsertedColumns {
  id: string;
  proposal_id: string;
  call_id: string;
  grantee_organisation_id: string;
  partner_organisation_ids: string[];
  currency: string;
  status: string;
  amount_minor: number;
  awarded_amount_minor: number;
  scheduled_minor: number;
  paid_minor: number;
  remaining_minor: number;
  period_start: string;
  period_end: string;
  state: GrantState;
  awarded_at: string;
  updated_at: Date;
  version: number;
}

/** The columns every later event rewrites. */
interface UpdatedColumns {
  id: string;
  status: string;
  amount_minor: number;
  scheduled_minor: number;
  paid_minor: number;
  remaining_minor: number;
  unspent_minor: number | null;
  period_end: string | undefined;
  next_report_due: string | null;
  next_report_owed: string | null;
  agreement_signed_at: string | null;
  status_reason: string | null;
  amendments: GrantAmendmentView[];
  state: GrantState;
  updated_at: Date;
  version: number;
}

const INSERTED = `id uuid, proposal_id uuid, call_id uuid, grantee_organisation_id uuid, partner_organisation_ids uuid[], currency char(3), status text,
  amount_minor bigint, awarded_amount_minor bigint, scheduled_minor bigint, paid_minor bigint, remaining_minor bigint, period_start date,
  period_end date, state jsonb, awarded_at timestamptz, updated_at timestamptz, version int`;
const UPDATED = `id uuid, status text, amount_minor bigint, scheduled_minor bigint, paid_minor bigint, remaining_minor bigint, unspent_minor bigint,
  period_end date, next_report_due date, next_report_owed date, agreement_signed_at timestamptz, status_reason text, amendments jsonb,
  state jsonb, updated_at timestamptz, version int`;
const columnNames = (definition: string) => definition.split(',').map((column) => column.trim().split(/\s+/)[0]);

/**
 * A date-only value as PostgreSQL's `date` reads it. The API has refused a year outside 0001–9999
 * since 2026-12-06, but a log recorded before may hold a report due `0000-01-01` — ISO 8601's year
 * 0, which PostgreSQL has no name for and refused, stalling this projection for good. It is the
 * year PostgreSQL calls 1 BC, so `0000-MM-DD` is written as `0001-MM-DD BC`: the same day, ordered
 * before every later one (the `overdue` filter holds), and read back through the driver as
 * `0000-MM-DD` (`grants.projection.int-spec.ts`).
 */
export function pgDate<T extends string | null>(day: T): T {
  return (day !== null && day.startsWith('0000-') ? `0001-${day.slice(5)} BC` : day) as T;
}

/** What GrantAwarded inserts; undefined when the award carries no terms (nothing is inserted). */
function insertedColumns(state: GrantState, recorded: RecordedEvent): InsertedColumns | undefined {
  const terms = state.terms;
  if (terms === null) return undefined;
  const totals = grantTotals(state);
  return {
    id: terms.grantId,
    proposal_id: terms.proposalId,
    call_id: terms.callId,
    grantee_organisation_id: terms.granteeOrganisationId,
    partner_organisation_ids: terms.partnerOrganisationIds,
    currency: terms.currency,
    status: state.status,
    amount_minor: totals.amountMinor,
    awarded_amount_minor: totals.amountMinor,
    scheduled_minor: totals.scheduledMinor,
    paid_minor: totals.paidMinor,
    remaining_minor: totals.remainingMinor,
    period_start: pgDate(terms.periodStart),
    period_end: pgDate(terms.periodEnd),
    state,
    awarded_at: terms.awardedAt,
    updated_at: recorded.recordedAt,
    version: recorded.streamVersion,
  };
}

/**
 * The state as the row keeps it: without the documents' names. A name is personal data (encrypted
 * in the log with its organisation's key, shredded by that organisation's erasure), and nothing reads
 * it from this table (the documents routes fold the grant's stream, whose codec honours an erasure),
 * so it is not projected: the row holds `name: null`, as an erased name reads. (The projection is
 * handed sealed events, so it never holds the name in clear either.)
 */
export function projectedGrantState(state: GrantState): GrantState {
  if (!state.documents?.some((document) => document.name !== null)) return state;
  return { ...state, documents: state.documents.map((document) => (document.name === null ? document : { ...document, name: null })) };
}

/** The row after a later event of its stream: what is stored, and the columns written. */
function updatedRow(row: StoredRow, event: GrantEvent, recorded: RecordedEvent): { row: StoredRow; columns: UpdatedColumns } {
  const state = projectedGrantState(evolveGrant(row.state, event));
  const amendments = event.type === 'GrantAmended' ? [...row.amendments, amendmentView(event.data)] : row.amendments;
  const totals = grantTotals(state);
  const statusReason = statusReasonAfter(event, row.status_reason);
  return {
    row: { version: recorded.streamVersion, state, amendments, status_reason: statusReason },
    columns: {
      id: event.data.grantId,
      status: state.status,
      amount_minor: totals.amountMinor,
      scheduled_minor: totals.scheduledMinor,
      paid_minor: totals.paidMinor,
      remaining_minor: totals.remainingMinor,
      unspent_minor: state.unspentMinor,
      period_end: state.terms === null ? undefined : pgDate(state.terms.periodEnd),
      next_report_due: pgDate(nextReportDue(state)),
      next_report_owed: pgDate(nextReportOwed(state)),
      agreement_signed_at: state.agreementSignedAt,
      status_reason: statusReason,
      amendments,
      state,
      updated_at: recorded.recordedAt,
      version: recorded.streamVersion,
    },
  };
}

/** Writes rows given as objects keyed by column, all in one statement, through jsonb_to_recordset. */
const insertStatement = `INSERT INTO grants (${columnNames(INSERTED).join(', ')})
  SELECT ${columnNames(INSERTED).join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${INSERTED})
  ON CONFLICT (id) DO NOTHING`;
const updateStatement = `UPDATE grants g SET ${columnNames(UPDATED).filter((c) => c !== 'id').map((c) => `${c} = x.${c}`).join(', ')}
  FROM jsonb_to_recordset($1::jsonb) AS x(${UPDATED}) WHERE g.id = x.id`;

/**
 * The `grants` portfolio. Each event is folded into the row's stored state with the grant
 * decider's own `evolve`, so the read model can never disagree with the rules about what a tranche
 * or report is; the scalar columns are derived from that state. Idempotent by `version`.
 * `apply` writes one event; `applyBatch` folds a batch in memory with the same functions and writes
 * each touched row once (rebuilds).
 */
export class GrantsProjection implements Projection {
  readonly name = 'grants';
  readonly filter = { streamPrefixes: [GRANT_STREAM_PREFIX] };
  /** Personal fields stay encrypted: none is projected (projectedGrantState). */
  readonly input = 'sealed';
  readonly tables = ['grants'] as const;

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as GrantEvent;
    if (!isGrantEvent(event)) return;
    const rows: StoredRow[] = await tx.query('SELECT version, state, amendments, status_reason FROM grants WHERE id = $1 FOR UPDATE', [event.data.grantId]);
    const row = rows[0];
    if (row === undefined) {
      if (event.type !== 'GrantAwarded') return;
      const inserted = insertedColumns(projectedGrantState(evolveGrant(initialGrantState, event)), recorded);
      if (inserted) await tx.query(insertStatement, [JSON.stringify([inserted])]);
      return;
    }
    if (recorded.streamVersion <= row.version) return;
    await tx.query(updateStatement, [JSON.stringify([updatedRow(row, event, recorded).columns])]);
  }

  async applyBatch(events: readonly RecordedEvent[], tx: EntityManager): Promise<void> {
    const grantEvents = events.map((recorded) => ({ recorded, event: { type: recorded.type, data: recorded.data } as GrantEvent })).filter(({ event }) => isGrantEvent(event));
    if (grantEvents.length === 0) return;
    const ids = [...new Set(grantEvents.map(({ event }) => event.data.grantId))];
    const stored: (StoredRow & { id: string })[] = await tx.query(
      'SELECT id, version, state, amendments, status_reason FROM grants WHERE id = ANY ($1::uuid[]) FOR UPDATE',
      [ids],
    );
    const rows = new Map<string, StoredRow>(stored.map(({ id, ...row }) => [id, row]));
    const inserts = new Map<string, InsertedColumns>();
    const updates = new Map<string, UpdatedColumns>();
    for (const { recorded, event } of grantEvents) {
      const id = event.data.grantId;
      const row = rows.get(id);
      if (row === undefined) {
        if (event.type !== 'GrantAwarded') continue;
        const state = projectedGrantState(evolveGrant(initialGrantState, event));
        const inserted = insertedColumns(state, recorded);
        if (!inserted) continue;
        inserts.set(id, inserted);
        rows.set(id, { version: recorded.streamVersion, state, amendments: [], status_reason: null });
        continue;
      }
      if (recorded.streamVersion <= row.version) continue;
      const next = updatedRow(row, event, recorded);
      rows.set(id, next.row);
      updates.set(id, next.columns);
    }
    if (inserts.size > 0) await tx.query(insertStatement, [JSON.stringify([...inserts.values()])]);
    if (updates.size > 0) await tx.query(updateStatement, [JSON.stringify([...updates.values()])]);
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

function statusReasonAfter(event: GrantEvent, previous: string | null): string | null {
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
