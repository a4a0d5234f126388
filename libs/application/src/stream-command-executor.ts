import { type AppendResult, DuplicateEventIdError, type EventStore, type RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { nameBasedId, newEventId } from '@app/platform/ids';
import { IdempotencyKeyReused } from '@app/platform/idempotency/idempotency-key-reused.error';
import { type Decider, evolveMany } from '@app/domain/shared/decider';
import type { CommandContext, CommandResult } from './command-context';
import type { DomainEvent, EventCodec, SealedKey } from './event-codec';
import { DEFAULT_RETRY, retryOnConflict, type RetryOptions } from './retry-on-conflict';
import { SealedStateAltered } from '@app/personal-data/sealed-state';
import type { DeciderSnapshotIdentity, DeciderSnapshotStore, StoredDeciderSnapshot } from './snapshots/decider-snapshots';

export interface ExecutionResult<E> extends CommandResult {
  /** The events this command appended (or, when `replayed`, those an earlier attempt with its Idempotency-Key appended). */
  events: E[];
  /** The command had already run: the stream holds events carrying its Idempotency-Key. Nothing was appended now. */
  replayed: boolean;
}

/**
 * Other streams a command is decided on, read for one attempt. `pin` makes the decision hold only
 * for the version read: the append then requires that stream to be unchanged (AppendOptions
 * conditions), and if it moved the whole attempt runs again on fresh reads. Pin a stream when a
 * rule depends on state of it that can change — a submission on its call being open — not for
 * facts fixed once written (a call's criteria), where pinning would only add conflicts.
 */
export interface Facts {
  load<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, streamId: string, options?: { pin?: boolean }): Promise<{ state: S; version: number }>;
}

/**
 * Builds the command from the stream's current state: checks who may act, looks up the outside
 * facts the decider needs. Runs again on every attempt, so it always judges the state decided on.
 */
export type CommandBuilder<C, S> = (state: S, version: number, facts: Facts) => C | Promise<C>;

export interface ExecuteOptions {
  /**
   * The caller minted `streamId` for this command (IdGenerator.forCommand): a random UUID nobody has
   * used, or, with an Idempotency-Key, one derived from the key. The first attempt then decides on
   * the empty stream without reading it and appends with `no_stream`. A stream that exists after all
   * refuses that append: for a keyed command it is the earlier attempt's, found by the read that
   * follows the conflict (as for any keyed race) and answered as before; otherwise the retry reads
   * the stream and decides again. With If-Match the stream is read as always.
   */
  newStream?: boolean;
}

/**
 * The one way through a command, as emmett's handleCommand: read the stream once, fold it with
 * `evolve`, build the command on that state (reading other streams it depends on through `facts`),
 * `decide`, append with the version read — and, for pinned facts, only if those streams did not
 * move either. A version conflict re-runs the whole step on fresh reads (one shared policy) unless
 * the client pinned this stream's version with If-Match; the rules then judge the new state, so a
 * retry can never over-commit.
 *
 * Idempotency lives in the log itself: every event a command with an Idempotency-Key appends
 * carries the key (and an event id derived from actor, key, stream and index), so the record of
 * "this command ran" commits in the same statement as its effect. Found in the stream, the command
 * already ran (perhaps in a process that died before it could answer) and the earlier result is
 * returned with nothing appended. On a store that refuses an event id it holds (PostgreSQL) the
 * stream is searched only when appending is refused, reported as already stored, or the decision
 * is a refusal or a no-op, so a keyed command costs what any other does and nothing grows with the
 * stream's length; elsewhere it is searched before deciding. Two concurrent attempts derive the
 * same event ids for the same version; the store keeps one and the other finds it. Whether the key
 * belongs to this request at all (not to another one sent with it) is the HTTP layer's to say; when
 * it did not look before the command ran, the executor asks it (CommandContext.verifyKey) before
 * any effect the store's answered append does not guard, and before answering.
 */
