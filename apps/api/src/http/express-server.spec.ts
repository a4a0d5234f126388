import { Server as HttpsServer } from 'node:https';
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { Body, Controller, Get, HttpCode, Module, Post, Req, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Express, Request } from 'express';
import request from 'supertest';
import { ExpressPrototypesAdapter } from './express-server';

@Controller('probe')
class ProbeController {
  @Post('echo')
  @HttpCode(201)
  echo(@Req() req: Request, @Body() body: { name?: string }): { name?: string; header?: string; ip: string; isRequest: boolean } {
    // express's own request getters and methods, on a request born with its prototype
    return { name: body.name, header: req.get('x-probe'), ip: req.ip ?? '', isRequest: req instanceof IncomingMessage };
  }

  @Get('plain')
  plain(): string {
    return 'ok';
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

async function probeApp(): Promise<{ app: INestApplication; server: Server; express: Express }> {
  const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
  const app = moduleRef.createNestApplication(new ExpressPrototypesAdapter(), { logger: false });
  await app.init();
  return { app, server: app.getHttpServer() as Server, express: app.getHttpAdapter().getInstance() as Express };
}

describe('ExpressPrototypesAdapter', () => {
  it("creates every request and response with express's prototypes, before express sees them (Nest's default server does not: it gets IncomingMessage's)", async () => {
    const { app, server, express } = await probeApp();
    const seen: { request: boolean; response: boolean }[] = [];
    // Runs before express's handler: what the server constructed, not what express made of it.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ request: Object.getPrototypeOf(req) === express.request, response: Object.getPrototypeOf(res) === express.response });
    });
    try {
      // Over kept-alive connections (fetch's pool), as a client that sends many requests would.
      await app.listen(0, '127.0.0.1');
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const sockets = new Set<unknown>();
      server.on('request', (req: IncomingMessage) => sockets.add(req.socket));
      for (let i = 0; i < 3; i++) {
        const answer = await fetch(`${base}/probe/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-probe': `probe-${i}` }, body: JSON.stringify({ name: `n${i}` }) });
        expect(answer.status).toBe(201);
        expect(await answer.json()).toEqual({ name: `n${i}`, header: `probe-${i}`, ip: expect.stringMatching(/127\.0\.0\.1/), isRequest: true });
      }
      const plain = await fetch(`${base}/probe/plain`);
      expect(plain.status).toBe(200);
      expect(await plain.text()).toBe('ok');
      // Express's answers on its own paths (no route) go through the same objects.
      expect((await fetch(`${base}/probe/none`)).status).toBe(404);
      expect(sockets.size).toBeLessThan(5); // some connection served more than one request
      expect(seen).toHaveLength(5);
      expect(seen.every((s) => s.request && s.response)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('keeps them in fast mode (V8 properties): nothing turns a request or a response into a dictionary', async () => {
    // %HasFastProperties, behind V8's natives syntax, switched on for this check only.
    setFlagsFromString('--allow-natives-syntax');
    const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
    setFlagsFromString('--no-allow-natives-syntax');
    const { app, server } = await probeApp();
    const seen: boolean[] = [];
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      seen.push(hasFastProperties(req), hasFastProperties(res));
      res.once('finish', () => seen.push(hasFastProperties(req), hasFastProperties(res)));
    });
    try {
      expect((await request(server).post('/probe/echo').send({ name: 'n' })).status).toBe(201);
      expect(seen).toEqual([true, true, true, true]);
    } finally {
      await app.close();
    }
  });

  it("keeps Nest's own server where it was asked for HTTPS", () => {
    const adapter = new ExpressPrototypesAdapter();
    adapter.initHttpServer({ httpsOptions: {} });
    expect(adapter.getHttpServer()).toBeInstanceOf(HttpsServer);
  });

  it('constructs through the server as Node would: a response is a ServerResponse tied to its request', async () => {
    const { app, server } = await probeApp();
    let tied = false;
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      tied = res instanceof ServerResponse && res.req === req;
    });
    try {
      expect((await request(server).get('/probe/plain')).status).toBe(200);
      expect(tied).toBe(true);
    } finally {
      await app.close();
    }
  });
});
