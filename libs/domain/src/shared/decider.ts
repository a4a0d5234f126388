/**
 * The shape every stream's business rules take: pure functions, no I/O, no clock, no ids.
 * Time and generated ids arrive inside commands; lookups of other streams arrive as
 * explicit inputs on the command (e.g. the call's rules when drafting a proposal).
 */
export interface Decider<Command, Event, State> {
  /**
   * A state is plain data that reads the same after `JSON.stringify` and `JSON.parse`: a stream's
   * decider snapshot stores it so (the application's snapshots/), and `given` in testing.ts checks
   * every decider spec's scenarios from such a snapshot too. No Map, Set, Date or class instance in it.
   */
  initialState: State;
  evolve(state: State, event: Event): State;
  /**
   * Optional: what `events.reduce(evolve, state)` returns, faster for many events. It may build on
   * structures it changes in place, as no state between the first and the last is ever seen; it
   * leaves `state` as it was. evolveMany(decider, …) uses it when there is one.
   */
  evolveAll?(state: State, events: readonly Event[]): State;
  /** Returns the events to append, or throws a DomainError subclass. */
  decide(command: Command, state: State): Event[];
}

/** `events.reduce(decider.evolve, state)`, through the decider's evolveAll when it has one. */
export function evolveMany<Event, State>(decider: Pick<Decider<unknown, Event, State>, 'evolve' | 'evolveAll'>, state: State, events: readonly Event[]): State {
  return decider.evolveAll ? decider.evolveAll(state, events) : events.reduce(decider.evolve, state);
}

/** Fold a stream's events into state. */
export function fold<Event, State>(decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve' | 'evolveAll'>, events: readonly Event[]): State {
  return evolveMany(decider, decider.initialState, events);
}

/** Exhaustiveness guard for switches over discriminated unions. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}

/** A broken business rule: the command is understood but not allowed (HTTP 422). */
export class DomainRuleViolation extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command does not fit the stream's current state, e.g. publishing twice (HTTP 409). */
export class InvalidStateTransition extends Error {
  constructor(
    readonly currentStatus: string,
    readonly attempted: string,
  ) {
    super(`Cannot ${attempted} while ${currentStatus}`);
    this.name = new.target.name;
  }
}

/** The stream the command addresses does not exist (HTTP 404). */
export class StreamNotFound extends Error {
  constructor(readonly streamId: string) {
    super(`${streamId} not found`);
    this.name = new.target.name;
  }
}

/** Creating something that already exists (HTTP 409). */
export class AlreadyExists extends Error {
  constructor(readonly streamId: string) {
    super(`${streamId} already exists`);
    this.name = new.target.name;
  }
}