export class StreamCommandExecutor {
  private readonly folded: FoldedStates;
  /** Decider snapshots waiting to be written, per stream (snapshotLater). */
  private readonly pendingSnapshots = new Map<string, { queuedAt: number; write: () => Promise<void> }>();
  private snapshotWriters = 0;
  /** The version each stream was last snapshotted at by this process (at most SNAPSHOTTED_REMEMBERED streams). */
  private readonly snapshotted = new Map<string, number>();
  /** Streams this process saw long enough to have a decider snapshot (noteLength). */
  private readonly longStreams = new Set<string>();
  private closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
    foldedStates: FoldedStateOptions = {},
    private readonly snapshots?: DeciderSnapshotOptions,
  ) {
    this.folded = new FoldedStates(foldedStates);
  }

  execute<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    command: C,
    context: CommandContext,
    options?: ExecuteOptions,
  ): Promise<ExecutionResult<E>> {
    return this.handle(decider, streamId, entityId, () => command, context, options);
  }

  async handle<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    build: CommandBuilder<C, S>,
    context: CommandContext,
    options?: ExecuteOptions,
  ): Promise<ExecutionResult<E>> {
    // With If-Match the client names a version to compare with the stream's: read it.
    let unread = options?.newStream === true && context.expectedVersion === undefined;
    let firstAttempt = true;
    const attempt = () => {
      const known = unread;
      const trustFolded = firstAttempt;
      unread = false; // a retry reads the stream
      firstAttempt = false;
      return this.attempt(decider, streamId, entityId, build, context, known, trustFolded);
    };
    // With If-Match the client decided on the version it saw: a conflict on this stream is its
    // answer (409). A pinned fact that moved (another stream) is decided on again either way.
    const pinnedByClient = context.expectedVersion !== undefined;
    const result = await retryOnConflict(attempt, { ...this.retry, retryable: (conflict) => !pinnedByClient || conflict.streamId !== streamId });
    // A keyed command answered without its answer remembered with its events (replayed from the log,
    // a no-op, a store that cannot): its key must be known to be its own before its handler goes on.
    if (context.idempotencyKey !== undefined && context.verifyKey && context.answer?.remembered === undefined) await context.verifyKey();
    return result;
  }

  /**
   * Drops every state this process folded: they may hold personal data that an erasure has just
   * made unreadable (the keyring calls this when it forgets a subject), so the next read decodes
   * the stream again with the keys as they are.
   */
  forgetFoldedStates(): void {
    this.folded.clear();
    this.pendingSnapshots.clear(); // decrypted states too: none of them would be written now (generation)
  }

  /** At shutdown: the snapshots still waiting are dropped (a later cold read writes them), and no more are queued. */
  close(): void {
    this.closed = true;
    this.pendingSnapshots.clear();
  }

  /** The stream folded to its current state (for queries that need a decider's view, and process managers). */
  async load<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, streamId: string, upTo?: Date): Promise<{ state: S; version: number }> {
    const { state, version } = await this.read(decider, streamId, upTo);
    return { state, version };
  }

  private async attempt<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    build: CommandBuilder<C, S>,
    context: CommandContext,
    knownEmpty: boolean,
    trustFolded = false,
  ): Promise<ExecutionResult<E>> {
    const keyed = context.idempotencyKey !== undefined;
    // A keyed command must not run twice. On a store that refuses an event id it holds, it decides
    // like any other command, on the folded state: its event ids derive from the key, so appending
    // an earlier attempt's effect again is refused (or answered `alreadyStored`), and only then,
    // or when the decision is a refusal or a no-op, is the whole stream searched for the earlier
    // attempt. Elsewhere (EventStoreDB) the whole stream is searched before deciding.
    const searchFirst = keyed && this.store.refusesDuplicateEventIds !== true;
    // On a first attempt, a state this process folded lately is decided on without reading the
    // stream's tail: the append's expected version is that state's version, so if the stream moved
    // meanwhile (another process, an erasure event) the store refuses it and the retry reads the
    // tail and decides again — the same guarantee, one round trip fewer.
    const unverified = trustFolded && !knownEmpty && !searchFirst ? await this.recallFolded<S>(streamId, decider) : undefined;
    // With If-Match, a remembered version other than the client's may just be older than the stream: read.
    const cached = unverified && (context.expectedVersion === undefined || context.expectedVersion === unverified.version) ? unverified : undefined;
    const { state, version, events: recorded, checkedAt, keys, whole, generation } = knownEmpty
      ? { state: decider.initialState, version: -1, events: [], checkedAt: Date.now(), keys: NO_KEYS, whole: true, generation: this.folded.generation }
      : cached
        ? { ...cached, events: [], whole: false }
        : await this.read(decider, streamId, undefined, searchFirst);
    // What was read (the whole stream, or a tail that may hold it) shows an earlier attempt.
    const earlier = this.earlierAttempt<E>(recorded, context);
    if (earlier) return { id: entityId, ...earlier };
    // Whether an earlier attempt may still hide in the stream (only a tail, or nothing, was read):
    // a refusal or a no-op must look first.
    const unsearched = keyed && !whole;
    // Built first: the builder checks who may act, and a stranger must not learn the version from a 409.
    const pinned = new Map<string, number>();
    const facts: Facts = {
      load: async (factDecider, factStreamId, options) => {
        const fact = await this.read(factDecider, factStreamId);
        if (options?.pin && !pinned.has(factStreamId)) pinned.set(factStreamId, fact.version);
        return { state: fact.state, version: fact.version };
      },
    };
    let events: E[];
    try {
      const command = await build(state, version, facts);
      if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
        throw new WrongExpectedVersionError(streamId, context.expectedVersion, version);
      }
      events = decider.decide(command, state);
    } catch (error) {
      // A refusal is only as good as the state it judged: judge the stream as it is now.
      if (cached) return this.attempt(decider, streamId, entityId, build, context, false, false);
      const again = unsearched ? await this.searchEarlierAttempt(decider, streamId, context) : undefined;
      if (again) return { id: entityId, ...again };
      throw error;
    }
    if (events.length === 0) {
      // Nothing to append, so nothing checks the remembered version: answer with the stream's own.
      if (cached) return this.attempt(decider, streamId, entityId, build, context, false, false);
      const again = unsearched ? await this.searchEarlierAttempt(decider, streamId, context) : undefined;
      if (again) return { id: entityId, ...again };
      return { id: entityId, version, events, replayed: false };
    }
    const stored = await Promise.all(events.map((event, index) => this.codec.encode(streamId, event, this.metadata(streamId, index, context))));
    // A keyed command's answer goes with its first append that writes (a store that can writes it in
    // the same transaction: one round trip and one commit fewer).
    const slot = context.answer?.remembered === undefined ? context.answer : undefined;
    const answer = slot && { scope: slot.scope, key: slot.key, requestHash: slot.requestHash, status: slot.status, id: entityId };
    // An append that does not refuse a key already answered must not run for another request's key.
    if (keyed && context.verifyKey && !(answer && this.store.remembersAnswers === true)) await context.verifyKey();
    let result: AppendResult;
    try {
      const conditions = [...pinned].map(([pinnedStreamId, pinnedVersion]) => ({ streamId: pinnedStreamId, version: pinnedVersion }));
      result = await this.store.append(streamId, stored, version < 0 ? 'no_stream' : version, { ...(conditions.length ? { conditions } : {}), answer });
    } catch (error) {
      // A concurrent or earlier attempt of the same keyed command may have appended it: answer as it
      // did. On a store that refuses held ids, a version conflict needs no search of the whole
      // stream: the retry reads the tail, which holds whatever moved the stream, an attempt of this
      // key included — unless the client pinned the version (If-Match) and there is no retry.
      const searchOnConflict = searchFirst || context.expectedVersion !== undefined || !(error instanceof WrongExpectedVersionError) || error.streamId !== streamId;
      if (keyed && searchOnConflict && (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError)) {
        const again = await this.searchEarlierAttempt(decider, streamId, context);
        if (again) return { id: entityId, ...again };
      }
      throw error;
    }
    if (result.alreadyStored) {
      // These event ids were in the stream already: an attempt of this keyed command that this
      // process did not know of, decided at another instant. Answer with what is stored.
      const again = keyed ? await this.searchEarlierAttempt(decider, streamId, context) : undefined;
      if (again) return { id: entityId, ...again };
      // Not a keyed command's: its ids are unique (version 7, newEventId), so what is stored is this very append, retried.
      this.folded.forget(streamId);
      return { id: entityId, version: result.nextExpectedVersion, events, replayed: false };
    }
    if (keyed && searchFirst && context.idempotencyRequest !== undefined) {
      // EventStoreDB answers an append of event ids it holds, at the same expected version, as a
      // success (its own idempotence), whatever those events hold: a request sent at once with this
      // key and another body may have appended them. Whose they are, the stored events say (their tag).
      // (This request's own, or an identical copy's: answered as appended here.)
      this.earlierAttempt<E>(await this.store.readStream(streamId, { fromVersion: version + 1, maxCount: stored.length }), context);
    }
    if (slot && answer && result.answerRemembered) slot.remembered = { id: entityId, version: result.nextExpectedVersion, status: answer.status };
    if (result.nextExpectedVersion === version + events.length) {
      const sealed = this.sealedKeys(streamId, stored, keys);
      this.folded.remember(streamId, decider, { state: evolveMany(decider, state, events), version: result.nextExpectedVersion, checkedAt, keys: sealed, generation });
    }
    this.noteLength(streamId, result.nextExpectedVersion);
    return { id: entityId, version: result.nextExpectedVersion, events, replayed: false };
  }

  /** Reads the whole stream (folding it afresh) and returns the earlier attempt of this keyed command in it, if any. */
  private async searchEarlierAttempt<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    context: CommandContext,
  ): Promise<{ version: number; events: E[]; replayed: true } | undefined> {
    // Where the HTTP layer did not look the key up yet, one look-up of its stored answer tells what
    // this search would find (a command that remembers its answer does so with its events): an
    // answer stored for the key ends the command here (replayed, or 422), without reading the stream.
    if (context.verifyKey) await context.verifyKey();
    return this.earlierAttempt<E>((await this.read(decider, streamId, undefined, true)).events, context);
  }

  private metadata(streamId: string, index: number, context: CommandContext) {
    const key = context.idempotencyKey;
    return {
      eventId: key === undefined ? newEventId() : nameBasedId('event', context.actor.id, key, streamId, String(index)),
      actorId: context.actor.id,
      actorRole: context.actor.role,
      correlationId: context.correlationId,
      causationId: context.causationId,
      ...(key !== undefined ? { idempotencyKey: key, ...(context.idempotencyRequest !== undefined ? { idempotencyRequest: context.idempotencyRequest } : {}) } : {}),
    };
  }

  /** The events an earlier attempt of this keyed command appended to the stream, if any. */
  private earlierAttempt<E>(recorded: readonly RecordedEvent[], context: CommandContext): { version: number; events: E[]; replayed: true } | undefined {
    const key = context.idempotencyKey;
    if (key === undefined) return undefined;
    const mine = recorded.filter((event) => event.metadata.idempotencyKey === key && event.metadata.actorId === context.actor.id);
    if (mine.length === 0) return undefined;
    // The key's effect is another request's (sent at once with this key, or before it): not this one's to answer with.
    const tag = context.idempotencyRequest;
    if (tag !== undefined && mine.some((event) => event.metadata.idempotencyRequest !== undefined && event.metadata.idempotencyRequest !== tag)) {
      throw new IdempotencyKeyReused();
    }
    return { version: mine[mine.length - 1].streamVersion, events: mine.map((event) => ({ type: event.type, data: event.data }) as E), replayed: true };
  }

  /**
   * The stream folded to its current state. Live reads (no `upTo`) start from the state this process
   * folded recently (FoldedStates), reading and decoding only the events after it; failing that,
   * from the stream's decider snapshot (DeciderSnapshotOptions), if it has one that still opens;
   * `wholeStream` reads every event (a keyed command searches them for its earlier attempt).
   * `events` holds the decoded events read, so the whole stream only when `whole` (or `upTo`).
   */
  private async read<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    upTo?: Date,
    wholeStream = false,
  ): Promise<{ state: S; version: number; events: RecordedEvent[]; checkedAt: number; keys: readonly SealedKey[]; whole: boolean; generation: number }> {
    const live = !upTo && !wholeStream;
    const recalled = live ? await this.recallFolded<S>(streamId, decider) : undefined;
    const generation = recalled ? recalled.generation : this.folded.generation;
    const startedAt = Date.now();
    let snapshot: Awaited<ReturnType<typeof this.recallSnapshot<S>>>;
    let recorded: RecordedEvent[];
    if (live && !recalled && this.snapshotsOf(decider)) {
      // Only a stream of `every` events or more can have a snapshot. One this process knows to be
      // that long is looked up first, then read from its snapshot (or whole); any other has its
      // first page read, and is looked up only if that page is full: the short streams (most of
      // them) cost one round trip and no look-up, as without snapshots.
      const every = this.snapshots?.every ?? DEFAULT_SNAPSHOT_EVERY;
      const firstPage = this.longStreams.has(streamId) ? undefined : await this.store.readStream(streamId, { maxCount: every });
      if (firstPage !== undefined && firstPage.length < every) recorded = firstPage;
      else {
        const found = await this.recallSnapshot<S>(streamId, decider); // never rejects
        if (found) {
          // From the snapshot, its own last event too: the stream must still hold it (not a stream restored to before it).
          const fromSnapshot = await this.store.readStream(streamId, { fromVersion: found.version });
          if (fromSnapshot[0]?.streamVersion !== found.version || fromSnapshot[0].eventId !== found.lastEventId) {
            this.dropSnapshot(found.stored);
            return this.read(decider, streamId, undefined, true);
          }
          snapshot = found;
          recorded = fromSnapshot.slice(1);
        } else if (firstPage === undefined) recorded = await this.store.readStream(streamId);
        else recorded = firstPage.concat(await this.store.readStream(streamId, { fromVersion: firstPage[firstPage.length - 1].streamVersion + 1 }));
      }
    } else {
      recorded = await this.store.readStream(streamId, recalled ? { fromVersion: recalled.version + 1 } : undefined);
    }
    const known = recalled ?? snapshot;
    if (known && recorded.length > 0 && recorded[0].streamVersion !== known.version + 1) {
      return this.read(decider, streamId, undefined, true); // not the tail it asked for: never fold a gap
    }
    const visible = upTo ? recorded.filter((e) => e.recordedAt.getTime() <= upTo.getTime()) : recorded;
    const decoded = await Promise.all(visible.map((e) => this.codec.decode(e)));
    const domainEvents = decoded.map((e) => ({ type: e.type, data: e.data }) as E);
    const state = evolveMany(decider, known ? known.state : decider.initialState, domainEvents);
    const version = visible.length ? visible[visible.length - 1].streamVersion : known ? known.version : -1;
    const checkedAt = recalled ? recalled.checkedAt : startedAt;
    const keys = this.sealedKeys(streamId, visible, known?.keys ?? NO_KEYS);
    if (!upTo && version >= 0) {
      this.folded.remember(streamId, decider, { state, version, checkedAt, keys, generation });
      this.noteLength(streamId, version);
      if (visible.length >= (this.snapshots?.every ?? DEFAULT_SNAPSHOT_EVERY)) {
        this.snapshotLater(streamId, decider, { state, version, lastEventId: visible[visible.length - 1].eventId, keys, generation });
      }
    }
    return { state, version, events: decoded, checkedAt, keys, whole: !known, generation };
  }

  /**
   * Remembers a stream long enough to have a decider snapshot (its version reached `every` - 1), so
   * that its next cold read looks the snapshot up first (read), and forgets one seen shorter. At
   * most LONG_STREAMS_REMEMBERED, the least recently noted forgotten first: a forgotten one is read
   * a page first, as a short one is.
   */
  private noteLength(streamId: string, version: number): void {
    if (!this.snapshots) return;
    this.longStreams.delete(streamId);
    // Seen short (as a log restored to an earlier point may show it): read a first page again.
    if (version + 1 < (this.snapshots.every ?? DEFAULT_SNAPSHOT_EVERY)) return;
    this.longStreams.add(streamId);
    if (this.longStreams.size > LONG_STREAMS_REMEMBERED) this.longStreams.delete(this.longStreams.values().next().value as string);
  }

  /** Whether this decider's streams have snapshots (configured, and a codec that seals them). */
  private snapshotsOf(decider: unknown): boolean {
    return this.snapshots?.deciders.has(decider as object) === true && this.codec.openState !== undefined && this.codec.sealState !== undefined;
  }

  /**
   * The state stored by the stream's last decider snapshot, if it is of this decider's code and
   * every key it was sealed under is still live (asked of the key store). Any failure to read it
   * (the database, an altered row), or a look-up slower than SNAPSHOT_LOOKUP_MS (a busy pool), only
   * means the stream is read whole, as without snapshots. A row that can never open again (a key
   * erased, altered) is deleted.
   */
  private async recallSnapshot<S>(
    streamId: string,
    decider: unknown,
  ): Promise<{ state: S; version: number; lastEventId: string; keys: readonly SealedKey[]; stored: StoredDeciderSnapshot } | undefined> {
    const identity = this.snapshots?.deciders.get(decider as object);
    if (!identity || !this.codec.openState || !this.snapshots) return undefined;
    let stored: StoredDeciderSnapshot | undefined;
    try {
      stored = await withinMs(this.snapshots.store.find(streamId, identity.name), SNAPSHOT_LOOKUP_MS);
      if (!stored || stored.fingerprint !== identity.fingerprint) return undefined;
      const clear = await this.codec.openState(stored.keys, stored.sealed, snapshotBinding(streamId, identity, stored.version));
      if (!clear) {
        this.dropSnapshot(stored); // a key it was sealed under is erased: so is what it held, for good
        return undefined;
      }
      const { state, lastEventId } = JSON.parse(clear.toString('utf8')) as { state: S; lastEventId: string };
      return { state, version: stored.version, lastEventId, keys: stored.keys, stored };
    } catch (error) {
      if (error instanceof SnapshotLookupTimedOut) return undefined;
      this.snapshots.onError?.(`the decider snapshot of ${streamId} was not read (the stream is read whole): ${messageOf(error)}`);
      if (stored && error instanceof SealedStateAltered) this.dropSnapshot(stored);
      return undefined;
    }
  }

  /** Deletes a snapshot row that cannot serve (only that row: not one written since). Best effort. */
  private dropSnapshot(stored: StoredDeciderSnapshot): void {
    this.snapshots?.store.delete(stored).catch((error: unknown) => this.snapshots?.onError?.(`the decider snapshot of ${stored.streamId} was not deleted: ${messageOf(error)}`));
  }

  /**
   * Stores the state as the stream's decider snapshot, after the command that read it (never on its
   * way): sealed under the keys its personal data was decrypted with, and not at all if one of them
   * was erased meanwhile (the state may hold what it protected). Not again until the stream has
   * `every` more events (as far as this process knows). Queued (the latest state per stream, at most
   * SNAPSHOTS_PENDING streams, each for at most the folded states' maxAgeMs, as it holds decrypted
   * personal data; beyond either it is left to a later read) and written by at most
   * SNAPSHOT_WRITERS at once, so a burst of cold reads (a restart) does not flood the pool.
   */
  private snapshotLater(
    streamId: string,
    decider: unknown,
    folded: { state: unknown; version: number; lastEventId: string; keys: readonly SealedKey[]; generation: number },
  ): void {
    const identity = this.snapshots?.deciders.get(decider as object);
    const seal = this.codec.sealState?.bind(this.codec);
    if (!identity || !seal || !this.snapshots || this.closed) return;
    const every = this.snapshots.every ?? DEFAULT_SNAPSHOT_EVERY;
    const last = this.snapshotted.get(streamId);
    if (last !== undefined && folded.version - last < every) return;
    if (!this.pendingSnapshots.has(streamId) && this.pendingSnapshots.size >= SNAPSHOTS_PENDING) return;
    const { store, onError } = this.snapshots;
    const write = async () => {
      if (folded.generation !== this.folded.generation) return; // an erasure here dropped every state since it was read
      const clear = Buffer.from(JSON.stringify({ lastEventId: folded.lastEventId, state: folded.state }), 'utf8');
      const sealed = await seal(folded.keys, clear, snapshotBinding(streamId, identity, folded.version));
      if (!sealed) return;
      await store.save({ streamId, decider: identity.name, fingerprint: identity.fingerprint, version: folded.version, keys: folded.keys, sealed });
      this.snapshotted.delete(streamId);
      this.snapshotted.set(streamId, folded.version);
      if (this.snapshotted.size > SNAPSHOTTED_REMEMBERED) this.snapshotted.delete(this.snapshotted.keys().next().value as string);
    };
    this.pendingSnapshots.delete(streamId); // a later state of the stream replaces one still waiting
    this.pendingSnapshots.set(streamId, {
      queuedAt: Date.now(),
      write: () => write().catch((error: unknown) => onError?.(`the decider snapshot of ${streamId} was not stored: ${messageOf(error)}`)),
    });
    if (this.snapshotWriters < SNAPSHOT_WRITERS) {
      this.snapshotWriters += 1;
      setImmediate(() => void this.writeSnapshots());
    }
  }

  private async writeSnapshots(): Promise<void> {
    try {
      for (let next = this.pendingSnapshots.entries().next(); !next.done; next = this.pendingSnapshots.entries().next()) {
        const [streamId, { queuedAt, write }] = next.value;
        this.pendingSnapshots.delete(streamId);
        if (Date.now() - queuedAt < this.folded.maxAgeMs) await write();
      }
    } finally {
      this.snapshotWriters -= 1;
    }
  }

  /**
   * A state this process folded lately (FoldedStates). One that holds personal data and was last
   * checked `maxAgeMs` ago or more is used only once the keys it was decrypted with are found still
   * live (one look-up in the key store, whatever the stream's length); if one was erased it is
   * dropped, and the stream is read and decoded whole again.
   */
  private async recallFolded<S>(streamId: string, decider: unknown): Promise<FoldedState<S> | undefined> {
    const recalled = this.folded.recall<S>(streamId, decider);
    if (!recalled?.stale) return recalled?.folded;
    const checkedAt = Date.now();
    const live = this.codec.keysStillLive ? await this.codec.keysStillLive(recalled.folded.keys) : true;
    if (live) return this.folded.renew<S>(streamId, recalled.folded, checkedAt);
    this.folded.forget(streamId);
    return undefined;
  }

  /** `keys` and the keys the events' sealed fields were encrypted with, each pair once. */
  private sealedKeys(streamId: string, events: readonly { type: string; data: unknown }[], keys: readonly SealedKey[]): readonly SealedKey[] {
    const sealedWith = this.codec.sealedWith?.bind(this.codec);
    if (!sealedWith) return keys;
    let merged = keys;
    for (const event of events) {
      for (const key of sealedWith(streamId, event)) {
        if (merged.some((known) => known.subject === key.subject && known.keyId === key.keyId)) continue;
        merged = [...merged, key];
      }
    }
    return merged;
  }
}

