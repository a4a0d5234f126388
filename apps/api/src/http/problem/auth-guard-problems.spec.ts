import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import request from 'supertest';
import { PROBLEM_DETAILS_FILTER, PROBLEM_TYPES } from '.';
import type { AuthConfig } from '@app/platform/auth/auth.config';
import { CurrentActor, Public, Roles } from '@app/platform/auth/auth.decorators';
import { AuthModule } from '@app/platform/auth/auth.module';
import type { Actor } from '@app/platform/auth/roles';
import { signToken } from '@app/platform/auth/sign-token';

const config: AuthConfig = { jwtSecret: 'guard-spec-secret', issuer: 'grant-ledger', audience: 'grant-ledger-api' };
const ORG = '5d0c5f7e-6f1a-4c8e-9a51-0d8f4d1b2c3a';

@Controller('probe')
class ProbeController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('any')
  any(@CurrentActor() actor: Actor): Actor {
    return actor;
  }

  @Roles('grant-manager', 'admin')
  @Get('managers')
  managers(@CurrentActor() actor: Actor): Actor {
    return actor;
  }

  @Roles('auditor', 'grant-manager')
  @Get('audit-trail')
  auditTrail(@CurrentActor() actor: Actor): Actor {
    return actor;
  }
}

@Roles('reviewer')
@Controller('reviews')
class ReviewsController {
  @Get()
  list(): { ok: true } {
    return { ok: true };
  }

  @Roles('admin')
  @Get('admin-only')
  adminOnly(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  imports: [AuthModule.forRoot(config)],
  controllers: [ProbeController, ReviewsController],
  providers: [PROBLEM_DETAILS_FILTER],
})
class GuardTestModule {}

describe('AuthGuard through HTTP', () => {
  let app: INestApplication;
  const bearer = async (actor: Actor, overrides: Partial<AuthConfig> = {}, ttl = '5m') =>
    `Bearer ${await signToken(actor, { ...config, ...overrides }, ttl)}`;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [GuardTestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  const expectUnauthorized = (response: request.Response) => {
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(response.body).toMatchObject({ type: PROBLEM_TYPES.unauthenticated, status: 401 });
  };

  it('lets a @Public() route through without a token', async () => {
    const response = await request(app.getHttpServer()).get('/probe/public');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
  });

  it('answers 401 problem+json with WWW-Authenticate when no token is sent', async () => {
    const response = await request(app.getHttpServer()).get('/probe/any');
    expectUnauthorized(response);
    expect(response.body.instance).toBe('/probe/any');
    expect(response.headers['www-authenticate']).not.toContain('invalid_token');
  });

  it('refuses a non-Bearer Authorization scheme', async () => {
    const response = await request(app.getHttpServer()).get('/probe/any').set('Authorization', 'Basic YWxpY2U6cHc=');
    expectUnauthorized(response);
  });

  it.each([
    ['a bad signature', { jwtSecret: 'some-other-secret' }, '5m'],
    ['an expired token', {}, '-1m'],
    ['a wrong audience', { audience: 'someone-else' }, '5m'],
    ['a wrong issuer', { issuer: 'evil-issuer' }, '5m'],
  ])('refuses %s with 401 invalid_token', async (_case, overrides, ttl) => {
    const response = await request(app.getHttpServer())
      .get('/probe/any')
      .set('Authorization', await bearer({ id: 'alice', role: 'admin' }, overrides, ttl));
    expectUnauthorized(response);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses a token whose role is not one of ours', async () => {
    const token = await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(config.jwtSecret));
    const response = await request(app.getHttpServer()).get('/probe/any').set('Authorization', `Bearer ${token}`);
    expectUnauthorized(response);
  });

  it('refuses an unsigned (alg none) token', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 300;
    const token = `${encode({ alg: 'none' })}.${encode({ sub: 'mallory', role: 'admin', iss: config.issuer, aud: config.audience, exp })}.`;
    const response = await request(app.getHttpServer()).get('/probe/any').set('Authorization', `Bearer ${token}`);
    expectUnauthorized(response);
  });

  it('refuses an applicant token without an organisation', async () => {
    const token = await new SignJWT({ role: 'applicant' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('amal')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(config.jwtSecret));
    const response = await request(app.getHttpServer()).get('/probe/any').set('Authorization', `Bearer ${token}`);
    expectUnauthorized(response);
  });

  it('passes a valid token and hands the actor to the handler', async () => {
    const response = await request(app.getHttpServer())
      .get('/probe/any')
      .set('Authorization', await bearer({ id: 'amal', role: 'applicant', organisationId: ORG }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: 'amal', role: 'applicant', organisationId: ORG });
  });

  it('accepts a listed role', async () => {
    const response = await request(app.getHttpServer())
      .get('/probe/managers')
      .set('Authorization', await bearer({ id: 'alice', role: 'grant-manager' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: 'alice', role: 'grant-manager' });
  });

  it('answers 403 problem+json to a role that is not listed', async () => {
    const response = await request(app.getHttpServer())
      .get('/probe/managers')
      .set('Authorization', await bearer({ id: 'rita', role: 'reviewer' }));
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: PROBLEM_TYPES.forbidden, status: 403, instance: '/probe/managers' });
  });

  it('refuses an auditor on a route without @Roles', async () => {
    const response = await request(app.getHttpServer())
      .get('/probe/any')
      .set('Authorization', await bearer({ id: 'audrey', role: 'auditor' }));
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(PROBLEM_TYPES.forbidden);
  });

  it('refuses a partner system on a route without @Roles', async () => {
    const response = await request(app.getHttpServer())
      .get('/probe/any')
      .set('Authorization', await bearer({ id: 'donor-reporting', role: 'partner' }));
    expect(response.status).toBe(403);
  });

  it('admits an auditor where @Roles lists auditor', async () => {
    const response = await request(app.getHttpServer())
      .get('/probe/audit-trail')
      .set('Authorization', await bearer({ id: 'audrey', role: 'auditor' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: 'audrey', role: 'auditor' });
  });

  it('applies class-level @Roles, and a handler-level list replaces it', async () => {
    const server = app.getHttpServer();
    const reviewer = await bearer({ id: 'rita', role: 'reviewer' });
    const admin = await bearer({ id: 'ada', role: 'admin' });
    expect((await request(server).get('/reviews').set('Authorization', reviewer)).status).toBe(200);
    expect((await request(server).get('/reviews').set('Authorization', admin)).status).toBe(403);
    expect((await request(server).get('/reviews/admin-only').set('Authorization', admin)).status).toBe(200);
    expect((await request(server).get('/reviews/admin-only').set('Authorization', reviewer)).status).toBe(403);
  });
});
