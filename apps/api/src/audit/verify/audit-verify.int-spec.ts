import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { poolAuditDb } from '@app/application/audit/audit-db';
import { auditSigningKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { sealEverything } from '@app/application/audit/audit-testing';
import { AuditSealer } from '@app/application/audit/sealer';
import { EventStoreModule } from '@app/application/event-store.module';
import { type Actor, AuthModule, authConfigFromEnv, signToken } from '@app/platform';
import { PROBLEM_DETAILS_FILTER } from '../../http/problem';
import { databaseOptions } from '@app/application/database-options';
import { Pool } from 'pg';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../../../../../test/support/database';
import { AuditVerifyModule } from './audit-verify.module';

describe('GET /audit/verify', () => {
  const auth = authConfigFromEnv({});
  const signingKey = auditSigningKeyFromEnv({});
  let db: TestDatabase;
  let app: INestApplication;
  let pool: Pool;
  let store: HashChainingEventStore;
  const token = (role: Actor['role']) => signToken({ id: `${role}-user`, role }, auth, '1h');

  beforeAll(async () => {
    db = await createTestDatabase('verify');
    const base = databaseOptions(db.url);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(base),
        EventStoreModule.forRoot({ kind: 'postgres', databaseUrl: db.url }),
        AuthModule.forRoot(auth),
        AuditVerifyModule.forRoot(),
      ],
      providers: [PROBLEM_DETAILS_FILTER],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    pool = new Pool({ connectionString: db.url });
    pool.on('error', () => undefined);
    store = new HashChainingEventStore(new PostgresEventStore({ pool }));
    for (let n = 0; n < 3; n++) {
      await store.append('case-v', [{ type: 'Case.Noted.v1', schemaVersion: 1, data: { n }, metadata: { eventId: randomUUID(), actorId: 'a', actorRole: 'admin', correlationId: 'c', causationId: 'c' } }], n - 1 < 0 ? 'no_stream' : n - 1);
    }
    await sealEverything(new AuditSealer({ store, db: poolAuditDb(pool), signingKey }), poolAuditDb(pool));
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    await pool.end();
    await db.drop();
  });

  it('gives auditors and admins the verification report with the public key', async () => {
    for (const role of ['auditor', 'admin'] as const) {
      const response = await request(app.getHttpServer()).get('/audit/verify').set('Authorization', `Bearer ${await token(role)}`).expect(200);
      expect(response.body).toEqual({
        ok: true,
        eventsChecked: 3,
        streamsChecked: 1,
        sealsChecked: 1,
        unsealedEvents: 0,
        eventsAfterCheck: 0,
        heldBackEvents: 0,
        lastSealedPosition: expect.any(String),
        keyId: signingKey.keyId,
        publicKey: signingKey.publicKeyPem,
        devKey: true,
        readerThreads: 0,
      });
    }
  });

  it('reports the first broken link after a superuser edits a row', async () => {
    const [, target] = await store.readStream('case-v');
    await pool.query('ALTER TABLE events DISABLE TRIGGER USER');
    await pool.query(`UPDATE events SET data = '{"n": 42}' WHERE event_id = $1`, [target.eventId]);
    await pool.query('ALTER TABLE events ENABLE TRIGGER USER');
    const response = await request(app.getHttpServer()).get('/audit/verify').set('Authorization', `Bearer ${await token('auditor')}`).expect(200);
    expect(response.body).toMatchObject({ ok: false, firstBreak: { kind: 'altered', streamId: 'case-v', streamVersion: 1, eventId: target.eventId, position: target.position } });
  });

  it('refuses other roles and anonymous callers', async () => {
    await request(app.getHttpServer()).get('/audit/verify').set('Authorization', `Bearer ${await token('grant-manager')}`).expect(403);
    await request(app.getHttpServer()).get('/audit/verify').expect(401);
  });
});
