/**
 * Throttling (apps/api/src/security): commands per caller (the token's subject), failed
 * authentications per client address; both 429 problem+json with Retry-After, limits from
 * configuration.
 */
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { SecurityModule } from '../../apps/api/src/security/security.module';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { loadConfig } from '@app/platform/config/app-config';
import type { Response } from 'supertest';
import { createTestApp, type TestApp } from '../support/app';
import { callBody } from './grants-support';

const DEFAULTS = loadConfig({ NODE_ENV: 'test' }).throttle;

function expectTooManyRequests(res: Response): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: PROBLEM_TYPES.tooManyRequests, status: 429 });
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
}

describe('throttling: commands per caller', () => {
  let t: TestApp;
  const bearer = async (id: string) => `Bearer ${await t.token({ role: 'grant-manager', id })}`;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false, imports: [SecurityModule], config: { throttle: { ...DEFAULTS, commandsLimit: 3, commandsWindowMs: 60_000 } } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses the command past the limit with 429 and Retry-After, keyed by the token subject, and appends nothing', async () => {
    const alice = await bearer('alice');
    for (let i = 0; i < 3; i++) await t.http.post('/calls').set('Authorization', alice).send(callBody()).expect(201);
    const refused = await t.http.post('/calls').set('Authorization', alice).send(callBody());
    expectTooManyRequests(refused);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.body.detail).toMatch(/at most 3 every 60 s/);
    // A second token of the same subject shares the budget; another subject from the same address does not.
    expectTooManyRequests(await t.http.post('/calls').set('Authorization', await bearer('alice')).send(callBody()));
    await t.http.post('/calls').set('Authorization', await bearer('bob')).send(callBody()).expect(201);
    // Reads are not commands.
    for (let i = 0; i < 5; i++) await t.http.get('/calls').set('Authorization', alice).expect(200);
    // Three calls by alice, one by bob: the refused commands appended nothing.
    await t.db.settled();
    const drafted = await t.app.get<EventStore>(EVENT_STORE).readAll({ filter: { eventTypes: ['CallDrafted'] } });
    expect(drafted.map((event) => event.metadata.actorId)).toEqual(['alice', 'alice', 'alice', 'bob']);
  });
});

describe('throttling: failed authentications per client address', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false, imports: [SecurityModule], config: { throttle: { ...DEFAULTS, authFailuresLimit: 5, authFailuresBlockMs: 120_000 } } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers 401 up to the limit, then 429 with Retry-After to every protected route, a valid token included; public routes stay open', async () => {
    for (let i = 0; i < 5; i++) await t.http.get('/calls').set('Authorization', `Bearer forged.token.${i}`).expect(401);
    const refused = await t.http.get('/calls').set('Authorization', 'Bearer forged.token.6');
    expectTooManyRequests(refused);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(120);
    expectTooManyRequests(await t.http.get('/calls'));
    expectTooManyRequests(await t.http.get('/calls').set('Authorization', `Bearer ${await t.token({ role: 'grant-manager' })}`));
    expect((await t.http.get('/health')).status).not.toBe(429);
    expect((await t.http.get('/docs-json')).status).toBe(200);
  });
});

describe('throttling: defaults', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false, imports: [SecurityModule] });
  });

  afterAll(async () => {
    await t.close();
  });

  it('are generous for commands and strict for authentication failures', () => {
    // A load test of 20,000 commands from one token at ~300/s sends ~3,000 per 10 s window.
    expect(DEFAULTS.commandsLimit / (DEFAULTS.commandsWindowMs / 1000)).toBeGreaterThanOrEqual(2 * 300);
    expect(DEFAULTS).toMatchObject({ authFailuresLimit: 100, authFailuresWindowMs: 60_000 });
  });

  it('500 requests with a bad token in a burst: the first 100 get 401, the rest 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 500; i++) statuses.push((await t.http.get('/calls').set('Authorization', `Bearer bad-secret.${i}.x`)).status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(DEFAULTS.authFailuresLimit);
    expect(statuses.slice(DEFAULTS.authFailuresLimit).every((status) => status === 429)).toBe(true);
  });
});
