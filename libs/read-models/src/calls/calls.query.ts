import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type FindOptionsWhere, Repository } from 'typeorm';
import { pgPoolOf, queryRows } from '@app/platform/database/pg-pool';
import { CallView } from './call-view.entity';

/** The `calls` row as pg returns it (bigint as text; timestamptz, jsonb and text[] parsed). */
interface CallRow {
  id: string;
  status: string;
  programme: string;
  title: string;
  description: string;
  currency: string;
  budget_minor: string;
  min_award_minor: string;
  max_award_minor: string;
  committed_minor: string;
  eligible_countries: string[];
  min_partners: number;
  reviews_required: number;
  criteria: CallView['criteria'];
  opens_at: Date;
  closes_at: Date;
  deadline_extensions: CallView['deadlineExtensions'];
  published_at: Date | null;
  closed_at: Date | null;
  cancelled_at: Date | null;
  status_reason: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
  recipient_ceiling_minor: string | null;
}

const CALL_BY_ID = {
  name: 'grant_ledger_call_by_id',
  text: `SELECT id, status, programme, title, description, currency, budget_minor, min_award_minor, max_award_minor, committed_minor,
           eligible_countries, min_partners, reviews_required, criteria, opens_at, closes_at, deadline_extensions, published_at,
           closed_at, cancelled_at, status_reason, created_at, updated_at, version, recipient_ceiling_minor
         FROM calls WHERE id = $1`,
};

