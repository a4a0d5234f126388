import type { AddressInfo } from 'node:net';
import { authConfigFromEnv, signToken } from '@app/platform';
import { FeedController } from '../../apps/api/src/partners/feed/feed.controller';
import { FEED_OPTIONS } from '../../apps/api/src/partners/feed/feed.service';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { type OpenedStream, openStream } from '../support/feed-stream';

/*
 * A live stream (GET /feed/stream) when the server shuts down: it ends at once, telling the client
 * to reconnect (`retry:` and a comment; Last-Event-ID resumes it with no gap), instead of holding
 * the shutdown until its connection is cut; and a stream asked for once the shutdown began is
 * refused with 503 and Retry-After, before anything is written.
 */

describe('live streams at shutdown', () => {
  const auth = authConfigFromEnv({});
  const partnerToken = () => signToken({ id: 'partner-shutdown', role: 'partner' }, auth, '1h');
  let t: TestApp;
  let port: number;
  let closed = false;
  const opened: OpenedStream[] = [];

  beforeEach(async () => {
    closed = false;
    // A heartbeat far off: what ends a stream here is the shutdown, nothing else.
    t = await createTestApp({ overrides: [{ provide: FEED_OPTIONS, useValue: { heartbeatMs: 60_000, scanBudget: 2_000 } }] });
    await new Promise<void>((resolve) => t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const stream of opened.splice(0)) stream.close();
    if (!closed) await t.close();
  });

  const open = async () => {
    const stream = await openStream(port, await partnerToken());
    opened.push(stream);
    return stream;
  };

  it('ends an open stream when the app closes, telling the client to reconnect, and does not hold the close', async () => {
    const streams = [await open(), await open()];
    for (const stream of streams) expect(stream.status).toBe(200);
    const started = Date.now();
    await t.close();
    closed = true;
    const tookMs = Date.now() - started;
    for (const stream of streams) {
      await eventually(async () => (stream.ended ? true : undefined));
      expect(stream.body).toContain('retry: 1000\n: server shutting down: reconnect with Last-Event-ID\n\n');
    }
    // Without the hook the close waited for the streams' connections, which nothing ended.
    expect(tookMs).toBeLessThan(10_000);
  }, 30_000);

  it('refuses a stream asked for once the shutdown began: 503 problem+json with Retry-After, nothing streamed', async () => {
    const before = await open();
    expect(before.status).toBe(200);
    // What Nest calls first when the app closes (the server still takes requests then).
    await t.app.get(FeedController).beforeApplicationShutdown();
    await eventually(async () => (before.ended ? true : undefined));
    const after = await open();
    expect(after.status).toBe(503);
    expect(after.headers['retry-after']).toMatch(/^\d+$/);
    expect(after.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(after.body)).toMatchObject({ status: 503 });
  }, 30_000);
});
