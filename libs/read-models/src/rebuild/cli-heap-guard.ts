/**
 * Imported first by scripts/projections-rebuild.ts, before anything heavy is loaded: unless this
 * Node already has a bounded old-space heap, re-runs the same command in a child Node with one
 * (REBUILD_HEAP_MB, default 160) and exits with its code. The rebuild's live data is a few batches;
 * without a bound V8 lets garbage pile up to hundreds of MB before collecting it.
 * Ctrl-C reaches the child too (same process group).
 */
import { spawnSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';

const heapMb = Number(process.env.REBUILD_HEAP_MB ?? 160);
const bounded = getHeapStatistics().heap_size_limit <= (heapMb + 128) * 1024 * 1024;
if (!bounded && heapMb > 0 && process.env.GRANT_LEDGER_REBUILD_CHILD !== '1') {
  const child = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMb}`, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GRANT_LEDGER_REBUILD_CHILD: '1' },
  });
  process.exit(child.status ?? 1);
}