const NO_KEYS: readonly SealedKey[] = [];

/** A read that folds at least this many events stores the state it reached as the stream's snapshot. */
const DEFAULT_SNAPSHOT_EVERY = 100;
/** Streams whose decider snapshot waits to be written, at most (more are left to a later read). */
const SNAPSHOTS_PENDING = 256;
/** Decider snapshots written at once, at most. */
const SNAPSHOT_WRITERS = 2;
/** Streams whose last snapshot version this process remembers (so as not to write one again too soon). */
const SNAPSHOTTED_REMEMBERED = 10_000;
/** Streams known to be long enough for a decider snapshot, at most (noteLength). */
const LONG_STREAMS_REMEMBERED = 20_000;
/** A snapshot look-up that takes longer (a busy or unreachable pool) is not waited for: the stream is read whole. */
const SNAPSHOT_LOOKUP_MS = 250;

class SnapshotLookupTimedOut extends Error {}

/** `promise`, or SnapshotLookupTimedOut after `ms` (the promise itself goes on, its answer unused). */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SnapshotLookupTimedOut()), ms);
    timer.unref();
  });
  promise.catch(() => undefined); // answered after the timeout: nobody waits for it any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What a sealed snapshot is of: it opens for no other stream, decider, code or version. */
const snapshotBinding = (streamId: string, identity: DeciderSnapshotIdentity, version: number) =>
  `decider-snapshot\u0000${streamId}\u0000${identity.name}\u0000${identity.fingerprint}\u0000${version}`;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Persisted decider snapshots (snapshots/decider-snapshots.ts): a stream not folded here lately is
 * read from its snapshot on instead of whole, so a cold command's cost does not grow with the
 * stream's length. Written after a read that folded `every` events or more; sealed with the
 * personal-data keys the state was decrypted with (EventCodec.sealState): erasing any of them
 * shreds the snapshot too, and the stream is then read whole again.
 */
