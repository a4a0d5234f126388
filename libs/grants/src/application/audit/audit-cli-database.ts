import { Client } from 'pg';
import { loadConfig } from '@app/platform/config/app-config';
import { embeddedDatabaseUrl, startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';
import { dataSourceOptions } from '@app/read-models/data-source-options';
import { DataSource } from 'typeorm';

/**
 * The database the audit scripts read: DATABASE_URL, else the embedded PostgreSQL under DATA_DIR
 * that `npm start` uses — reached where it already runs (the API is up), started otherwise.
 */
export async function openAuditCliDatabase(log: (message: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const database = await locateDatabase(log);
  // A fresh data directory has no tables yet: apply the migrations, as the server would.
  const dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
  await dataSource.destroy();
  return database;
}

async function locateDatabase(log: (message: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const config = loadConfig();
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  const runningUrl = embeddedDatabaseUrl(config.embeddedPostgresPort);
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
