import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { EsdbEventStore, type NewEvent, PostgresEventStore } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { databaseOptions } from '../database-options';
import { LogConsumerRuntime } from '@app/log-consumers';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { eventually } from '../../../../test/support/app';
import { InProcessEsdbServer } from '../../../event-store/test/esdb/in-process-esdb-server';
import { typeormAuditDb } from './audit-db';
import { loadSeals } from './audit-seals';
import { auditSigningKeyFromEnv } from './audit-signing-key';
import { AuditSealer, createAuditSealerReactor } from './sealer';
import { verifyAuditLog } from './verify';

const event = (n: number): NewEvent => ({
  type: 'Case.Noted.v1',
  schemaVersion: 1,
  data: { n },
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' },
});

describe('the sealer as the worker runs it (a reactor on the log-consumer runtime)', () => {
  const signingKey = auditSigningKeyFromEnv({});
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: HashChainingEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('sealer');
    const base = databaseOptions(db.url);
    dataSource = await new DataSource(base).initialize();
    store = new HashChainingEventStore(new PostgresEventStore({ connectionString: db.url }));
  });

  afterAll(async () => {
    await store.close();
    await dataSource.destroy();
    await db.drop();
  });

  it('seals a quiet log after the idle delay, in steps of N events; the result verifies', async () => {
    const auditDb = typeormAuditDb(dataSource);
    const sealer = new AuditSealer({ store, db: auditDb, signingKey, everyEvents: 5 });
    const reactor = createAuditSealerReactor(sealer, { everyEvents: 100, idleMs: 100 });
    const runner = new LogConsumerRuntime({ dataSource, store, consumers: [reactor], logger: { log: () => undefined, error: () => undefined } }, { heartbeatMs: 50 });
    runner.start();
    try {
      for (let n = 0; n < 7; n++) await store.append('case-s', [event(n)], n - 1 < 0 ? 'no_stream' : n - 1);
      const seals = await eventually(async () => {
        const found = await loadSeals(auditDb);
        return found.at(-1)?.eventCount === 7 ? found : undefined;
      });
      // Steps of at most 5; where the first falls depends on when the idle delay first ran out.
      expect(seals.every((seal, i) => seal.eventCount - (seals[i - 1]?.eventCount ?? 0) <= 5)).toBe(true);
      await expect(verifyAuditLog({ store, db: auditDb, key: signingKey })).resolves.toMatchObject({ ok: true, eventsChecked: 7, sealsChecked: seals.length, unsealedEvents: 0 });
    } finally {
      await runner.stop();
    }
  });

  it('refuses to run in production without AUDIT_SIGNING_KEY, and uses a given key', () => {
    expect(() => auditSigningKeyFromEnv({ NODE_ENV: 'production' })).toThrow(/AUDIT_SIGNING_KEY must be set in production/);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const given = auditSigningKeyFromEnv({ NODE_ENV: 'production', AUDIT_SIGNING_KEY: pem });
    expect(given.devKey).toBe(false);
    expect(given.keyId).not.toBe(signingKey.keyId);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(auditSigningKeyFromEnv({ AUDIT_SIGNING_KEY: der }).keyId).toBe(given.keyId);
    expect(() => auditSigningKeyFromEnv({ AUDIT_SIGNING_KEY: 'not a key' })).toThrow('AUDIT_SIGNING_KEY is not a PKCS#8 private key');
  });
});

describe('seals and verify over the port', () => {
  const signingKey = auditSigningKeyFromEnv({});

  it('works over the port: the log in EventStoreDB, seals in Postgres', async () => {
    const db = await createTestDatabase('sealer_esdb');
    const base = databaseOptions(db.url);
    const dataSource = await new DataSource(base).initialize();
    const server = await InProcessEsdbServer.start();
    const esdb = new HashChainingEventStore(new EsdbEventStore(server.connectionString));
    try {
      const auditDb = typeormAuditDb(dataSource);
      for (let n = 0; n < 4; n++) await esdb.append(`case-${n % 2}`, [event(n)], 'any');
      const sealer = new AuditSealer({ store: esdb, db: auditDb, signingKey, everyEvents: 3 });
      await sealer.sealPending();
      await expect(verifyAuditLog({ store: esdb, db: auditDb, key: signingKey })).resolves.toMatchObject({ ok: true, eventsChecked: 4, streamsChecked: 2 });
    } finally {
      await esdb.close();
      await server.stop();
      await dataSource.destroy();
      await db.drop();
    }
  });
});
