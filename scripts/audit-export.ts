/**
 * Writes an audit bundle for external auditors: FILE (JSON Lines of the events exactly as stored —
 * personal data stays ciphertext) and FILE.manifest.json (hashes, stream heads, the seals covering
 * them, the public key). Check it offline with `node scripts/verify-bundle.js FILE`.
 *   npm run audit:export -- --stream <streamId> --out FILE [--database-url URL]
 *   npm run audit:export -- --call <callId> --out FILE     (the call, its proposals and grants)
 * The database: --database-url, else DATABASE_URL, else the embedded PostgreSQL of `npm start` when
 * its data directory exists here (scripts/cli-database.ts; anything else is refused).
 * Exit 0: written; 1: no events found (nothing written, a previous bundle at FILE left as it was);
 * 2: could not run (usage, database, an output path that cannot be written — refused before the log
 * is read). Each file goes to a temporary file beside it and is renamed into place when complete
 * (libs/application/src/audit/audit-export.ts), so a killed export leaves the previous bundle whole.
 */
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { eventStorePoolConfig, PostgresEventStore } from '@app/event-store/postgres';
import { poolAuditDb } from '@app/application/audit/audit-db';
import {
  BundleOutputError,
  checkBundleOutput,
  copyFileIntoPlace,
  exportAuditBundle,
  type ExportTarget,
  manifestPathOf,
} from '@app/application/audit/audit-export';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { Pool } from 'pg';
import { openCliDatabase, takeDatabaseUrlFlag } from './cli-database';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USAGE = 'Usage: audit:export -- (--stream <streamId> | --call <callId>) --out FILE [--database-url URL]';

/** `1 stream`, `2 streams`. */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

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
  const out = values.out;
  // The bundle travels with its own verifier: plain Node, no project dependencies.
  const verifier = join(dirname(resolve(out)), 'verify-bundle.js');
  // Before any database is opened or the log read: a path that cannot take the bundle is refused.
  await checkBundleOutput(out, [verifier]);
  const key = auditVerificationKeyFromEnv();
  const database = await openCliDatabase({ databaseUrl, log: (message) => console.error(message) });
  console.error(`audit:export: ${database.description}`);
  const pool = new Pool({ ...eventStorePoolConfig(database.url), max: 2 });
  pool.on('error', () => undefined);
  const store = new PostgresEventStore({ pool });
  try {
    // An export that finds no events writes nothing (no empty bundle; a previous one stays as it was).
    const manifest = await exportAuditBundle({ store, db: poolAuditDb(pool), key, target, outFile: out, now: new Date(), writeWhenEmpty: false });
    if (manifest.events.count === 0) {
      console.error(`No events found for ${JSON.stringify(target)}: nothing written`);
      return 1;
    }
    await copyFileIntoPlace(join(__dirname, 'verify-bundle.js'), verifier);
    console.error(
      `wrote ${out} (${counted(manifest.events.count, 'event')}, ${counted(manifest.streams.length, 'stream')}, ${manifest.unsealedEvents} unsealed), ${manifestPathOf(out)} and ${verifier}; check it offline with: node ${verifier} ${out}`,
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
    // One line, no stack: an unwritable output path says which and why; anything else what failed.
    if (error instanceof BundleOutputError) console.error(`audit:export: ${error.message}`);
    else console.error(`audit:export failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