export interface DeciderSnapshotOptions {
  store: DeciderSnapshotStore;
  /** The deciders that snapshot, by identity; others never do. */
  deciders: ReadonlyMap<object, DeciderSnapshotIdentity>;
  /** Default 100. */
  every?: number;
  /** A snapshot not read or not stored (the command goes on without it). The message holds no personal data. */
  onError?: (message: string) => void;
}

/** A stream folded to a version, with the personal-data keys its events were decrypted with. */
interface FoldedState<S> {
  state: S;
  version: number;
  /** When the stream was read whole, or the keys last found live: personal data in `state` is as of then. */
  checkedAt: number;
  keys: readonly SealedKey[];
  /**
   * The drop (FoldedStates.generation) it was read after. A state read before an erasure here
   * dropped every state may hold what the erasure shredded, decrypted while its key was live: it is
   * never remembered (a grant-funds fold begun before an erasure re-inserted the grant's state with a
   * document's name after it, and a download found the erased document: CI at 0dac305).
   */
  generation: number;
}

export interface FoldedStateOptions {
  /** Streams remembered at most (the least recently used go first); default 5,000. */
  maxEntries?: number;
  /**
   * How long a state's personal data is used before its keys are looked up again, and how long a
   * state nobody uses is kept; default 5 s, 0 turns the memory off.
   */
  maxAgeMs?: number;
  /** The draw that spreads the key look-ups over the second half of maxAgeMs (FoldedStates.checkAfterMs); default Math.random. */
  random?: () => number;
}

