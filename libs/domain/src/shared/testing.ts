import { AssertionError, deepStrictEqual } from 'node:assert';
import { Decider, evolveMany, fold } from './decider';

/**
 * Given / when / then for decider specs, independent of the test runner (plain node:assert, so it
 * type-checks in the build too):
 *
 *   given(callDecider, [drafted]).when(publish).then([published]);
 *   given(callDecider, [drafted, published]).when(publish).thenThrows(InvalidStateTransition);
 *   given(callDecider, [drafted, published]).thenState({ ...expectedState });
 *
 * Events are compared with deep STRICT equality: an event carrying `reason: undefined` differs from
 * one without the key, which is what the log would store after JSON serialisation anyway.
 * Note: `when(...)` returns an object with a `then` method, i.e. a thenable; do not `await` it.
 *
 * Every assertion also holds from a snapshot (Decider: a state read back from JSON): for each of
 * the given events, the state after it is written as JSON and read back, the events after it are
 * folded on that, and the result must decide the same (`then`, `thenThrows`) and read as the same
 * JSON (`thenState`). So every decider spec checks that its states survive a decider snapshot.
 */
export function given<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[] = []) {
  const state = (): State => fold(decider, events);
  /** The state, folded on from a snapshot taken after each event in turn (and of the initial state). */
  const fromSnapshots = (): { after: number; state: State }[] =>
    events.map((_, index) => index).concat(events.length === 0 ? [] : [events.length]).map((after) => ({
      after,
      state: evolveMany(decider, throughJson(fold(decider, events.slice(0, after))), events.slice(after)),
    }));
  const fromSnapshot = (after: number) => `(from a snapshot after ${after} of the ${events.length} given events)`;
  return {
    /** Asserts the state that folding the given events produces. */
    thenState(expected: State): void {
      deepStrictEqual(state(), expected);
      for (const restored of fromSnapshots()) deepStrictEqual(throughJson(restored.state), throughJson(expected), fromSnapshot(restored.after));
    },
    when(command: Command) {
      return {
        /** Asserts the exact events `decide` returns (pass `[]` for "nothing happens"). */
        then(expected: readonly Event[]): void {
          deepStrictEqual(decider.decide(command, state()), expected);
          for (const restored of fromSnapshots()) deepStrictEqual(decider.decide(command, restored.state), expected, fromSnapshot(restored.after));
        },
        /** Asserts `decide` throws an instance of `errorClass`, and returns the error for further checks. */
        thenThrows<E extends Error>(errorClass: abstract new (...args: never[]) => E): E {
          const error = throwsFrom(decider, command, state(), errorClass, '');
          for (const restored of fromSnapshots()) throwsFrom(decider, command, restored.state, errorClass, ` ${fromSnapshot(restored.after)}`);
          return error;
        },
      };
    },
  };
}

/** A state as a decider snapshot stores and reads it back. */
function throughJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function throwsFrom<Command, Event, State, E extends Error>(
  decider: Decider<Command, Event, State>,
  command: Command,
  current: State,
  errorClass: abstract new (...args: never[]) => E,
  where: string,
): E {
  let produced: Event[];
  try {
    produced = decider.decide(command, current);
  } catch (error) {
    if (error instanceof errorClass) return error;
    throw new AssertionError({
      message: `Expected ${errorClass.name} but ${describeError(error)} was thrown${where}`,
      actual: error,
      expected: errorClass,
    });
  }
  throw new AssertionError({
    message: `Expected ${errorClass.name} but decide returned ${JSON.stringify(produced)}${where}`,
    actual: produced,
    expected: errorClass,
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error);
}
