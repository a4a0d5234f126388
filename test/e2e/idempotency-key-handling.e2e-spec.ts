/**
 * `Idempotency-Key` as the HTTP layer handles it (IdempotencyKeyGuard and the handler's wrapper,
 * bound by `Idempotent()`), on the real app with its global guards, pipes and problem+json filter:
 * the status a replay carries is the one Nest sent (201 for a POST, `@HttpCode`, or set by the
 * handler itself), the key's checks come before validation as they did in an interceptor, failures
 * are not remembered, a failed remember is not the client's problem, GET/HEAD ignore the key — and
 * no request, keyed or not, passes through Nest's interceptor chain (rxjs on every request, issue 11).
 */
import { randomUUID } from 'node:crypto';
import { Body, ConflictException, Controller, Delete, Get, Head, HttpCode, Inject, Logger, Module, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse } from '@nestjs/swagger';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer';
import { IsString, MaxLength } from 'class-validator';
import type { Response as ExpressResponse } from 'express';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { Roles } from '@app/platform';
import { ExecuteCallCommand } from '@app/application/calls/call-commands';
import type { CommandContext } from '@app/application/command-context';
import { ID_GENERATOR, type IdGenerator } from '@app/platform/ids';
import { CallsController } from '../../apps/api/src/calls/calls.controller';
import { GrantsController } from '../../apps/api/src/grants/grants.controller';
import { Idempotent } from '../../apps/api/src/http/command-docs';
import { answersWithCommandResult, CommandCtx } from '../../apps/api/src/http/command-context.decorator';
import { CommandResultDto } from '../../apps/api/src/http/command-result.dto';
import { OrganisationsController } from '../../apps/api/src/organisations/organisations.controller';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';
import { createTestApp, type TestApp } from '../support/app';
import { logIsPostgres } from '../support/log';

class ProbeBody {
  @IsString()
  @MaxLength(20)
  word!: string;
}

