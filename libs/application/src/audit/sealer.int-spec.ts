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
    const reactor = createAuditSealerReactor(sealer, { idleMs: 100 });
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

  it('hashes the batches the runtime hands it, reading the log itself only to start: 2,500 events, seals every 1,000, then the quiet rest', async () => {
    await using fresh = await freshLog('sealer_batches');
    const { dataSource, store } = fresh;
    const auditDb = typeormAuditDb(dataSource);
    let sealerReads = 0;
    const counted = Object.assign(Object.create(store) as HashChainingEventStore, {
      readAll: (options?: Parameters<HashChainingEventStore['readAll']>[0]) => {
        sealerReads += 1;
        return store.readAll(options);
      },
    });
    const sealer = new AuditSealer({ store: counted, db: auditDb, signingKey, everyEvents: 1000 });
    // The quiet-log seal waits for this clock, which stands still until every event is appended, so that
    // the seals fall where the counts put them.
    let clock = 0;
    const reactor = createAuditSealerReactor(sealer, { idleMs: 1000, now: () => clock });
    const runner = new LogConsumerRuntime(
      { dataSource, store, consumers: [{ ...reactor, name: 'audit-sealer-batches' }], logger: { log: () => undefined, error: () => undefined } },
      { heartbeatMs: 50, batchSize: 100 },
    );
    runner.start();
    try {
      let last = '';
      for (let n = 0; n < 25; n++) {
        last = (await store.append(`case-b${n}`, Array.from({ length: 100 }, (_, i) => event(i)), 'no_stream')).position;
      }
      const total = 2500;
      // The clock moves only once the runtime has handed the sealer every event: a slow machine must not
      // make the log look quiet (and sealed early, at 1,300) while batches are still on their way.
      await eventually(async () => {
        const [row] = (await dataSource.query(`SELECT position FROM log_consumers WHERE name = 'audit-sealer-batches'`)) as { position: string | null }[];
        return row?.position === last ? true : undefined;
      }, 30_000);
      const seals = await eventually(async () => {
        clock += 1_000;
        const found = await loadSeals(auditDb);
        return found.at(-1)?.eventCount === total ? found : undefined;
      }, 30_000);
      expect(seals.map((seal) => seal.eventCount)).toEqual([1000, 2000, total]);
      await expect(verifyAuditLog({ store, db: auditDb, key: signingKey })).resolves.toMatchObject({ ok: true, eventsChecked: total, unsealedEvents: 0 });
      // The first batch after the start is read again from the (absent) latest seal; every later one continues the running hash.
      expect(sealerReads).toBe(1);
    } finally {
      await runner.stop();
    }
  });

  it('never hashes an event twice nor skips one when a batch is handed again or out of turn', async () => {
    await using fresh = await freshLog('sealer_turns');
    const { store } = fresh;
    const auditDb = typeormAuditDb(fresh.dataSource);
    for (let n = 0; n < 5; n++) await store.append(`case-t${n}`, Array.from({ length: 10 }, (_, i) => event(i)), 'no_stream');
    const log = await store.readAll({ maxCount: 100_000 });
    expect(log).toHaveLength(50);
    const sealer = new AuditSealer({ store, db: auditDb, signingKey, everyEvents: 7 });
    await sealer.extend(null, log.slice(0, 10));
    // The same batch again (a batch redone after the checkpoint did not move): not hashed twice.
    await sealer.extend(null, log.slice(0, 10));
    await sealer.extend(log[9].position, log.slice(10, 20));
    // A batch that does not continue the running hash (it skips 20..29): the sealer reads the log itself.
    await sealer.extend(log[29].position, log.slice(30, 40));
    await sealer.extend(log[39].position, log.slice(40));
    await sealer.sealTail();
    const seals = await loadSeals(auditDb);
    expect(seals.at(-1)?.eventCount).toBe(log.length);
    expect(seals.every((seal, i) => seal.eventCount - (seals[i - 1]?.eventCount ?? 0) <= 7)).toBe(true);
    await expect(verifyAuditLog({ store, db: auditDb, key: signingKey })).resolves.toMatchObject({ ok: true, eventsChecked: log.length, unsealedEvents: 0 });
  });

  it('is self-fenced: a deposed sealer still reacting beside the new leader stores only seals that continue the latest, and the log verifies', async () => {
    // The runtime skips the proof of the lease before the sealer's batches (Reactor.selfFenced), so
    // a sealer that lost its lease may still extend and seal once: insertSeal must keep that harmless.
    expect(createAuditSealerReactor(new AuditSealer({ store, db: typeormAuditDb(dataSource), signingKey })).selfFenced).toBe(true);
    await using fresh = await freshLog('sealer_deposed');
    const { store: log } = fresh;
    const auditDb = typeormAuditDb(fresh.dataSource);
    for (let n = 0; n < 6; n++) await log.append(`case-d${n}`, Array.from({ length: 10 }, (_, i) => event(i)), 'no_stream');
    const events = await log.readAll({ maxCount: 100_000 });
    const deposed = new AuditSealer({ store: log, db: auditDb, signingKey, everyEvents: 7 });
    const leader = new AuditSealer({ store: log, db: auditDb, signingKey, everyEvents: 7 });
    // Both handed the same batches, interleaved, each from its own checkpoint: the deposed one a batch behind.
    await deposed.extend(null, events.slice(0, 20));
    await leader.extend(null, events.slice(0, 20));
    await leader.extend(events[19].position, events.slice(20, 40));
    await deposed.extend(events[19].position, events.slice(20, 40));
    await deposed.extend(events[39].position, events.slice(40));
    await leader.extend(events[39].position, events.slice(40));
    await Promise.all([deposed.sealTail(), leader.sealTail()]);
    const seals = await loadSeals(auditDb);
    expect(seals.at(-1)?.eventCount).toBe(events.length);
    // One chain of seals, each after the one before, none at a count twice.
    expect(seals.map((seal) => seal.eventCount)).toEqual([...new Set(seals.map((seal) => seal.eventCount))].sort((a, b) => a - b));
    await expect(verifyAuditLog({ store: log, db: auditDb, key: signingKey })).resolves.toMatchObject({ ok: true, eventsChecked: events.length, sealsChecked: seals.length, unsealedEvents: 0 });
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

/** A database of its own (seals are append-only: a test that counts them needs an empty table). */
async function freshLog(name: string) {
  const db = await createTestDatabase(name);
  const dataSource = await new DataSource(databaseOptions(db.url)).initialize();
  const store = new HashChainingEventStore(new PostgresEventStore({ connectionString: db.url }));
  return {
    dataSource,
    store,
    async [Symbol.asyncDispose]() {
      await store.close();
      await dataSource.destroy();
      await db.drop();
    },
  };
}

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
