import { InProcessEsdbServer } from '../../libs/event-store/test/esdb/in-process-esdb-server';
import { startTestPostgres } from './postgres-server';

/** Starts one PostgreSQL for the whole run; each test file creates its own database in it. */
export default async function globalSetup(): Promise<void> {
  // EVENT_STORE=esdb: the API under test keeps its events in EventStoreDB — the in-process gRPC
  // test double unless a real server is named. Read models stay in PostgreSQL.
  if (process.env.EVENT_STORE === 'esdb' && !process.env.EVENTSTORE_CONNECTION_STRING) {
    const esdb = await InProcessEsdbServer.start();
    process.env.EVENTSTORE_CONNECTION_STRING = esdb.connectionString;
    (globalThis as { __GRANT_LEDGER_ESDB__?: { stop(): Promise<void> } }).__GRANT_LEDGER_ESDB__ = esdb;
  }
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
