/**
 * A real API (with its in-process worker) on a fresh database of its own, for e2e tests over HTTP.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type Actor, authConfigFromEnv, signToken } from '@app/platform';
import { ManualClock } from '@app/platform/clock';
import { loadConfig } from '@app/platform/config/app-config';
import request from 'supertest';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/configure-app';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  db: TestDatabase;
  clock: ManualClock;
  token(actor: Partial<Actor> & Pick<Actor, 'role'>): Promise<string>;
  close(): Promise<void>;
}

export async function createTestApp(options: { now?: string; runWorker?: boolean } = {}): Promise<TestApp> {
  const db = await createTestDatabase('e2e');
  const clock = new ManualClock(new Date(options.now ?? '2027-01-10T09:00:00Z'));
  const config = {
    ...loadConfig({ LOG_LEVEL: 'silent', EVENT_STORE: process.env.EVENT_STORE, EVENTSTORE_CONNECTION_STRING: process.env.EVENTSTORE_CONNECTION_STRING }),
    runWorker: options.runWorker ?? true,
  };
  const auth = authConfigFromEnv({});
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ config, auth, databaseUrl: db.url, clock })],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication({ bufferLogs: true }));
  await app.init();
  return {
    app,
    http: request(app.getHttpServer()),
    db,
    clock,
    token: (actor) => signToken({ id: actor.id ?? `${actor.role}-user`, role: actor.role, organisationId: actor.organisationId }, auth, '1h'),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/** Polls until `probe` returns a value (read models are eventually consistent), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