/**
 * The states this process folded lately, per stream, so that the next command on a hot stream reads
 * and decodes only the events appended since (its tail), not the whole stream again: a command's
 * cost does not grow with the stream's length. Always correct, because the log is append-only and
 * the append's expected version is the remembered state's: a command's first attempt decides on it
 * without reading at all, and if another process appended meanwhile (an erasure event included) the
 * store refuses the append and the retry reads the tail and decides again. A refusal or a no-op
 * decided on a remembered state is judged again on a read one, as nothing checked its version.
 *
 * A folded state may hold decrypted personal data (an organisation's contact person, a grant's
 * signatories), so it is used for at most `maxAgeMs` (5 s) after its keys were last known live —
 * the same bound as the codec's own memory of a data key (a key erased elsewhere may still decrypt
 * here for 5 s). Then (`stale`; for each state at a moment drawn in the second half of `maxAgeMs`,
 * so that states folded together do not all look their keys up together) the executor looks its
 * keys up once more: all still live, the state reads as a fresh read would and is used again; one
 * erased, it is dropped and the stream read whole again. (It used to be dropped every 5 s whatever
 * the keys: every hot stream was then read and decoded whole again every 5 s, a cost growing with
 * its length, and in step for all the streams first folded together.) A state with no personal
 * data needs no look-up. A state not used for `maxAgeMs` is dropped; an erasure this process knows
 * of drops every state at once.
 */
