import { type AddressInfo, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { authConfigFromEnv, signToken } from '@app/platform';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { FeedStreamLimiter } from '../../apps/api/src/partners/feed/feed-stream-limits';
import { FEED_OPTIONS } from '../../apps/api/src/partners/feed/feed.service';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { type OpenedStream, openStream } from '../support/feed-stream';

/*
 * Live streams are bounded: at most 5 per caller (the default) and a per-process ceiling (8 here,
 * 200 by default), beyond which 429 problem+json with Retry-After; and a stream ends when its token
 * expires.
 */

const PER_PROCESS = 8;
const RETRY_AFTER_SECONDS = 7;

describe('live stream limits', () => {
  let t: TestApp;
  let port: number;
  let limiter: FeedStreamLimiter;
  const opened: OpenedStream[] = [];
  const auth = authConfigFromEnv({});
  const partnerToken = (id: string, ttl = '1h') => signToken({ id, role: 'partner' }, auth, ttl);

  beforeAll(async () => {
    limiter = new FeedStreamLimiter({ maxStreamsPerCaller: 5, maxStreams: PER_PROCESS, retryAfterSeconds: RETRY_AFTER_SECONDS });
    t = await createTestApp({
      overrides: [
        { provide: FeedStreamLimiter, useValue: limiter },
        { provide: FEED_OPTIONS, useValue: { heartbeatMs: 200, scanBudget: 2_000 } },
      ],
    });
    await new Promise<void>((resolve) => t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const stream of opened.splice(0)) stream.close();
    await eventually(async () => (limiter.openStreams === 0 ? true : undefined));
  });

  afterAll(async () => {
    await t.close();
  });

  const open = async (token: string) => {
    const stream = await openStream(port, token);
    opened.push(stream);
    return stream;
  };

  const expectTooMany = (stream: OpenedStream) => {
    expect(stream.status).toBe(429);
    expect(stream.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stream.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(JSON.parse(stream.body)).toMatchObject({ type: PROBLEM_TYPES.tooManyRequests, status: 429, instance: '/feed/stream' });
  };

  it('lets one caller hold 5 streams and answers the sixth 429 with Retry-After; another caller is not affected', async () => {
    const token = await partnerToken('partner-a');
    for (let index = 0; index < 5; index += 1) expect((await open(token)).status).toBe(200);
    const sixth = await open(token);
    expectTooMany(sixth);
    expect(JSON.parse(sixth.body).detail).toMatch(/per caller/);
    // The same caller with a fresh token is the same caller.
    expectTooMany(await open(await partnerToken('partner-a')));
    expect((await open(await partnerToken('partner-b'))).status).toBe(200);
  });

  it('frees a place when a stream is closed', async () => {
    const token = await partnerToken('partner-c');
    const streams = [];
    for (let index = 0; index < 5; index += 1) streams.push(await open(token));
    expectTooMany(await open(token));
    streams[0].close();
    await eventually(async () => (limiter.openStreams === 4 ? true : undefined));
    expect((await open(token)).status).toBe(200);
  });

  it(`serves at most ${PER_PROCESS} streams in the process, whoever asks`, async () => {
    for (const caller of ['partner-d', 'partner-e']) {
      const token = await partnerToken(caller);
      for (let index = 0; index < PER_PROCESS / 2; index += 1) expect((await open(token)).status).toBe(200);
    }
    const refused = await open(await partnerToken('partner-f'));
    expectTooMany(refused);
    expect(JSON.parse(refused.body).detail).toMatch(/server/);
  });

  it('does not count a stream refused for a bad cursor', async () => {
    const token = await partnerToken('partner-g');
    for (let index = 0; index < 5; index += 1) {
      const res = await t.http.get('/feed/stream?after=not-a-cursor').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(400);
    }
    expect(limiter.openStreams).toBe(0);
    expect((await open(token)).status).toBe(200);
  });

  it('releases a stream whose client went away at once: 30 quick connect/close cycles leave no stream open', async () => {
    const token = await partnerToken('partner-i');
    const request = `GET /feed/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`;
    // Dropped 0–5 ms after the request was sent: before, during or just after the cursor check.
    await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.once('connect', resolve));
        socket.write(request);
        await sleep(index % 6);
        socket.destroy();
      }),
    );
    await sleep(300); // every handler has run by now
    await eventually(async () => (limiter.openStreams === 0 ? true : undefined), 2_000);
    const stream = await open(token);
    expect(stream.status).toBe(200);
    stream.close();
    await eventually(async () => (limiter.openStreams === 0 ? true : undefined), 2_000);
  });

  it('ends a stream when its token expires, and the expired token cannot open another', async () => {
    const token = await partnerToken('partner-h', '2s');
    const stream = await open(token);
    expect(stream.status).toBe(200);
    await eventually(async () => (stream.ended ? true : undefined), 5_000);
    expect(stream.body).toContain(': token expired');
    await eventually(async () => (limiter.openStreams === 0 ? true : undefined));
    const again = await open(token);
    expect(again.status).toBe(401);
  });
});
