import type { RecordedEvent } from '@app/event-store';
import type { Reactor } from '@app/log-consumers';
import { CALL_STREAM_PREFIX } from '@app/domain/call';
import { PROPOSAL_STREAM_PREFIX } from '@app/domain/proposal';
import type { AsOfReadModels } from './as-of-read-models';
import { isSnapshotPoint } from './as-of-replay';

/**
 * Keeps the as-of snapshots of long call and proposal streams as they grow, in the background, so
 * that the first as-of read of such a stream replays at most the tail since the last 1,000-event
 * point (AS_OF_SNAPSHOT_EVERY) instead of the whole stream: when an event lands on a snapshot point,
 * the stream is replayed as of that event's instant (from the latest snapshot before it, so at most
 * 1,000 events plus the read-ahead), which keeps every point the replay passes that has none
 * (AsOfReplay.read). Only what an as-of read would write anyway: the same disposable rows, keyed
 * by the projection's code, never for organisations or grants. Idempotent (a kept point is not
 * written again), so a redone batch costs a replay of the tail at most. A replay that fails (the
 * database restarting, say) leaves that point to the next one or to the next as-of read, which
 * replay from the snapshot before: snapshots only speed reads up, so the keeper never stalls on one.
 *
 * A full replay still happens where no snapshot for the projection's current code exists at all
 * (after a change to the calls or proposals projection, or an emptied `as_of_snapshots`): the
 * next point an event reaches, or the first as-of read, replays the stream once from its first event.
 *
 * Register it with the log consumers to run it (it reads every call and proposal event, stored:
 * not decoded).
 */
export function createAsOfSnapshotKeeper(models: AsOfReadModels): Reactor {
  return {
    kind: 'reactor',
    name: 'as-of-snapshots',
    filter: { streamPrefixes: [CALL_STREAM_PREFIX, PROPOSAL_STREAM_PREFIX] },
    input: 'stored',
    async react(events: readonly RecordedEvent[]): Promise<void> {
      // Per stream, the last point of the batch: its replay passes (and keeps) the earlier ones too.
      const due = new Map<string, RecordedEvent>();
      for (const event of events) if (isSnapshotPoint(event.streamVersion)) due.set(event.streamId, event);
      for (const event of due.values()) {
        const id = event.streamId.startsWith(CALL_STREAM_PREFIX) ? event.streamId.slice(CALL_STREAM_PREFIX.length) : event.streamId.slice(PROPOSAL_STREAM_PREFIX.length);
        const replay = event.streamId.startsWith(CALL_STREAM_PREFIX) ? models.call(id, event.recordedAt) : models.proposal(id, event.recordedAt);
        await replay.catch(() => undefined);
      }
    },
  };
}
