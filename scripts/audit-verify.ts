/**
 * Recomputes every stream hash chain and every signed seal of the global log and prints the report
 * that GET /audit/verify gives (JSON on stdout). Exit 0: intact; 1: broken (firstBreak names the
 * first broken link); 2: could not run.
 *   npm run audit:verify [-- --database-url URL]
 * The database: --database-url, else DATABASE_URL, else the embedded PostgreSQL of `npm start` when
 * its data directory exists here (scripts/cli-database.ts; anything else is refused). The public
 * key: AUDIT_PUBLIC_KEY or AUDIT_SIGNING_KEY (else the DEV-ONLY key). The log is read and hashed
 * in worker threads, one per core (verify.ts's `readers`; the report's readerThreads says how many).
 */
import { availableParallelism } from 'node:os';
import { eventStorePoolConfig, PostgresEventStore } from '@app/event-store/postgres';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { poolAuditDb } from '@app/application/audit/audit-db';
import { verifyAuditLog } from '@app/application/audit/verify';
import { Pool } from 'pg';
import { openCliDatabase, takeDatabaseUrlFlag } from './cli-database';

const USAGE = 'Usage: audit:verify [-- --database-url URL]';

async function main(): Promise<number> {
  const { databaseUrl, rest } = takeDatabaseUrlFlag(process.argv.slice(2));
  if (rest.length > 0) {
    console.error(`Unknown argument ${rest[0]}\n${USAGE}`);
    return 2;
  }
  const key = auditVerificationKeyFromEnv();
  const database = await openCliDatabase({ databaseUrl, log: (message) => console.error(message) });
  console.error(`audit:verify: ${database.description}`);
  const pool = new Pool({ ...eventStorePoolConfig(database.url), max: 2 });
  pool.on('error', () => undefined);
  const store = new PostgresEventStore({ pool });
  try {
    const started = Date.now();
    // Read and hashed in worker threads, one per core, each with its own connection (verify.ts
    // reads in this thread anyway for a log with too few seals to cut into slices).
    const readers = availableParallelism() > 1 ? { readers: { store: { kind: 'postgres' as const, databaseUrl: database.url } } } : {};
    const report = await verifyAuditLog({ store, db: poolAuditDb(pool), key, ...readers });
    console.log(JSON.stringify(report, null, 2));
    const seconds = (Date.now() - started) / 1000;
    console.error(
      report.ok
        ? `audit:verify OK — ${report.eventsChecked} events in ${report.streamsChecked} streams, ${report.sealsChecked} seals, ${report.unsealedEvents} unsealed (${seconds.toFixed(1)} s${report.readerThreads > 0 ? `, ${report.readerThreads} reader threads` : ''})`
        : `audit:verify BROKEN — ${report.firstBreak?.kind} at stream ${report.firstBreak?.streamId ?? '-'} version ${report.firstBreak?.streamVersion ?? '-'} position ${report.firstBreak?.position ?? '-'}: ${report.firstBreak?.detail}`,
    );
    if (report.heldBackEvents) {
      console.error(
        `note: ${report.heldBackEvents} newer events were not checked yet: they sit behind a transaction that was still open when the check read the log's head ` +
          '(an append in flight, while the ledger takes writes: verify again; only if this number stays put, look for a long transaction in pg_stat_activity)',
      );
    }
    if (report.devKey) console.error('note: seals were checked against the public DEV-ONLY key (AUDIT_SIGNING_KEY / AUDIT_PUBLIC_KEY unset)');
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
    await pool.end();
    await database.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`audit:verify could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
