/**
 * One verify run for `npm run bench:audit`, which starts this file with the Node options that
 * `npm run audit:verify` has in package.json (the flags between `node` and its file), so that the
 * figure is the command's: verifyAuditLog over DATABASE_URL as scripts/audit-verify.ts calls it,
 * with BENCH_VERIFY_THREADS reader threads (default one per core), or in one thread with
 * `--one-thread`; pages of BENCH_VERIFY_PAGE_SIZE events (default 5,000). Prints one JSON line:
 * the verdict and counts, the seconds of the check, and this process's CPU during it (µs).
 */
import { availableParallelism } from 'node:os';
import { eventStorePoolConfig, PostgresEventStore } from '@app/event-store/postgres';
import { poolAuditDb } from '@app/application/audit/audit-db';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { verifyAuditLog } from '@app/application/audit/verify';
import { Pool } from 'pg';

export interface BenchVerifyRun {
  ok: boolean;
  breakKind: string | undefined;
  eventsChecked: number;
  sealsChecked: number;
  readerThreads: number;
  seconds: number;
  cpuMicros: number;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const oneThread = process.argv.includes('--one-thread');
  const threads = Number(process.env.BENCH_VERIFY_THREADS ?? availableParallelism());
  const pool = new Pool({ ...eventStorePoolConfig(databaseUrl), max: 2 });
  const store = new PostgresEventStore({ pool });
  try {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const report = await verifyAuditLog({
      store,
      db: poolAuditDb(pool),
      key: auditVerificationKeyFromEnv(),
      pageSize: Number(process.env.BENCH_VERIFY_PAGE_SIZE ?? 5_000),
      ...(oneThread ? {} : { readers: { store: { kind: 'postgres' as const, databaseUrl }, threads } }),
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const run: BenchVerifyRun = {
      ok: report.ok,
      breakKind: report.firstBreak?.kind,
      eventsChecked: report.eventsChecked,
      sealsChecked: report.sealsChecked,
      readerThreads: report.readerThreads,
      seconds,
      cpuMicros: used.user + used.system,
    };
    console.log(JSON.stringify(run));
  } finally {
    await store.close();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