/** The entity's own mapping (call-view.entity.ts), by hand: bigint minor units as numbers. */
function toCallView(row: CallRow): CallView {
  return {
    id: row.id,
    status: row.status,
    programme: row.programme,
    title: row.title,
    description: row.description,
    currency: row.currency,
    budgetMinor: Number(row.budget_minor),
    minAwardMinor: Number(row.min_award_minor),
    maxAwardMinor: Number(row.max_award_minor),
    committedMinor: Number(row.committed_minor),
    recipientCeilingMinor: row.recipient_ceiling_minor === null ? null : Number(row.recipient_ceiling_minor),
    eligibleCountries: row.eligible_countries,
    minPartners: row.min_partners,
    reviewsRequired: row.reviews_required,
    criteria: row.criteria,
    opensAt: row.opens_at,
    closesAt: row.closes_at,
    deadlineExtensions: row.deadline_extensions,
    publishedAt: row.published_at,
    closedAt: row.closed_at,
    cancelledAt: row.cancelled_at,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** A timestamptz as `Date.prototype.toISOString()` writes it (UTC, milliseconds truncated as a Date truncates them). */
const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const isoUtcOrNull = (column: string) => `COALESCE('"' || ${isoUtc(column)} || '"', 'null')`;
const TIMESTAMPS = 'opens_at, closes_at, published_at, closed_at, cancelled_at, created_at, updated_at';
const MINOR_UNITS = 'budget_minor, min_award_minor, max_award_minor, committed_minor';

const INT4_OID = 23;
const keepText = (text: string) => text;

/**
 * The GET's answer as PostgreSQL writes it: the JSON text of toCallViewDto(toCallView(row)) in three
 * pieces around the two jsonb columns, which come as their own text (see compactJson), plus the status
 * (who may see it) and version (the ETag), and what the recipient ceiling shown after `version` is
 * made of (programme, currency and the call's own ceiling: the configured one it falls back to is
 * the application's, so the route writes that member and the closing brace itself). Strings are
 * escaped by to_json as JSON.stringify escapes them; bigints written as their digits, as a Number within 2^53 writes them. The first piece is NULL
 * when the row holds what this text would write otherwise than the mapping: an instant outside years
 * 0001-9999 (toISOString writes +010000-…) or minor units outside 0..2^53-1 (a Number rounds them);
 * the caller then maps the row as byId does. One concat per piece: one buffer, and output functions
 * looked up once per statement rather than per `||`.
 */
const CALL_JSON_BY_ID = {
  name: 'grant_ledger_call_json_by_id',
  text: `SELECT status, version, programme, currency, recipient_ceiling_minor,
           CASE WHEN LEAST(${TIMESTAMPS}) >= '0001-01-01T00:00:00Z' AND GREATEST(${TIMESTAMPS}) < '10000-01-01T00:00:00Z'
                 AND LEAST(${MINOR_UNITS}) >= 0 AND GREATEST(${MINOR_UNITS}) <= 9007199254740991
           THEN concat('{"id":"', id, '","status":', to_json(status), ',"programme":', to_json(programme), ',"title":', to_json(title),
             ',"description":', to_json(description), ',"currency":', to_json(currency), ',"budgetMinor":', budget_minor,
             ',"committedMinor":', committed_minor, ',"remainingMinor":', budget_minor - committed_minor, ',"minAwardMinor":', min_award_minor,
             ',"maxAwardMinor":', max_award_minor, ',"eligibleCountries":', to_json(eligible_countries), ',"minPartners":', min_partners,
             ',"reviewsRequired":', reviews_required, ',"criteria":') END,
           criteria::text,
           concat(',"opensAt":"', ${isoUtc('opens_at')}, '","closesAt":"', ${isoUtc('closes_at')}, '","deadlineExtensions":'),
           deadline_extensions::text,
           concat(',"publishedAt":', ${isoUtcOrNull('published_at')}, ',"closedAt":', ${isoUtcOrNull('closed_at')}, ',"cancelledAt":', ${isoUtcOrNull('cancelled_at')},
             ',"statusReason":', COALESCE(to_json(status_reason)::text, 'null'), ',"createdAt":"', ${isoUtc('created_at')}, '","updatedAt":"', ${isoUtc('updated_at')},
             '","version":', version)
         FROM calls WHERE id = $1`,
  rowMode: 'array',
  types: { getTypeParser: (oid: number) => (oid === INT4_OID ? Number : keepText) },
} as const;

type CallJsonRow = [
  status: string,
  version: number,
  programme: string,
  currency: string,
  recipientCeilingMinor: string | null,
  head: string | null,
  criteria: string,
  middle: string,
  deadlineExtensions: string,
  tail: string,
];

/** A jsonb column's text (`[{"id": "a", "weight": 40}]`) as JSON.stringify writes what JSON.parse reads from it: what the mapped path sends. */
const compactJson = (text: string) => (text === '[]' ? text : JSON.stringify(JSON.parse(text)));

/** One call's GET answer as JSON text, with what the route decides on: who may see it (status) and its ETag (version). */
export interface CallViewJson {
  status: string;
  version: number;
  /** What the call's recipient ceiling is made of: the call's own, else the configuration's for its programme. */
  programme: string;
  currency: string;
  recipientCeilingMinor: number | null;
  /**
   * JSON.stringify(toCallViewDto(call)) to the byte up to and including `"version":N`, without the
   * members that follow it (the recipient ceiling) and the closing brace; null when only the mapped
   * path writes it exactly (see CALL_JSON_BY_ID).
   */
  json: string | null;
}

export interface CallListFilter {
  statuses?: string[];
  limit: number;
  offset: number;
}

/** Reads the `calls` read model; never loads the event stream. */
@Injectable()
export class CallsQuery {
  constructor(@InjectRepository(CallView) private readonly calls: Repository<CallView>) {}

  async list(filter: CallListFilter): Promise<{ items: CallView[]; total: number }> {
    if (filter.statuses?.length === 0) return { items: [], total: 0 };
    const where: FindOptionsWhere<CallView> = filter.statuses ? { status: In(filter.statuses) } : {};
    const [items, total] = await this.calls.findAndCount({ where, order: { createdAt: 'DESC', id: 'ASC' }, take: filter.limit, skip: filter.offset });
    return { items, total };
  }

  /**
   * One call by id: the hottest read, so a prepared statement mapped by hand rather than the query
   * builder and entity hydration (about a quarter of a GET's CPU, issue 11). Inside a transaction
   * (an as-of replay) it reads that transaction's tables.
   */
  async byId(id: string): Promise<CallView | null> {
    const [row] = await queryRows<CallRow>(this.calls.manager, { ...CALL_BY_ID, values: [id] });
    return row ? toCallView(row) : null;
  }

  /**
   * The live GET by id's answer as JSON text written by PostgreSQL (issue 11): no timestamptz, array or
   * jsonb parsed into objects to be written back, and ten columns for pg to describe rather than 25.
   * Always the live tables, on the pool (an as-of read maps the replayed row with byId).
   */
  async jsonById(id: string): Promise<CallViewJson | null> {
    // A query bound to a transaction (an as-of replay's) must never read the live tables behind its back.
    if (this.calls.manager.queryRunner) throw new Error('CallsQuery.jsonById reads the live tables on the pool: not within a transaction');
    // Only `values` of its own, the rest read through the prototype: pg's Query copies a config's own
    // property descriptors (normalizeQueryConfig), ~6.7 µs for a spread of five, ~2.6 for one (node, this machine).
    const statement = Object.create(CALL_JSON_BY_ID) as typeof CALL_JSON_BY_ID & { values: unknown[] };
    statement.values = [id];
    const { rows } = await pgPoolOf(this.calls.manager.connection).query<CallJsonRow>(statement);
    if (rows.length === 0) return null;
    const [status, version, programme, currency, ceiling, head, criteria, middle, deadlineExtensions, tail] = rows[0] as unknown as CallJsonRow;
    const json = head === null ? null : head + compactJson(criteria) + middle + compactJson(deadlineExtensions) + tail;
    return { status, version, programme, currency, recipientCeilingMinor: ceiling === null ? null : Number(ceiling), json };
  }
}