class FoldedStates {
  private readonly entries = new Map<string, { decider: unknown; folded: FoldedState<unknown>; usedAt: number; checkAfterMs: number }>();
  private readonly maxEntries: number;
  readonly maxAgeMs: number;
  private readonly random: () => number;
  private sweeper: NodeJS.Timeout | undefined;
  /** How many times every state was dropped (an erasure this process knows of): see FoldedState.generation. */
  generation = 0;

  constructor(options: FoldedStateOptions) {
    this.maxEntries = options.maxEntries ?? 5_000;
    this.maxAgeMs = options.maxAgeMs ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
  }

  forget(streamId: string): void {
    this.entries.delete(streamId);
  }

  /** The remembered state; `stale`: its personal data must be checked (its keys looked up) before use. */
  recall<S>(streamId: string, decider: unknown): { folded: FoldedState<S>; stale: boolean } | undefined {
    const entry = this.entries.get(streamId);
    if (!entry || entry.decider !== decider) return undefined;
    const now = Date.now();
    entry.usedAt = now;
    const folded = entry.folded as FoldedState<S>;
    if (now - folded.checkedAt < entry.checkAfterMs) return { folded, stale: false };
    if (folded.keys.length > 0) return { folded, stale: true };
    entry.folded = { ...folded, checkedAt: now }; // nothing personal to check
    entry.checkAfterMs = this.checkAfterMs();
    return { folded: entry.folded as FoldedState<S>, stale: false };
  }

