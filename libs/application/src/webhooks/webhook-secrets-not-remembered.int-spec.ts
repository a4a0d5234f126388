import { DataSource } from 'typeorm';
import { IdempotencyAnswersWithoutSecrets1764001600000 } from '@app/platform/idempotency/idempotency-answers-without-secrets.migration';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { databaseOptions } from '../database-options';

describe('remembered idempotent answers and webhook secrets', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('idempotency_secrets');
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('the migration drops every remembered answer that holds a secret (a keyed subscription, kept before the route stopped taking keys), and nothing else', async () => {
    const remember = (key: string, response: unknown) =>
      dataSource.query(`INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response) VALUES ('partner', $1, 'h', 'done', 201, $2)`, [key, JSON.stringify(response)]);
    await remember('subscription', { id: 'a2c1', url: 'https://partner.example.org/hook', secret: 'whsec_c2VjcmV0' });
    await remember('call', { id: '5b4f', version: 0 });
    await remember('listish', [{ secret: 'not an answer of ours, but not an object either' }]);
    await remember('null', null);

    const runner = dataSource.createQueryRunner();
    try {
      await new IdempotencyAnswersWithoutSecrets1764001600000().up(runner);
    } finally {
      await runner.release();
    }
    const keys: { key: string }[] = await dataSource.query(`SELECT key FROM idempotency_keys ORDER BY key`);
    expect(keys.map((row) => row.key)).toEqual(['call', 'listish', 'null']);
  });
});
