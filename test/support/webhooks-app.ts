/**
 * Like test/support/app.ts, plus webhook subscriptions (API) and delivery (worker) with small
 * retry timings, on a new or an existing database (to restart the worker on the same data), and a
 * real local HTTP receiver that can be told to fail.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { WEBHOOK_CONFIG, type WebhookConfig } from '@app/application/webhooks/webhook-config';
import { type Actor, authConfigFromEnv, signToken } from '@app/platform';
import { ManualClock } from '@app/platform/clock';
import { loadConfig } from '@app/platform/config/app-config';
import request from 'supertest';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/configure-app';
import { ExpressPrototypesAdapter } from '../../apps/api/src/http/express-server';
import { WebhooksModule } from '../../apps/api/src/partners/webhooks/webhooks.module';
import { WebhookDeliveryModule } from '@app/application/worker/webhooks/webhook-delivery.module';
import { createTestDatabase, type TestDatabase } from './database';
import type { TestApp } from './app';

export const TEST_WEBHOOK_CONFIG: WebhookConfig = {
  allowedHosts: ['127.0.0.1', 'localhost'],
  timeoutMs: 300,
  retryBaseMs: 20,
  retryMaxMs: 100,
  maxAttempts: 8,
  pollMs: 20,
  concurrency: 4,
};

/** Whether the app's own modules already wire `module` (once the lead has wired webhooks in). */
function wires(root: unknown, module: Type): boolean {
  const seen = new Set<unknown>();
  const visit = (node: unknown): boolean => {
    if (!node || seen.has(node)) return false;
    seen.add(node);
    if (node === module) return true;
    const dynamic = node as { module?: unknown; imports?: unknown[] };
    const imports = [...(dynamic.imports ?? []), ...((typeof node === 'function' ? Reflect.getMetadata('imports', node) : undefined) ?? [])];
    return (dynamic.module !== undefined && visit(dynamic.module)) || imports.some(visit);
  };
  return visit(root);
}

export async function createWebhooksTestApp(
  options: { db?: TestDatabase; webhooks?: Partial<WebhookConfig>; runWorker?: boolean; now?: string } = {},
): Promise<TestApp & { ownsDatabase: boolean }> {
  const ownsDatabase = !options.db;
  const db = options.db ?? (await createTestDatabase('e2e'));
  const clock = new ManualClock(new Date(options.now ?? '2027-01-10T09:00:00Z'));
  const runWorker = options.runWorker ?? true;
  const config = { ...loadConfig({ LOG_LEVEL: 'silent' }), runWorker };
  const auth = authConfigFromEnv({});
  const dropStorage = async () => {
    if (ownsDatabase) await db.drop();
  };
  const root = AppModule.forRoot({ config, auth, databaseUrl: db.url, clock });
  const extra: Type[] = [];
  if (!wires(root, WebhooksModule)) extra.push(WebhooksModule);
  if (runWorker && !wires(root, WebhookDeliveryModule)) extra.push(WebhookDeliveryModule);
  const moduleRef = await Test.createTestingModule({ imports: [root, ...extra] })
    .overrideProvider(WEBHOOK_CONFIG)
    .useValue({ ...TEST_WEBHOOK_CONFIG, ...options.webhooks })
    .compile();
  const app: INestApplication = configureApp(moduleRef.createNestApplication(new ExpressPrototypesAdapter(), { bufferLogs: true }));
  await app.init();
  return {
    app,
    http: request(app.getHttpServer()),
    db,
    clock,
    ownsDatabase,
    config,
    token: (actor: Partial<Actor> & Pick<Actor, 'role'>) => signToken({ id: actor.id ?? `${actor.role}-user`, role: actor.role, organisationId: actor.organisationId }, auth, '1h'),
    async close() {
      await app.close();
      await dropStorage();
    },
    dropStorage,
  };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status we answered (0 when we let it time out). */
  answered: number;
}

/** What the receiver does with one request: answer a status, or 'hang' (never answer: a timeout). */
export type ReceiverBehaviour = (request: { id: string; index: number; body: string }) => number | 'hang';

/** A real HTTP endpoint on 127.0.0.1 (random port) that records every request. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests open at once, at most (a subscription has one sender at a time: 1). */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly server: Server;
  private readonly hanging = new Set<import('node:http').ServerResponse>();
  url = '';

  constructor(public behaviour: ReceiverBehaviour = () => 200) {
    this.server = createServer((req, res) => {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on('close', () => {
        this.inFlight -= 1;
      });
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        const body = Buffer.concat(chunks).toString('utf8');
        const decision = this.behaviour({ id, index: this.requests.length, body });
        this.requests.push({ headers: req.headers, body, answered: decision === 'hang' ? 0 : decision });
        if (decision === 'hang') {
          this.hanging.add(res);
          return;
        }
        res.writeHead(decision, { 'content-type': 'text/plain' }).end(decision < 300 ? 'ok' : 'no');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Successful deliveries' message ids, in arrival order. */
  delivered(): string[] {
    return this.requests.filter((r) => r.answered >= 200 && r.answered < 300).map((r) => String(r.headers['webhook-id']));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
