import { WrongExpectedVersionError } from '@app/event-store';
import { ConflictRetriesExhausted, retryOnConflict } from './retry-on-conflict';

const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
const conflict = () => new WrongExpectedVersionError('call-1', 3, 4);

describe('retryOnConflict', () => {
  it('runs the step again after a version conflict, until it succeeds', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retryOnConflict(
      async () => {
        calls += 1;
        if (calls < 3) throw conflict();
        return 'appended';
      },
      { ...fast, onRetry: (attempt) => retries.push(attempt) },
    );
    expect(result).toBe('appended');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after the bounded number of attempts, saying so, with the last conflict', async () => {
    let calls = 0;
    const failing = retryOnConflict(async () => {
      calls += 1;
      throw new WrongExpectedVersionError('call-1', calls, calls + 1);
    }, fast);
    const error = (await failing.catch((caught: unknown) => caught)) as ConflictRetriesExhausted;
    expect(error).toBeInstanceOf(ConflictRetriesExhausted);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect({ attempts: error.attempts, streamId: error.streamId, expected: error.expected, actual: error.actual }).toEqual({ attempts: 4, streamId: 'call-1', expected: 4, actual: 5 });
    expect(calls).toBe(4);
  });

  it('throws a conflict it may not retry as it is (a version the client pinned)', async () => {
    let calls = 0;
    const pinned = conflict();
    const failing = retryOnConflict(async () => {
      calls += 1;
      throw pinned;
    }, { ...fast, retryable: () => false });
    await expect(failing).rejects.toBe(pinned);
    expect(calls).toBe(1);
  });

  it('never retries any other error: a refused rule stays refused', async () => {
    let calls = 0;
    const refused = retryOnConflict(async () => {
      calls += 1;
      throw new Error('BudgetExceeded');
    }, fast);
    await expect(refused).rejects.toThrow('BudgetExceeded');
    expect(calls).toBe(1);
  });
});
