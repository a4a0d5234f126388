import { startTestPostgres } from './postgres-server';

/** Starts one PostgreSQL for the whole run; each test file creates its own database in it. */
export default async function globalSetup(): Promise<void> {
  // EVENT_STORE=esdb: the API under test keeps its events in EventStoreDB (read models stay in
  // PostgreSQL). Unless a real server is named, each test app starts an in-process gRPC double of
  // its own (test/support/app.ts), so no two apps share a log.
  if (process.env.TEST_DATABASE_URL) return; // an explicitly provided server (e.g. a developer's own)
  const pg = await startTestPostgres();
  process.env.TEST_DATABASE_URL = pg.url;
  const stopOnExit = () => pg.stop();
  process.once('exit', stopOnExit);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      pg.stop();
      process.exit(130);
    });
  }
  (globalThis as { __GRANT_LEDGER_PG__?: { stop(): void } }).__GRANT_LEDGER_PG__ = pg;
}
