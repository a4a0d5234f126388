import type { EventStore } from './event-store.port';
import { EsdbEventStore } from './esdb';
import { PostgresEventStore } from './postgres';

export interface EventStoreSelection {
  kind: 'postgres' | 'esdb';
  /** Used when kind is 'postgres'. */
  databaseUrl?: string;
  /** Used when kind is 'esdb', e.g. `esdb://localhost:2113?tls=false`. */
  esdbConnectionString?: string;
  /** Used when kind is 'postgres': group commit (PostgresEventStoreOptions.appendsInFlight). */
  appendsInFlight?: number;
}

/** The adapter the configuration names (EVENT_STORE=postgres|esdb). The caller closes it. */
export function createEventStore(selection: EventStoreSelection): EventStore {
  switch (selection.kind) {
    case 'postgres':
      if (!selection.databaseUrl) throw new Error('EVENT_STORE=postgres needs DATABASE_URL');
      return new PostgresEventStore({ connectionString: selection.databaseUrl, poolSize: 10, appendsInFlight: selection.appendsInFlight });
    case 'esdb':
      if (!selection.esdbConnectionString) throw new Error('EVENT_STORE=esdb needs EVENTSTORE_CONNECTION_STRING');
      return new EsdbEventStore(selection.esdbConnectionString);
    default:
      return assertNeverKind(selection.kind);
  }
}

function assertNeverKind(kind: never): never {
  throw new Error(`Unknown event store kind: ${String(kind)}`);
}
