import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { EVENT_CODEC, type EventCodec } from '../../event-codec';
import { schemaRegistry } from '../../schema-registry';
import { PersonalDataIntegrityError } from '@app/personal-data/personal-data.errors';
import { PersonalDataPolicy } from '../../personal-data/personal-data.policy';
import { maskPersonalData } from './personal-data-markers';

/** One event as an auditor sees it: every metadata field, the data with personal fields masked. */
export interface AuditedEvent {
  position: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  actorId: string;
  actorRole: string;
  correlationId: string;
  causationId: string;
  idempotencyKey: string | null;
  /** The stored metadata as is, including anything added later (e.g. hash-chain fields). */
  metadata: Record<string, unknown>;
  data: unknown;
}

export interface StreamHistoryPage {
  streamId: string;
  items: AuditedEvent[];
  /** Pass as `fromVersion` for the next page; null when this page reaches the stream's end. */
  nextFromVersion: number | null;
}

export interface LogQuery {
  /** Exclusive store position to start after; omitted = from the start of the log. */
  after?: string;
  actorId?: string;
  types?: string[];
  from?: Date;
  to?: Date;
  limit: number;
}

export interface LogPage {
  items: AuditedEvent[];
  /** Cursor to continue from (the last position examined); null when the end of the log was reached. */
  next: string | null;
  /** How many events this request examined (at most LOG_SCAN_BUDGET). */
  scanned: number;
}

/** A request examines at most this many events, however selective its filters: no request scans the whole log. */
export const LOG_SCAN_BUDGET = 2_000;
const LOG_BATCH = 250;

/** A cursor the store cannot read: a client error (HTTP 400), not a server one. */
export class InvalidLogCursor extends BadRequestException {
  constructor(readonly cursor: string) {
    super('`after` is not a position of this event store');
  }
}

/** A type filter naming a type the ledger never appends (a typo finds nothing, and should say so). */
export class UnknownEventTypes extends BadRequestException {
  constructor(readonly types: readonly string[]) {
    super(`type: no event of type ${types.join(', ')} is ever recorded; the types are those of GET /audit/streams/:streamId (e.g. FundingDecisionRecorded)`);
  }
}

/**
 * The log as auditors read it, through the event-store port (so on either adapter): one stream's
 * events in order, or the global log filtered by actor, type and recorded time, cursor-paged by
 * store position. Personal fields are replaced by markers (see maskPersonalData).
 */
@Injectable()
export class AuditHistory {
  private readonly registry = schemaRegistry();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(EVENT_CODEC) private readonly codec: EventCodec,
    private readonly policy: PersonalDataPolicy,
  ) {}

  /** Null when the stream does not exist. */
  async stream(streamId: string, fromVersion: number, limit: number): Promise<StreamHistoryPage | null> {
    const page = await this.store.readStream(streamId, { fromVersion, maxCount: limit + 1 });
    if (page.length === 0 && fromVersion > 0 && (await this.store.readStream(streamId, { maxCount: 1 })).length > 0) {
      return { streamId, items: [], nextFromVersion: null };
    }
    if (page.length === 0) return null;
    const items = await Promise.all(page.slice(0, limit).map((event) => this.audited(event)));
    return { streamId, items, nextFromVersion: page.length > limit ? page[limit].streamVersion : null };
  }

  async log(query: LogQuery): Promise<LogPage> {
    const unknown = query.types?.filter((type) => !this.registry.knows(type)) ?? [];
    if (unknown.length > 0) throw new UnknownEventTypes(unknown);
    const items: AuditedEvent[] = [];
    let cursor = query.after;
    let scanned = 0;
    while (scanned < LOG_SCAN_BUDGET) {
      const maxCount = Math.min(LOG_BATCH, LOG_SCAN_BUDGET - scanned);
      const page = await this.readAll(cursor, maxCount, query.types);
      for (const event of page) {
        scanned += 1;
        cursor = event.position;
        if (matches(event, query)) items.push(await this.audited(event));
        if (items.length === query.limit) return { items, next: cursor, scanned };
      }
      if (page.length < maxCount) return { items, next: null, scanned };
    }
    return { items, next: cursor ?? null, scanned };
  }

  /** Every metadata field of one event, its data with personal fields masked. */
  async audited(event: RecordedEvent): Promise<AuditedEvent> {
    const { metadata } = event;
    return {
      position: event.position,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      recordedAt: event.recordedAt.toISOString(),
      actorId: metadata.actorId,
      actorRole: metadata.actorRole,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      idempotencyKey: metadata.idempotencyKey ?? null,
      metadata: { ...metadata },
      data: await this.maskedData(event),
    };
  }

  private async maskedData(event: RecordedEvent): Promise<unknown> {
    const fields = this.policy.fieldsOf(event.type);
    if (fields.length === 0) return event.data;
    let decoded: unknown | null;
    try {
      decoded = (await this.codec.decode(event)).data;
    } catch (error) {
      // A tampered envelope is an audit finding, not a failure of the whole page.
      if (!(error instanceof PersonalDataIntegrityError)) throw error;
      decoded = null;
    }
    return maskPersonalData(event.data, decoded, fields);
  }

  private async readAll(after: string | undefined, maxCount: number, types: string[] | undefined): Promise<RecordedEvent[]> {
    try {
      return await this.store.readAll({ after, maxCount, ...(types?.length ? { filter: { eventTypes: types } } : {}) });
    } catch (error) {
      // Both adapters reject a position they cannot decode with a RangeError.
      if (after !== undefined && error instanceof RangeError) throw new InvalidLogCursor(after);
      throw error;
    }
  }
}

function matches(event: RecordedEvent, query: LogQuery): boolean {
  if (query.actorId !== undefined && event.metadata.actorId !== query.actorId) return false;
  if (query.types?.length && !query.types.includes(event.type)) return false;
  const at = event.recordedAt.getTime();
  if (query.from && at < query.from.getTime()) return false;
  if (query.to && at > query.to.getTime()) return false;
  return true;
}
