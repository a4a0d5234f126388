/**
 * Rebuilds read models from the log, checks them against the live ones, and optionally swaps them in.
 *
 *   npm run projections:rebuild [-- --projection <name> ...] [--swap] [--batch-size 2000]
 *                                  [--restart] [--lock-timeout 10000] [--wait-for-live 10000] [--json]
 *                                  [--database-url URL]
 *
 * Each projection is rebuilt into the schema `rebuild_<name>` while the live tables stay in
 * service; the rebuild is resumable (run the same command again after a crash) and runs only the
 * projections of the read-model registry — never process managers or webhook delivery. Then every
 * rebuilt table is compared with its live twin at the same log position (waiting up to
 * --wait-for-live ms for a live projection behind the rebuild; not compared if it stays behind),
 * and the differences are listed (table, key, columns; never values, which may be personal data;
 * the first 50 per table, then how many more). Without --swap nothing
 * live changes. With --swap the rebuilt tables and checkpoint replace the live ones in one
 * transaction, under the projection's advisory lock (stop the workers first).
 *
 * Database: --database-url URL, else DATABASE_URL, else the embedded PostgreSQL of `npm start` when its
 * data directory exists here (connected to if running, started for the duration otherwise; see
 * scripts/cli-database.ts — anything else is refused). Exit code: 0 all equal (or
 * swapped), 1 differences found or not comparable, 2 error. Memory: the heap is bounded to
 * REBUILD_HEAP_MB (default 160; see rebuild/cli-heap-guard.ts).
 */
// First: may re-run this command with a bounded heap before anything heavy loads.
import '@app/read-models/rebuild/cli-heap-guard';
import 'reflect-metadata';
import { PostgresEventStore } from '@app/event-store';
import { schemaRegistry } from '@app/application/event-store.module';
import { EncryptingEventCodec, personalDataPolicy } from '@app/application/personal-data';
import { PersonalDataKeyring, PostgresPersonalDataKeyStore } from '@app/personal-data';
import { loadConfig } from '@app/platform/config/app-config';
import { databaseOptions } from '@app/application/database-options';
import { countEventsOf, LockUnavailableError, ProgressBar, ProjectionRebuild, previousSchemaOf, selectProjections, type ConsistencyReport } from '@app/read-models/rebuild';
import { DataSource } from 'typeorm';
import { openCliDatabase, takeDatabaseUrlFlag } from './cli-database';

interface Args {
  projections: string[];
  swap: boolean;
  restart: boolean;
  batchSize: number;
  lockTimeoutMs: number;
  waitForLiveMs: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { projections: [], swap: false, restart: false, batchSize: 2_000, lockTimeoutMs: 10_000, waitForLiveMs: 10_000, json: false };
  const number = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--projection': {
        const name = argv[++i];
        if (!name) throw new Error('--projection needs a name');
        args.projections.push(name);
        break;
      }
      case '--swap': args.swap = true; break;
      case '--restart': args.restart = true; break;
      case '--json': args.json = true; break;
      case '--batch-size': args.batchSize = Math.max(1, number(flag, argv[++i])); break;
      case '--lock-timeout': args.lockTimeoutMs = number(flag, argv[++i]); break;
      case '--wait-for-live': args.waitForLiveMs = number(flag, argv[++i]); break;
      default: throw new Error(`Unknown option ${flag}`);
    }
  }
  return args;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** How many differing rows are listed per table; the counts above the list stay exact. */
const LISTED_DIFFERENCES_PER_TABLE = 50;

function describe(report: ConsistencyReport): string[] {
  if (!report.aligned) return [`  not compared: ${report.reason}`];
  const lines = report.tables.map((t) => `  ${t.table}: live ${t.liveRows} rows, rebuilt ${t.rebuiltRows} rows, ${t.differences.length} differing`);
  for (const table of report.tables) {
    for (const d of table.differences.slice(0, LISTED_DIFFERENCES_PER_TABLE)) {
      lines.push(`    ${d.table} ${JSON.stringify(d.key)} ${d.kind}${d.kind === 'different' ? `: ${d.columns.join(', ')}` : ''}`);
    }
    const unlisted = table.differences.length - LISTED_DIFFERENCES_PER_TABLE;
    if (unlisted > 0) lines.push(`    ${table.table}: … and ${unlisted} more`);
  }
  return lines;
}

