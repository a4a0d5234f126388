import { type BeforeApplicationShutdown, Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { createEventStore, EVENT_STORE, type EventStore } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { EVENT_CODEC, type EventCodec } from './event-codec';
import { schemaRegistry } from './schema-registry';
import { EncryptingEventCodec } from './personal-data/encrypting-event-codec';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { PersonalDataPolicy } from './personal-data/personal-data.policy';
import { personalDataProviders } from './personal-data/personal-data.providers';
import { deciderSnapshotIdentities, PostgresDeciderSnapshotStore } from './snapshots/decider-snapshots';
import { StreamCommandExecutor } from './stream-command-executor';

export interface EventStoreModuleOptions {
  kind: 'postgres' | 'esdb';
  databaseUrl: string;
  esdbConnectionString?: string;
  /** Group commit on the PostgreSQL store (AppConfig.eventStoreAppendsInFlight). */
  appendsInFlight?: number;
}

export { schemaRegistry };

class EventStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** Before the pools close: the decider snapshots still waiting are dropped, not written into closing pools. */
class CommandExecutorLifecycle implements BeforeApplicationShutdown {
  constructor(@Inject(StreamCommandExecutor) private readonly executor: StreamCommandExecutor) {}
  beforeApplicationShutdown(): void {
    this.executor.close();
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
          // Postgres (embedded default) or EventStoreDB; read models and keys stay in Postgres either way.
          // Every append links each event to its stream's previous one (tamper evidence, see hash-chain/).
          useFactory: (): EventStore => new HashChainingEventStore(createEventStore(options)),
        },
        // Personal fields are encrypted per subject inside events (crypto-shredding): see personal-data/.
        ...personalDataProviders(options.databaseUrl),
        {
          provide: EVENT_CODEC,
          useFactory: (keyring: PersonalDataKeyring, policy: PersonalDataPolicy): EventCodec => new EncryptingEventCodec(schemaRegistry(), keyring, policy),
          inject: [PersonalDataKeyring, PersonalDataPolicy],
        },
        {
          provide: StreamCommandExecutor,
          useFactory: (store: EventStore, codec: EventCodec, keyring: PersonalDataKeyring, dataSource: DataSource | undefined, config: AppConfig | undefined) => {
            // Decider snapshots live in the application's database (either event store), through its pool.
            const logger = new Logger('DeciderSnapshots');
            const every = config?.deciderSnapshotEvery ?? 100;
            const snapshots =
              dataSource && every > 0
                ? {
                    store: new PostgresDeciderSnapshotStore(dataSource),
                    deciders: deciderSnapshotIdentities(schemaRegistry()),
                    every,
                    onError: (message: string) => logger.warn(message),
                  }
                : undefined;
            const executor = new StreamCommandExecutor(store, codec, undefined, undefined, snapshots);
            // Folded states may hold decrypted personal data: an erasure drops them with the key.
            keyring.onForget(() => executor.forgetFoldedStates());
            return executor;
          },
          inject: [EVENT_STORE, EVENT_CODEC, PersonalDataKeyring, { token: DataSource, optional: true }, { token: APP_CONFIG, optional: true }],
        },
        EventStoreLifecycle,
        CommandExecutorLifecycle,
      ],
      exports: [EVENT_STORE, EVENT_CODEC, StreamCommandExecutor, PersonalDataKeyring, PersonalDataPolicy],
    };
  }
}
