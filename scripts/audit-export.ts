/**
 * Writes an audit bundle for external auditors: FILE (JSON Lines of the events exactly as stored —
 * personal data stays ciphertext) and FILE.manifest.json (hashes, stream heads, the seals covering
 * them, the public key). Check it offline with `node scripts/verify-bundle.js FILE`.
 *   npm run audit:export -- --stream <streamId> --out FILE [--database-url URL]
 *   npm run audit:export -- --call <callId> --out FILE     (the call, its proposals and grants)
 * The database: --database-url, else DATABASE_URL, else the embedded PostgreSQL of `npm start` when
 * its data directory exists here (scripts/cli-database.ts; anything else is refused).
 */
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { eventStorePoolConfig, PostgresEventStore } from '@app/event-store/postgres';
import { poolAuditDb } from '@app/application/audit/audit-db';
import { exportAuditBundle, type ExportTarget, manifestPathOf } from '@app/application/audit/audit-export';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { Pool } from 'pg';
import { openCliDatabase, takeDatabaseUrlFlag } from './cli-database';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USAGE = 'Usage: audit:export -- (--stream <streamId> | --call <callId>) --out FILE [--database-url URL]';

async function main(): Promise<number> {
  let values: { stream?: string; call?: string; out?: string };
  let databaseUrl: string | undefined;
  try {
    const flag = takeDatabaseUrlFlag(process.argv.slice(2));
    databaseUrl = flag.databaseUrl;
    ({ values } = parseArgs({ args: flag.rest, options: { stream: { type: 'string' }, call: { type: 'string' }, out: { type: 'string' } }, strict: true }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.out || Boolean(values.stream) === Boolean(values.call)) {
    console.error(USAGE);
    return 2;
  }
  if (values.call !== undefined && !UUID.test(values.call)) {
    console.error(`--call takes a call's id (a UUID), got ${JSON.stringify(values.call)}\n${USAGE}`);
    return 2;
  }
  const target: ExportTarget = values.stream ? { stream: values.stream } : { call: values.call! };
  const key = auditVerificationKeyFromEnv();
  const database = await openCliDatabase({ databaseUrl, log: (message) => console.error(message) });
  console.error(`audit:export: ${database.description}`);
  const pool = new Pool({ ...eventStorePoolConfig(database.url), max: 2 });
  pool.on('error', () => undefined);
  const store = new PostgresEventStore({ pool });
  try {
    const manifest = await exportAuditBundle({ store, db: poolAuditDb(pool), key, target, outFile: values.out, now: new Date() });
    if (manifest.events.count === 0) {
      // Nothing to give an auditor: no empty bundle left behind that a verifier would pass.
      rmSync(values.out, { force: true });
      rmSync(manifestPathOf(values.out), { force: true });
      console.error(`No events found for ${JSON.stringify(target)}: nothing written`);
      return 1;
    }
    // The bundle travels with its own verifier: plain Node, no project dependencies.
    const verifier = join(dirname(resolve(values.out)), 'verify-bundle.js');
    copyFileSync(join(__dirname, 'verify-bundle.js'), verifier);
    console.error(
      `wrote ${values.out} (${manifest.events.count} events, ${manifest.streams.length} streams, ${manifest.unsealedEvents} unsealed), ${manifestPathOf(values.out)} and ${verifier}; check it offline with: node ${verifier} ${values.out}`,
    );
    return 0;
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
    console.error(`audit:export failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
