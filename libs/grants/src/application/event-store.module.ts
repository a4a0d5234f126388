import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore, PostgresEventStore } from '@app/event-store';
import { callEventSchemaVersions } from '../call';
import { grantEventSchemaVersions } from '../grant';
import { organisationEventSchemaVersions } from '../organisation';
import { proposalEventSchemaVersions } from '../proposal';
import { EVENT_CODEC, PlainEventCodec, SchemaRegistry } from './event-codec';
import { StreamCommandExecutor } from './stream-command-executor';

export interface EventStoreModuleOptions {
  kind: 'postgres' | 'esdb';
  databaseUrl: string;
  esdbConnectionString?: string;
}

export function schemaRegistry(): SchemaRegistry {
  return new SchemaRegistry()
    .register(callEventSchemaVersions)
    .register(organisationEventSchemaVersions)
    .register(proposalEventSchemaVersions)
    .register(grantEventSchemaVersions);
}

class EventStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** The event store chosen by configuration, the codec, and the generic command path. */
@Global()
@Module({})
export class EventStoreModule {
  static forRoot(options: EventStoreModuleOptions): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [
        {
          provide: EVENT_STORE,
          useFactory: (): EventStore => {
            if (options.kind === 'esdb') throw new Error('EVENT_STORE=esdb is not available yet: use postgres');
            return new PostgresEventStore({ connectionString: options.databaseUrl, poolSize: 10 });
          },
        },
        { provide: EVENT_CODEC, useFactory: () => new PlainEventCodec(schemaRegistry()) },
        {
          provide: StreamCommandExecutor,
          useFactory: (store: EventStore, codec: PlainEventCodec) => new StreamCommandExecutor(store, codec),
          inject: [EVENT_STORE, EVENT_CODEC],
        },
        EventStoreLifecycle,
      ],
      exports: [EVENT_STORE, EVENT_CODEC, StreamCommandExecutor],
    };
  }
}