  /** After its keys were found live at `checkedAt`: the state, if it is still the one remembered (not replaced, dropped or cleared meanwhile). */
  renew<S>(streamId: string, folded: FoldedState<S>, checkedAt: number): FoldedState<S> | undefined {
    const entry = this.entries.get(streamId);
    if (!entry || entry.folded !== folded) return undefined;
    entry.folded = { ...folded, checkedAt };
    entry.checkAfterMs = this.checkAfterMs();
    return entry.folded as FoldedState<S>;
  }

  remember(streamId: string, decider: unknown, folded: FoldedState<unknown>): void {
    const now = Date.now();
    if (this.maxAgeMs <= 0 || now - folded.checkedAt >= this.maxAgeMs) return;
    if (folded.generation !== this.generation) return; // read before the last drop
    const current = this.entries.get(streamId);
    // Concurrent commands may finish out of order: keep the later state of the same fold.
    if (current && current.decider === decider && current.folded.version > folded.version) return;
    this.entries.delete(streamId); // re-inserted last: the Map's order is the recency order
    this.entries.set(streamId, { decider, folded, usedAt: now, checkAfterMs: current?.checkAfterMs ?? this.checkAfterMs() });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.sweepLater();
  }

  /**
   * How long after its check a state is used before its keys are looked up again: between half of
   * maxAgeMs and maxAgeMs, drawn anew at each check. With a fixed maxAgeMs the states first folded
   * together (500 organisations under load, all read within a quarter of a second) looked their keys
   * up together again every maxAgeMs, an extra round trip for every request of that quarter second:
   * under `PATCH` load the latency's p99 rose every 5 s (measured 2026-12-06: p99 50–64 ms and
   * p99.9 116–120 ms from the fifth second on, against 46 ms and 71–75 ms drawn).
   */
  private checkAfterMs(): number {
    return this.maxAgeMs * (0.5 + 0.5 * this.random());
  }

  /**
   * States unused for maxAgeMs are dropped even if their stream is never used again (they may hold
   * personal data): a state's personal data is never used unchecked for longer than maxAgeMs, and
   * is not kept past twice that after its last check.
   */
  private sweepLater(): void {
    if (this.sweeper) return;
    this.sweeper = setTimeout(() => {
      this.sweeper = undefined;
      const now = Date.now();
      for (const [streamId, { usedAt }] of this.entries) if (now - usedAt >= this.maxAgeMs) this.entries.delete(streamId);
      if (this.entries.size > 0) this.sweepLater();
    }, this.maxAgeMs);
    this.sweeper.unref();
  }
}
