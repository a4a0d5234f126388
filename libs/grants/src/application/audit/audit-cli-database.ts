import { Client } from 'pg';
import { loadConfig } from '@app/platform/config/app-config';
import { startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';

/**
 * The database the audit scripts read: DATABASE_URL, else the embedded PostgreSQL under DATA_DIR
 * that `npm start` uses — reached where it already runs (the API is up), started otherwise.
 */
export async function openAuditCliDatabase(log: (message: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const config = loadConfig();
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  // Same user, password and database as libs/platform/src/database/embedded-postgres.ts.
  const runningUrl = `postgres://grant_ledger:grant_ledger_local@127.0.0.1:${config.embeddedPostgresPort}/grant_ledger`;
  const probe = new Client({ connectionString: runningUrl, connectionTimeoutMillis: 1000 });
  try {
    await probe.connect();
    await probe.end();
    return { url: runningUrl, stop: async () => undefined };
  } catch {
    await probe.end().catch(() => undefined);
  }
  const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, log);
  return embedded;
}
