/**
 * A real API (with its in-process worker) on a fresh database of its own, for e2e tests over HTTP.
 */
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type Actor, authConfigFromEnv, signToken } from '@app/platform';
import { ManualClock } from '@app/platform/clock';
import { type AppConfig, loadConfig } from '@app/platform/config/app-config';
import request from 'supertest';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/configure-app';
import { ExpressPrototypesAdapter } from '../../apps/api/src/http/express-server';
import { InProcessEsdbServer } from '../../libs/event-store/test/esdb/in-process-esdb-server';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  db: TestDatabase;
  clock: ManualClock;
  /** What the app runs with (event store included): a second app on it sees the same log, as after a restart. */
  config: AppConfig & { runWorker: boolean };
  token(actor: Partial<Actor> & Pick<Actor, 'role'>): Promise<string>;
  close(): Promise<void>;
  /** For a test that closed `app` itself: drops the database and stops the app's own test log. */
  dropStorage(): Promise<void>;
}

export interface TestAppOptions {
  now?: string;
  runWorker?: boolean;
  /** Replace providers, e.g. shorter timings: [{ provide: FEED_OPTIONS, useValue: {...} }]. */
  overrides?: { provide: unknown; useValue: unknown }[];
  /** Configuration on top of the test defaults, e.g. `{ throttle: {...} }` or `{ publicBaseUrl }`. */
  config?: Partial<AppConfig>;
  /** Modules imported beside AppModule, e.g. [SecurityModule]. */
  imports?: ModuleMetadata['imports'];
}

/** The ceiling per recipient test apps have by default (10,000,000.00 in any currency): see createTestApp. */
export const TEST_RECIPIENT_CEILING_MINOR = 1_000_000_000;

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase('e2e');
  const clock = new ManualClock(new Date(options.now ?? '2027-01-10T09:00:00Z'));
  // EVENT_STORE=esdb: a log of its own too (the in-process double) unless a real server is named.
  // Apps sharing one log would each project and react to the others' events from the start.
  const esdb = process.env.EVENT_STORE === 'esdb' && !process.env.EVENTSTORE_CONNECTION_STRING ? await InProcessEsdbServer.start() : undefined;
  const config = {
    ...loadConfig({
      LOG_LEVEL: 'silent',
      EVENT_STORE: process.env.EVENT_STORE,
      EVENTSTORE_CONNECTION_STRING: esdb?.connectionString ?? process.env.EVENTSTORE_CONNECTION_STRING,
      // The scenarios award the same few organisations again and again, far past EUR 60,000: a
      // ceiling per recipient out of their way. The ceiling's own specs ask for the real default
      // (recipient-ceiling*.e2e-spec.ts: `config: { recipientCeiling: ... }`).
      RECIPIENT_CEILING_MINOR: String(TEST_RECIPIENT_CEILING_MINOR),
    }),
    runWorker: options.runWorker ?? true,
    ...options.config,
  };
  const auth = authConfigFromEnv({});
  const dropStorage = async () => {
    await esdb?.stop();
    await db.drop();
  };
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot({ config, auth, databaseUrl: db.url, clock }), ...(options.imports ?? [])] });
  for (const override of options.overrides ?? []) builder = builder.overrideProvider(override.provide).useValue(override.useValue);
  const moduleRef = await builder.compile();
  const app = configureApp(moduleRef.createNestApplication(new ExpressPrototypesAdapter(), { bufferLogs: true }));
  await app.init();
  return {
    app,
    http: request(app.getHttpServer()),
    db,
    clock,
    token: (actor) => signToken({ id: actor.id ?? `${actor.role}-user`, role: actor.role, organisationId: actor.organisationId }, auth, '1h'),
    config,
    async close() {
      await app.close();
      await dropStorage();
    },
    dropStorage,
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
