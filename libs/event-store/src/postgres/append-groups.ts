/**
 * Group commit for single-event appends (issue 11). While `limit` appends are in flight, the ones
 * that arrive wait; as soon as one in flight ends, every waiting append (up to `maxGroup`, one per
 * stream) goes to PostgreSQL as one statement in one transaction: one round trip, one commit and one
 * WAL flush for the group instead of one each. An append that finds a free slot goes alone at once,
 * so a quiet system waits for nothing.
 *
 * A group is only a way of sending: each member either is appended exactly as it would have been
 * alone, or is handed back (`undefined`) and the caller appends it alone, with every check and
 * error of the single path. The group statement never waits for a lock and never fails for one
 * member (see the statement in postgres-event-store.ts), so handing back is the answer to anything
 * unusual: a version conflict, an event id already stored, a stream locked by a conditional append,
 * or the statement failing as a whole.
 */
export class AppendGroups<Item, Result> {
  private waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  private groupsSent = 0;
  private groupedAppends = 0;

  /**
   * `sendGroup` appends two or more items of distinct streams and returns, per item, its result or
   * `undefined` (not appended). `key` names an item's stream: two appends to one stream never share
   * a group (the second's expected version is the first's result).
   */
  constructor(
    private readonly sendGroup: (items: readonly Item[]) => Promise<(Result | undefined)[]>,
    private readonly key: (item: Item) => string,
    private readonly limit: number,
    private readonly maxGroup: number,
  ) {}

  /** Appends sent in groups so far, and the groups (a diagnostic: the mean group size). */
  get stats(): { groups: number; appends: number } {
    return { groups: this.groupsSent, appends: this.groupedAppends };
  }

  /**
   * Runs `alone` at once if a slot is free, else waits and joins the next group. Resolves with the
   * item's result, or `undefined` if its group did not append it (the caller then appends it alone).
   */
  async submit(item: Item, alone: () => Promise<Result>): Promise<Result | undefined> {
    if (this.inFlight < this.limit && this.waiting.length === 0) return this.occupy(alone());
    return new Promise<Result | undefined>((resolve, reject) => this.waiting.push({ item, alone, resolve, reject }));
  }

  /**
   * Holds a slot while `work` runs, at most SLOT_MAX_MS: an append alone may wait for its stream's
   * lock (a conditional append on it, a transaction left open), and a slot held that long would
   * hold back every other stream's appends behind it. After SLOT_MAX_MS the slot is given back and
   * the work goes on outside the count, as it would without group commit.
   */
  private occupy<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    let held = true;
    const free = (): void => {
      if (!held) return;
      held = false;
      this.release();
    };
    const bound = setTimeout(free, SLOT_MAX_MS);
    bound.unref();
    return work.finally(() => {
      clearTimeout(bound);
      free();
    });
  }

  private release(): void {
    this.inFlight--;
    while (this.inFlight < this.limit && this.waiting.length > 0) this.sendNext();
  }

  private sendNext(): void {
    const group: Waiting<Item, Result>[] = [];
    const rest: Waiting<Item, Result>[] = [];
    const streams = new Set<string>();
    // Members in arrival order; a second append to a stream already in the group waits for the next.
    for (const waiting of this.waiting) {
      const stream = this.key(waiting.item);
      if (group.length < this.maxGroup && !streams.has(stream)) {
        streams.add(stream);
        group.push(waiting);
      } else {
        rest.push(waiting);
      }
    }
    this.waiting = rest;
    if (group.length === 1) {
      // Alone after all: its own single path, in the slot.
      const [only] = group;
      this.occupy(only.alone()).then(only.resolve, only.reject);
      return;
    }
    this.groupsSent++;
    this.groupedAppends += group.length;
    this.occupy(this.sendGroup(group.map((waiting) => waiting.item))).then(
      (results) => group.forEach((waiting, index) => waiting.resolve(results[index])),
      () => group.forEach((waiting) => waiting.resolve(undefined)),
    );
  }
}

/** The longest an append (or a group) holds a slot; a commit takes a few milliseconds. */
const SLOT_MAX_MS = 100;

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly alone: () => Promise<Result>;
  readonly resolve: (result: Result | undefined) => void;
  readonly reject: (error: unknown) => void;
}
