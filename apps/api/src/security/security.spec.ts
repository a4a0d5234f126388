import { Controller, Get, Module, Post, Res, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Response } from 'express';
import request from 'supertest';
import { type Actor, AuthModule, CurrentActor, signToken } from '@app/platform';
import { PROBLEM_DETAILS_FILTER } from '../http/problem';
import { loadConfig } from '@app/platform/config/app-config';
import { RuntimeModule } from '@app/platform/runtime/runtime.module';
import { hardenHttp } from './http-hardening';
import { SecurityModule } from './security.module';

const auth = { jwtSecret: 'security-spec-secret', issuer: 'grant-ledger', audience: 'grant-ledger-api' };
const config = { ...loadConfig({ NODE_ENV: 'test' }), throttle: { ...loadConfig({ NODE_ENV: 'test' }).throttle, commandsLimit: 2 } };

@Controller('probe')
class ProbeController {
  @Post('command')
  command(@CurrentActor() actor: Actor): { by: string } {
    return { by: actor.id };
  }

  /** Like the event stream, which asks for `no-cache, no-transform`. */
  @Get('stream')
  stream(@Res() response: Response): void {
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.status(200).end('data\n');
  }
}

async function probeApp(imports: unknown[]): Promise<INestApplication> {
  @Module({ imports: imports as never[], controllers: [ProbeController], providers: [PROBLEM_DETAILS_FILTER] })
  class ProbeModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  hardenHttp(app);
  await app.init();
  return app;
}

const bearer = async (id: string) => `Bearer ${await signToken({ id, role: 'admin' }, auth)}`;

describe('SecurityModule', () => {
  it('limits commands per token subject when imported after AuthModule', async () => {
    const app = await probeApp([RuntimeModule.forRoot({ config }), AuthModule.forRoot(auth), SecurityModule]);
    try {
      const server = app.getHttpServer();
      for (let i = 0; i < 2; i++) await request(server).post('/probe/command').set('Authorization', await bearer('alice')).expect(201);
      const refused = await request(server).post('/probe/command').set('Authorization', await bearer('alice'));
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      await request(server).post('/probe/command').set('Authorization', await bearer('bob')).expect(201);
    } finally {
      await app.close();
    }
  });

  it('fails loudly, never counting commands under the client address, when imported before AuthModule', async () => {
    const app = await probeApp([RuntimeModule.forRoot({ config }), SecurityModule, AuthModule.forRoot(auth)]);
    try {
      await request(app.getHttpServer()).post('/probe/command').set('Authorization', await bearer('alice')).expect(500);
    } finally {
      await app.close();
    }
  });
});

describe('hardenHttp: Cache-Control', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await probeApp([RuntimeModule.forRoot({ config }), AuthModule.forRoot(auth)]);
  });

  afterAll(async () => {
    await app.close();
  });

  it("keeps no-store on an authenticated answer whose handler asked for less (the event stream's no-cache)", async () => {
    const res = await request(app.getHttpServer()).get('/probe/stream').set('Authorization', await bearer('alice')).expect(200);
    expect(res.headers['cache-control']).toBe('no-store, no-transform');
  });
});