async function main(): Promise<number> {
  const { databaseUrl, rest } = takeDatabaseUrlFlag(process.argv.slice(2));
  const args = parseArgs(rest);
  const projections = selectProjections(args.projections);
  const database = await openCliDatabase({ databaseUrl, log: say });
  say(`projections:rebuild: ${database.description}`);
  const dataSource = await new DataSource(databaseOptions(database.url)).initialize();
  const store = new PostgresEventStore({ connectionString: database.url, poolSize: 8 });
  const keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(database.url), Buffer.from(loadConfig().piiMasterKey ?? '', 'base64'), {
    cacheMaxEntries: 10_000,
  });
  const codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
  const summary: Record<string, unknown>[] = [];
  const totals = { events: 0, seconds: 0, cpuSeconds: 0 };
  let exitCode = 0;
  try {
    // The projections are rebuilt concurrently: while one waits for PostgreSQL, another folds in Node.
    const bar = new ProgressBar(projections.length === 1 ? projections[0].name : 'rebuild');
    const progress = new Map<string, { done: number; total: number | null }>();
    const draw = () => {
      const all = [...progress.values()];
      const counted = all.length === projections.length && all.every((p) => p.total !== null);
      bar.update(all.reduce((sum, p) => sum + p.done, 0), counted ? all.reduce((sum, p) => sum + (p.total ?? 0), 0) : null);
    };
    // The progress bars' totals: one scan of the log for all of them, while the rebuilds start.
    let counts: Promise<number[]> | undefined;
    const countsOf = () => (counts ??= countEventsOf(dataSource, projections.map((projection) => projection.filter)));
    const rebuilds = projections.map(
      (projection, i) =>
        new ProjectionRebuild({
          countEvents: () => countsOf().then((all) => all[i]),
          dataSource,
          store,
          projection,
          codec,
          batchSize: args.batchSize,
          onProgress: (p) => {
            progress.set(p.projection, { done: p.done, total: p.total });
            draw();
          },
        }),
    );
    for (const rebuild of rebuilds) {
      if (args.restart) await rebuild.discard();
      const pending = await rebuild.pending();
      if (pending) say(`${rebuild.name}: continuing the rebuild in schema ${rebuild.schema} from event ${pending.eventsApplied}`);
    }
    const startedAt = process.hrtime.bigint();
    const cpuAtStart = process.cpuUsage();
    const runs = await Promise.all(
      rebuilds.map(async (rebuild) => {
        const run = await rebuild.run();
        return { run, seconds: Number(process.hrtime.bigint() - startedAt) / 1e9 };
      }),
    );
    const totalSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const cpu = process.cpuUsage(cpuAtStart);
    const totalEvents = runs.reduce((sum, { run }) => sum + run.eventsApplied - run.resumedAt, 0);
    bar.finish(
      runs.reduce((sum, { run }) => sum + run.eventsApplied, 0),
      runs.reduce((sum, { run }) => sum + run.eventsApplied, 0),
    );
    say(`rebuilt ${totalEvents} events in ${totalSeconds.toFixed(1)} s (${Math.round(totalEvents / Math.max(totalSeconds, 1e-9))} events/s)`);

    for (const [i, rebuild] of rebuilds.entries()) {
      const { run, seconds } = runs[i];
      const appliedNow = run.eventsApplied - run.resumedAt;
      say(`${rebuild.name}: ${run.eventsApplied} events in ${rebuild.schema} (${appliedNow} this run, done after ${seconds.toFixed(1)} s)`);
      const report = await rebuild.check(args.waitForLiveMs);
      for (const line of describe(report)) say(line);
      const differences = report.aligned ? report.differences : 0;
      if (report.aligned && differences === 0) say(`  ${rebuild.name}: the rebuilt tables equal the live ones`);
      let swapped = false;
      if (args.swap) {
        try {
          await rebuild.swap(args.lockTimeoutMs);
          swapped = true;
          say(`  ${rebuild.name}: swapped in; the replaced tables are kept in schema ${previousSchemaOf(rebuild.name)} until the next swap`);
        } catch (error) {
          if (!(error instanceof LockUnavailableError)) throw error;
          say(`  ${rebuild.name}: NOT swapped: ${error.message}`);
          exitCode = 1;
        }
      } else {
        say(`  ${rebuild.name}: check only, nothing live changed (run with --swap to put the rebuild live; the rebuild stays in ${rebuild.schema})`);
      }
      if (differences > 0 || (!report.aligned && !swapped)) exitCode = 1;
      summary.push({ projection: rebuild.name, events: run.eventsApplied, eventsThisRun: appliedNow, seconds, aligned: report.aligned, differences, swapped });
    }
    totals.events = totalEvents;
    totals.seconds = totalSeconds;
    totals.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  } finally {
    await store.close();
    await keyring.close();
    await dataSource.destroy();
    await database.stop();
  }
  if (args.json) process.stdout.write(`${JSON.stringify({ projections: summary, ...totals, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`projections:rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
