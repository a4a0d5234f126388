import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { PROJECTIONS, type Projection } from '@app/read-models/projection/projection';
import { DataSource, type EntityManager } from 'typeorm';
import { EVENT_CODEC, type EventCodec } from '../../event-codec';

/** What one feature's as-of read needs: its stream, its projection, its rows, and the live route's own read. */
export interface AsOfTarget<T> {
  streamId: string;
  /** Name of the feature's projection (as registered in PROJECTIONS). */
  projection: string;
  /** Deletes the entity's rows from the projection's tables. */
  clear(tx: EntityManager): Promise<void>;
  /** Reads the rows back exactly as the live route does. */
  read(tx: EntityManager): Promise<T | null>;
}

const STREAM_PAGE = 1_000;

/**
 * Rebuilds one entity's read-model rows as they would have been at an instant, without a second
 * implementation of any projection: inside ONE transaction that is always rolled back, the
 * entity's rows are deleted, its stream's events recorded up to that instant are re-applied
 * through the feature's own projection (its `applyBatch` when it has one, else `apply` per event),
 * and the rows are read back through the live route's query.
 * Nothing the transaction did is ever visible to anyone else (MVCC), and nothing is committed.
 *
 * "Up to the instant" is a prefix of the stream: events in stream order until the first one
 * recorded after it; the stream is read forwards in pages and no page past that event is read.
 * Events come through the EVENT_CODEC like the projections' own, so personal data shredded since
 * reads as erased in the past too.
 */
@Injectable()
export class AsOfReplay {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(EVENT_CODEC) private readonly codec: EventCodec,
    @Inject(PROJECTIONS) private readonly projections: Projection[],
  ) {}

  /** The entity as of `asOf`, or null when its stream had no event yet. */
  async read<T>(target: AsOfTarget<T>, asOf: Date): Promise<T | null> {
    const projection = this.projections.find((p) => p.name === target.projection);
    if (!projection) throw new Error(`No projection named ${target.projection}`);
    const events = await this.eventsUpTo(target.streamId, asOf);
    if (events.length === 0) return null;

    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await target.clear(runner.manager);
      const decoded: RecordedEvent[] = [];
      for (const event of events) decoded.push(await this.codec.decode(event));
      // The batch path writes each row once instead of once per event (proven equal to `apply` per event).
      if (projection.applyBatch) await projection.applyBatch(decoded, runner.manager);
      else for (const event of decoded) await projection.apply(event, runner.manager);
      return await target.read(runner.manager);
    } finally {
      // Always rolled back: an as-of read changes nothing, even when it fails half way.
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  private async eventsUpTo(streamId: string, asOf: Date): Promise<RecordedEvent[]> {
    const visible: RecordedEvent[] = [];
    for (let fromVersion = 0; ; ) {
      const page = await this.store.readStream(streamId, { fromVersion, maxCount: STREAM_PAGE });
      for (const event of page) {
        if (event.recordedAt.getTime() > asOf.getTime()) return visible;
        visible.push(event);
      }
      if (page.length < STREAM_PAGE) return visible;
      fromVersion = page[page.length - 1].streamVersion + 1;
    }
  }
}