/** Routes shaped like the API's commands, counting how often their handler really ran. */
@Controller('idempotency-probe')
class ProbeController {
  readonly ran: Record<string, number> = {};

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
  ) {}

  private count(route: string): number {
    this.ran[route] = (this.ran[route] ?? 0) + 1;
    return this.ran[route];
  }

  @Post('created')
  @Roles('admin')
  @Idempotent()
  created(@Body() body: ProbeBody) {
    return { route: 'created', word: body.word, run: this.count('created') };
  }

  // Idempotent() before HttpCode(): HttpCode writes on the original handler, the wrapper must carry it.
  @Post('accepted')
  @Idempotent()
  @HttpCode(202)
  @Roles('admin')
  accepted(@Body() body: ProbeBody) {
    return { route: 'accepted', word: body.word, run: this.count('accepted') };
  }

  @Post('self-set')
  @Roles('admin')
  @Idempotent()
  selfSet(@Body() body: ProbeBody, @Res({ passthrough: true }) response: ExpressResponse) {
    response.status(203);
    return { route: 'self-set', word: body.word, run: this.count('self-set') };
  }

  @Delete('gone')
  @Idempotent()
  @HttpCode(204)
  @Roles('admin')
  gone(): void {
    this.count('gone');
  }

  /** Refuses the first attempt of each word with 409, then succeeds. */
  @Post('flaky')
  @Roles('admin')
  @Idempotent()
  flaky(@Body() body: ProbeBody) {
    const run = this.count(`flaky-${body.word}`);
    if (run === 1) throw new ConflictException('not yet');
    return { route: 'flaky', word: body.word, run };
  }

  /**
   * Documented as answering the command's `{ id, version }` (so its command is offered the answer to
   * remember with its events), but answers more: what it answers is what is remembered and replayed.
   */
  @Post('misdocumented')
  @Roles('admin')
  @ApiCreatedResponse({ type: CommandResultDto })
  @Idempotent()
  async misdocumented(@Body() body: ProbeBody, @CommandCtx() ctx: CommandContext) {
    const callId = this.ids.forCommand(ctx, 'call');
    const data = { callId, ...draftCallBody({ title: `Probe ${body.word}`, criteria: SINGLE_CRITERION }) };
    const result = await this.commandBus.execute(new ExecuteCallCommand({ type: 'DraftCall', data } as ExecuteCallCommand['command'], ctx, { newStream: true }));
    return { ...result, run: this.count('misdocumented') };
  }

  @Get('read')
  @Roles('admin')
  @Idempotent()
  read() {
    return { route: 'read', run: this.count('read') };
  }

  @Head('read')
  @Roles('admin')
  @Idempotent()
  head(): void {
    this.count('head');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const expectProblem = (res: Response, status: number, type: string) => {
  expect({ status: res.status, type: res.body.type }).toEqual({ status, type });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('Idempotency-Key handled without an interceptor', () => {
  let t: TestApp;
  let admin: string;
  let probe: ProbeController;
  let pg: Client;
  /** The interceptors Nest was handed for each request, as it runs the route. */
  let interceptorsPerRequest: unknown[][];
  let intercept: jest.SpyInstance;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false, imports: [ProbeModule] });
    admin = await t.token({ role: 'admin', id: 'root' });
    probe = t.app.get(ProbeController);
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
    const original = InterceptorsConsumer.prototype.intercept;
    interceptorsPerRequest = [];
    intercept = jest.spyOn(InterceptorsConsumer.prototype, 'intercept').mockImplementation(function (this: InterceptorsConsumer, ...args: Parameters<InterceptorsConsumer['intercept']>) {
      interceptorsPerRequest.push([...(args[0] ?? [])]);
      return original.apply(this, args);
    });
  });

  afterAll(async () => {
    intercept.mockRestore();
    await pg.end();
    await t.close();
  });

  const post = (path: string, key: string | undefined, body: object) => {
    const req = t.http.post(path).set('Authorization', `Bearer ${admin}`);
    return (key === undefined ? req : req.set('Idempotency-Key', key)).send(body);
  };
  const remembered = async (key: string) => (await pg.query('SELECT status, response FROM idempotency_keys WHERE scope = $1 AND key = $2', ['root', key])).rows;

  it('no request, a command with or without a key or a read, goes through an interceptor', async () => {
    interceptorsPerRequest = [];
    const manager = await t.token({ role: 'grant-manager', id: 'alice' });
    const draft = () => t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftCallBody({ criteria: SINGLE_CRITERION }));
    const { body: call } = await draft().expect(201);
    await draft().set('Idempotency-Key', randomUUID()).expect(201);
    // Whatever they answer (the read model follows the log without a worker here), each ran its route.
    expect((await t.http.post(`/calls/${call.id}/publish`).set('Authorization', `Bearer ${manager}`)).status).toBeLessThan(500);
    expect((await t.http.get(`/calls/${call.id}`).set('Authorization', `Bearer ${manager}`)).status).toBeLessThan(500);
    await post('/idempotency-probe/created', randomUUID(), { word: 'chain' }).expect(201);
    expect(interceptorsPerRequest.length).toBe(5);
    expect(interceptorsPerRequest.filter((interceptors) => interceptors.length > 0)).toEqual([]);
  });

  it.each([
    ['a POST without @HttpCode', 'created', 201],
    ['@HttpCode(202), applied before Idempotent()', 'accepted', 202],
    ['a status the handler set itself', 'self-set', 203],
  ])('replays %s with the status first sent, without running the handler again', async (_, route, status) => {
    const key = randomUUID();
    const first = await post(`/idempotency-probe/${route}`, key, { word: 'once' });
    expect(first.status).toBe(status);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await remembered(key)).toEqual([{ status, response: first.body }]);

    const retry = await post(`/idempotency-probe/${route}`, key, { word: 'once' });
    expect({ status: retry.status, body: retry.body, replayed: retry.headers['idempotent-replayed'] }).toEqual({ status, body: first.body, replayed: 'true' });
    expect(probe.ran[route]).toBe(first.body.run);
  });

  it('replays a 204 with no body', async () => {
    const key = randomUUID();
    const gone = () => t.http.delete('/idempotency-probe/gone').set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', key);
    const first = await gone().expect(204);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const runs = probe.ran.gone;
    const retry = await gone().expect(204);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(probe.ran.gone).toBe(runs);
  });

  it('a key of 255 characters is taken, one of 256 is refused with 400 before the handler runs', async () => {
    await post('/idempotency-probe/created', 'k'.repeat(255), { word: 'long' }).expect(201);
    const runs = probe.ran.created;
    const res = await post('/idempotency-probe/created', 'k'.repeat(256), { word: 'long' });
    expectProblem(res, 400, PROBLEM_TYPES.badRequest);
    expect(res.body.detail).toMatch(/Idempotency-Key is longer than 255 characters/);
    expect(probe.ran.created).toBe(runs);
  });

  it('a key reused for another body, another route or another If-Match is 422, before the body is validated', async () => {
    const key = randomUUID();
    await post('/idempotency-probe/created', key, { word: 'first' }).expect(201);
    const runs = { ...probe.ran };
    for (const res of [
      await post('/idempotency-probe/created', key, { word: 'second' }),
      await post('/idempotency-probe/accepted', key, { word: 'first' }),
      await post('/idempotency-probe/created', key, { word: 'first' }).set('If-Match', '"3"'),
      // Invalid as well: the reused key is what the client is told about, as when an interceptor checked it.
      await post('/idempotency-probe/created', key, { word: 'x'.repeat(50), extra: true }),
    ]) {
      expectProblem(res, 422, PROBLEM_TYPES.idempotencyKeyReused);
      expect(res.body.rule).toBe('idempotency.key-reused');
    }
    expect(probe.ran).toEqual(runs);
  });

  it('a failed request is not remembered: the same key with a corrected or repeated request runs it', async () => {
    const key = randomUUID();
    expectProblem(await post('/idempotency-probe/created', key, { word: 'x'.repeat(50) }), 400, PROBLEM_TYPES.validation);
    expect(await remembered(key)).toEqual([]);
    await post('/idempotency-probe/created', key, { word: 'fixed' }).expect(201);

    const flakyKey = randomUUID();
    const refused = await post('/idempotency-probe/flaky', flakyKey, { word: flakyKey.slice(0, 8) });
    expectProblem(refused, 409, PROBLEM_TYPES.conflict);
    expect(await remembered(flakyKey)).toEqual([]);
    const ran = await post('/idempotency-probe/flaky', flakyKey, { word: flakyKey.slice(0, 8) }).expect(201);
    expect(ran.body.run).toBe(2);
    const replay = await post('/idempotency-probe/flaky', flakyKey, { word: flakyKey.slice(0, 8) }).expect(201);
    expect({ body: replay.body, replayed: replay.headers['idempotent-replayed'] }).toEqual({ body: ran.body, replayed: 'true' });
  });

  it('GET and HEAD ignore the key: no look-up, no replay, no length check', async () => {
    const key = randomUUID();
    const get = (k: string) => t.http.get('/idempotency-probe/read').set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', k);
    const first = await get(key).expect(200);
    const second = await get(key).expect(200);
    expect(second.body.run).toBe(first.body.run + 1);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    await get('k'.repeat(300)).expect(200);
    await t.http.head('/idempotency-probe/read').set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', 'k'.repeat(300)).expect(200);
    expect(await remembered(key)).toEqual([]);
  });

  it('when the answer cannot be remembered it is still sent (a command route remembers it with its events: test/e2e/idempotency.e2e-spec.ts)', async () => {
    await pg.query('ALTER TABLE idempotency_keys ADD CONSTRAINT refuse_new_answers CHECK (false) NOT VALID');
    try {
      const key = randomUUID();
      const first = await post('/idempotency-probe/created', key, { word: 'unremembered' }).expect(201);
      expect(await remembered(key)).toEqual([]);
      const again = await post('/idempotency-probe/created', key, { word: 'unremembered' }).expect(201);
      expect(again.body.run).toBe(first.body.run + 1);
    } finally {
      await pg.query('ALTER TABLE idempotency_keys DROP CONSTRAINT refuse_new_answers');
    }
  });

  it('a route documented as answering { id, version } that answers more has what it answered remembered, and says so in the log', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    try {
      const key = randomUUID();
      const first = await post('/idempotency-probe/misdocumented', key, { word: 'more' }).expect(201);
      expect(first.body).toEqual({ id: expect.any(String), version: 0, run: expect.any(Number) });
      expect(await remembered(key)).toEqual([{ status: 201, response: first.body }]);
      const replay = await post('/idempotency-probe/misdocumented', key, { word: 'more' }).expect(201);
      expect({ body: replay.body, replayed: replay.headers['idempotent-replayed'] }).toEqual({ body: first.body, replayed: 'true' });
      // Only where the store wrote the answer with the events (PostgreSQL) was there anything to put right.
      const corrected = errors.mock.calls.filter(([message]) => /answered otherwise/.test(JSON.stringify(message)));
      expect(corrected).toHaveLength(logIsPostgres(t) ? 1 : 0);
    } finally {
      errors.mockRestore();
    }
  });

  it('offers the answer to the command only on routes whose every documented success is { id, version }', () => {
    expect(answersWithCommandResult(CallsController.prototype.draft)).toBe(true);
    expect(answersWithCommandResult(OrganisationsController.prototype.update)).toBe(true);
    expect(answersWithCommandResult(GrantsController.prototype.scheduleDisbursement)).toBe(false);
    expect(answersWithCommandResult(ProbeController.prototype.created)).toBe(false);
    expect(answersWithCommandResult(ProbeController.prototype.misdocumented)).toBe(true);
  });

  it('a second app in the same process keeps its own answers (its own pool, nothing shared)', async () => {
    const other = await createTestApp({ runWorker: false, imports: [ProbeModule] });
    try {
      const key = randomUUID();
      const token = await other.token({ role: 'admin', id: 'root' });
      const mine = await post('/idempotency-probe/created', key, { word: 'two-apps' }).expect(201);
      const theirs = await other.http.post('/idempotency-probe/created').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send({ word: 'two-apps' }).expect(201);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
      expect(theirs.body.run).toBe(1);
      const replay = await other.http.post('/idempotency-probe/created').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send({ word: 'two-apps' }).expect(201);
      expect({ body: replay.body, replayed: replay.headers['idempotent-replayed'] }).toEqual({ body: theirs.body, replayed: 'true' });
      expect((await post('/idempotency-probe/created', key, { word: 'two-apps' }).expect(201)).body).toEqual(mine.body);
    } finally {
      await other.close();
    }
  });
});
