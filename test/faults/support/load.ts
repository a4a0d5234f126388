/**
 * Closed-loop load: `concurrency` loops, each sending its next command as soon as the previous one
 * answered, bounded both in count and in time.
 */
export interface LoadResult {
  started: number;
  finished: number;
  ms: number;
  /** True when the time bound stopped the load before `total` commands were sent. */
  timedOut: boolean;
}

export async function runLoad(options: {
  concurrency: number;
  total: number;
  maxMs: number;
  task: (index: number) => Promise<void>;
  /** Stops the load early (e.g. a fault phase is over). */
  stop?: () => boolean;
}): Promise<LoadResult> {
  const started = Date.now();
  const deadline = started + options.maxMs;
  let next = 0;
  let finished = 0;
  let timedOut = false;
  const loops = Array.from({ length: options.concurrency }, async () => {
    for (;;) {
      if (next >= options.total || options.stop?.()) return;
      if (Date.now() >= deadline) {
        timedOut = true;
        return;
      }
      const index = next++;
      await options.task(index);
      finished += 1;
    }
  });
  await Promise.all(loops);
  return { started: next, finished, ms: Date.now() - started, timedOut };
}
