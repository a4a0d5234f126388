import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type EventSubscription, type RecordedEvent } from '@app/event-store';
import {
  decodeFeedCursor,
  encodeFeedCursor,
  internalTypesOf,
  InvalidFeedCursorError,
  isPublicEventType,
  PUBLIC_EVENT_TYPES,
  type PublicEvent,
  PublicEventMapper,
  UnknownPublicEventTypeError,
} from '@app/application/public-events';

export const FEED_OPTIONS = Symbol('FEED_OPTIONS');

export interface FeedOptions {
  /** Comment lines on an idle SSE stream keep proxies from closing it. */
  heartbeatMs: number;
  /** At most this many stored public events are looked at per page when filtering by type, so a page always answers quickly. */
  scanBudget: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = { heartbeatMs: 15_000, scanBudget: 2_000 };

export interface FeedPage {
  items: PublicEvent[];
  /** Pass as `after` for the next page. It moves past events a type filter skipped, so nothing is scanned twice. */
  next: string | null;
}

const READ_BATCH = 500;

/**
 * The public feed over the global log: events in commit order, mapped to their public form.
 * A cursor wraps the store's own position (see feed-cursor.ts), so "after this cursor" is exactly
 * the store's `after`: no gap, no duplicate, also for events committed late by concurrent writers.
 * Cursors are decoded here on the way in and encoded on the way out; the store only sees positions.
 */
@Injectable()
export class FeedService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly mapper: PublicEventMapper,
    @Inject(FEED_OPTIONS) private readonly options: FeedOptions,
  ) {}

  /** Public types from a `types=a,b` parameter; every type when absent. 400 for an unknown type. */
  parseTypes(types: string | undefined): string[] {
    const requested = (types ?? '').split(',').map((type) => type.trim()).filter(Boolean);
    if (requested.length === 0) return [...PUBLIC_EVENT_TYPES];
    const unknown = requested.filter((type) => !isPublicEventType(type));
    if (unknown.length) throw new BadRequestException(new UnknownPublicEventTypeError(unknown[0]).message);
    return [...new Set(requested)];
  }

  async page(request: { after?: string; types: string[]; limit: number }): Promise<FeedPage> {
    const wanted = new Set(request.types);
    // Read every public type and filter in memory: the cursor can then move past skipped events.
    const filter = { eventTypes: internalTypesOf() };
    const items: PublicEvent[] = [];
    let cursor = toPosition(request.after);
    let scanned = 0;
    while (items.length < request.limit && scanned < this.options.scanBudget) {
      const batchSize = Math.min(READ_BATCH, wanted.size === PUBLIC_EVENT_TYPES.length ? request.limit - items.length : READ_BATCH);
      const batch = await this.readAll(cursor, batchSize, filter);
      const context = await this.mapper.contextFor(batch);
      for (const event of batch) {
        scanned += 1;
        cursor = event.position;
        const published = (await this.mapper.map([event], context))[0];
        if (published && wanted.has(published.type)) items.push(published);
        if (items.length === request.limit) break;
      }
      if (batch.length < batchSize) break;
    }
    // Nothing after the cursor: at the head, or beyond it (a cursor this log never handed out).
    if (scanned === 0 && cursor !== undefined) await this.refuseBeyondHead(cursor);
    return { items, next: cursor === undefined ? null : encodeFeedCursor(cursor) };
  }

  /** Throws 400 before anything is streamed if `after` is not a cursor of this feed. */
  async checkCursor(after: string | undefined): Promise<void> {
    const position = toPosition(after);
    const next = await this.readAll(position, 1, { eventTypes: internalTypesOf() });
    if (next.length === 0 && position !== undefined) await this.refuseBeyondHead(position);
  }

  /**
   * A well-formed cursor beyond the last event of the log was never handed out by this feed: it
   * comes from another deployment, or from this one before its database was restored to an earlier
   * point. Read as "up to date", it would skip every event up to its position once the log grew
   * past it, silently; so it is refused (400, as any cursor the feed did not hand out), and the
   * partner told to start again. Only looked at when nothing follows the cursor (one index probe).
   */
  private async refuseBeyondHead(position: string): Promise<void> {
    if (await this.store.isBeyondHead?.(position)) throw new BadRequestException(new FeedCursorBeyondHeadError().message);
  }

  /** Catch-up then live: public events after `after`, of the given types, until closed. */
  subscribe(after: string | undefined, types: string[]): { subscription: EventSubscription; events: AsyncIterable<PublicEvent> } {
    const subscription = this.store.subscribe({ after: toPosition(after), filter: { eventTypes: internalTypesOf(types) } });
    const mapper = this.mapper;
    async function* publicEvents(): AsyncIterable<PublicEvent> {
      for await (const event of subscription) {
        const [published] = await mapper.map([event]);
        if (published) yield published;
      }
    }
    return { subscription, events: publicEvents() };
  }

  get heartbeatMs(): number {
    return this.options.heartbeatMs;
  }

  private async readAll(after: string | undefined, maxCount: number, filter: { eventTypes: string[] }): Promise<RecordedEvent[]> {
    try {
      return await this.store.readAll({ after, maxCount, filter });
    } catch (error) {
      // The store refuses a position it did not hand out.
      if (error instanceof RangeError) throw new BadRequestException(new InvalidFeedCursorError().message);
      throw error;
    }
  }
}

export class FeedCursorBeyondHeadError extends Error {
  constructor() {
    super(
      '`after` (or Last-Event-ID) points beyond the end of this feed: this feed never handed it out (it may come from another ' +
        'deployment, or from before a database restore). Start again from zero (omit `after`) or from a cursor this feed handed out, ' +
        'and deduplicate on the event id.',
    );
    this.name = 'FeedCursorBeyondHeadError';
  }
}

/** The store position inside a public cursor; 400 for anything this feed did not hand out. */
function toPosition(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    return decodeFeedCursor(cursor);
  } catch (error) {
    if (error instanceof InvalidFeedCursorError) throw new BadRequestException(error.message);
    throw error;
  }
}
