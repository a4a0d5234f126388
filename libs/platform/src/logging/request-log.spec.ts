import { Controller, Get, type INestApplication, Module, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoggerModule } from 'nestjs-pino';
import { Writable } from 'node:stream';
import request from 'supertest';
import { loggablePath, loggerParams, registerRouteWords, requestLogMiddleware } from './logging';

@Controller('probe')
class ProbeController {
  @Get('read')
  read(): { ok: true } {
    return { ok: true };
  }

  @Post('fail')
  fail(): never {
    throw new Error('boom');
  }
}

/**
 * The one line per request (requestLogMiddleware) as the API writes it, through the logger
 * configuration the API uses (loggerParams): ids, method, path, status and time, and nothing a
 * request carries that may be personal data or a secret — no query string, header, token or body.
 */
describe('request log line', () => {
  let app: INestApplication;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const params = loggerParams('info');
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    @Module({ imports: [LoggerModule.forRoot({ ...params, pinoHttp: [params.pinoHttp as object, capture] })], controllers: [ProbeController] })
    class ProbeModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use(requestLogMiddleware);
    registerRouteWords(app);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  const requestLines = () => lines.filter((line) => line.msg === 'request completed' || line.msg === 'request errored');

  it('writes one line per answered request: ids, method, path without the query, status, time; no header, token or body', async () => {
    const res = await request(app.getHttpServer())
      .get('/probe/read?email=someone%40example.org&name=Rana')
      .set('Authorization', 'Bearer secret-token-value')
      .set('X-Correlation-Id', 'corr-1')
      .expect(200);
    await new Promise((resolve) => setImmediate(resolve)); // 'close' follows the answer
    const line = requestLines().at(-1)!;
    expect(line).toMatchObject({
      level: 30,
      req: { id: res.headers['x-request-id'], method: 'GET', path: '/probe/read' },
      correlationId: 'corr-1',
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    const text = JSON.stringify(line);
    for (const secret of ['secret-token-value', 'someone', 'Rana', 'authorization', 'email=']) expect(text).not.toContain(secret);
  });

  it('writes a path segment that is neither a word of the app\'s routes nor an id as …: a name, an e-mail address or a subject typed into a path stays out', async () => {
    const before = requestLines().length;
    await request(app.getHttpServer()).get('/probe/Rima%20Haddad%20rima@mail.example').expect(404);
    await request(app.getHttpServer()).get('/probe/nadia.reviewer@mail.example/contact').expect(404);
    await request(app.getHttpServer()).get('/probe/3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f/read').expect(404);
    // A subject that looks like a route word (letters, dots, hyphens) but is none of this app's.
    await request(app.getHttpServer()).get('/probe/zaynab.haddad/read').expect(404);
    await request(app.getHttpServer()).get('/probe/reviewer-zaynab').expect(404);
    await request(app.getHttpServer()).get('/probe/proposal-3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f/42').expect(404);
    await new Promise((resolve) => setImmediate(resolve));
    const paths = requestLines().slice(before).map((line) => (line.req as { path: string }).path);
    expect(paths).toEqual([
      '/probe/…',
      '/probe/…/…',
      '/probe/3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f/read',
      '/probe/…/read',
      '/probe/…',
      '/probe/proposal-3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f/42',
    ]);
    expect(loggablePath(`/probe/${'a'.repeat(65)}?q=1`)).toBe('/probe/…');
  });

  it('writes "request errored" for a 5xx, with the body it was sent kept out', async () => {
    const before = requestLines().length;
    await request(app.getHttpServer()).post('/probe/fail').send({ name: 'Rana Haddad' }).expect(500);
    await new Promise((resolve) => setImmediate(resolve));
    const written = requestLines().slice(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ msg: 'request errored', req: { method: 'POST', path: '/probe/fail' }, res: { statusCode: 500 } });
    expect(JSON.stringify(written[0])).not.toContain('Rana');
  });

  it('writes exactly one line per request, not one per event of its answer', async () => {
    const before = requestLines().length;
    await request(app.getHttpServer()).get('/probe/read').expect(200);
    await request(app.getHttpServer()).get('/probe/read').expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(requestLines().length - before).toBe(2);
  });
});
