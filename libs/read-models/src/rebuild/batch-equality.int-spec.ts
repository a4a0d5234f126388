import { PostgresEventStore } from '@app/event-store';
import { schemaRegistry } from '@app/application/event-store.module';
import { EncryptingEventCodec, personalDataPolicy } from '@app/application/personal-data';
import { PersonalDataKeyring, PostgresPersonalDataKeyStore } from '@app/personal-data';
import { DEV_ONLY_PII_MASTER_KEY } from '@app/platform/config/app-config';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import type { Projection } from '../projection/projection';
import { ProjectionRebuild } from './projection-rebuild';
import { rebuildableProjections } from './rebuild-projections';
import { appendSyntheticLog, syntheticLog } from '../../../../test/support/synthetic-log';

/** The batch path of each projection against its one-event-at-a-time path, on a varied synthetic programme. */
describe('projection batch path', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let keyring: PersonalDataKeyring;
  let codec: EncryptingEventCodec;

  beforeAll(async () => {
    db = await createTestDatabase('rebuild');
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 4 });
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), Buffer.from(DEV_ONLY_PII_MASTER_KEY, 'base64'));
    codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
    const appended = await appendSyntheticLog(store, (streamId, event, metadata) => codec.encode(streamId, event, metadata), syntheticLog({ events: 3_000, organisations: 30, proposalsPerCall: 60, longCallEvents: 150, seed: 7 }));
    expect(appended).toBeGreaterThanOrEqual(3_000);
    // Every rebuild below reads the whole log (none of it held back by a transaction open elsewhere on the server).
    await db.settled();
  }, 60_000);

  afterAll(async () => {
    await store.close();
    await keyring.close();
    await dataSource.destroy();
    await db.drop();
  });

  const rebuildInto = async (projection: Projection, batchSize: number) => {
    const rebuild = new ProjectionRebuild({ dataSource, store, projection, codec, batchSize });
    await rebuild.discard();
    await rebuild.run();
    const tables: Record<string, unknown[]> = {};
    for (const table of projection.tables) tables[table] = await dataSource.query(`SELECT * FROM "${rebuild.schema}"."${table}" ORDER BY 1, 2`);
    await rebuild.discard();
    return tables;
  };

  it.each(rebuildableProjections().filter((p) => p.applyBatch).map((p) => [p.name, p] as const))(
    'folds %s in batches to exactly the rows that one event at a time gives',
    async (_name, projection) => {
      const perEvent: Projection = { name: projection.name, filter: projection.filter, tables: projection.tables, input: projection.input, apply: projection.apply.bind(projection) };
      const expected = await rebuildInto(perEvent, 500);
      expect(Object.values(expected).some((rows) => rows.length > 0)).toBe(true);
      // Odd batch sizes cut streams at every place: rows written by one batch are read back by the next.
      for (const batchSize of [7, 1_000]) expect(await rebuildInto(projection, batchSize)).toEqual(expected);
    },
    60_000,
  );
});
