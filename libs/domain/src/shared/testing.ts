import { AssertionError, deepStrictEqual } from 'node:assert';
import { Decider, fold } from './decider';

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
 */
export function given<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[] = []) {
  const state = (): State => fold(decider, events);
  return {
    /** Asserts the state that folding the given events produces. */
    thenState(expected: State): void {
      deepStrictEqual(state(), expected);
    },
    when(command: Command) {
      return {
        /** Asserts the exact events `decide` returns (pass `[]` for "nothing happens"). */
        then(expected: readonly Event[]): void {
          deepStrictEqual(decider.decide(command, state()), expected);
        },
        /** Asserts `decide` throws an instance of `errorClass`, and returns the error for further checks. */
        thenThrows<E extends Error>(errorClass: abstract new (...args: never[]) => E): E {
          const current = state();
          let produced: Event[];
          try {
            produced = decider.decide(command, current);
          } catch (error) {
            if (error instanceof errorClass) return error;
            throw new AssertionError({
              message: `Expected ${errorClass.name} but ${describeError(error)} was thrown`,
              actual: error,
              expected: errorClass,
            });
          }
          throw new AssertionError({
            message: `Expected ${errorClass.name} but decide returned ${JSON.stringify(produced)}`,
            actual: produced,
            expected: errorClass,
          });
        },
      };
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error);
}
