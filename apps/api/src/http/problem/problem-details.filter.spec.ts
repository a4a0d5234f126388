import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpException,
  InternalServerErrorException,
  Logger,
  Module,
  Post,
  UnauthorizedException,
  ValidationPipe,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsInt, IsString, Min, MinLength, ValidateNested } from 'class-validator';
import request from 'supertest';
import { WrongExpectedVersionError } from '@app/event-store';
import { ConflictRetriesExhausted } from '@app/application/retry-on-conflict';
import { AlreadyExists, DomainRuleViolation, InvalidStateTransition, StreamNotFound } from '@app/domain/shared/decider';
import { IdempotencyKeyReused } from '@app/platform/idempotency/idempotency-key-reused.error';
import { PROBLEM_DETAILS_FILTER, retryAfterSeconds, toProblemDetails } from './problem-details.filter';
import { PROBLEM_TYPES } from './problem-types';
import { MalformedRequestError, RequestValidationError, validationExceptionFactory } from './validation';

class CriterionDto {
  @IsString()
  @MinLength(1)
  name: string;

  @IsInt()
  @Min(1)
  weight: number;
}

class CreateCallDto {
  @IsString()
  @MinLength(3)
  title: string;

  @ValidateNested({ each: true })
  @ArrayMinSize(1)
  @Type(() => CriterionDto)
  criteria: CriterionDto[];
}

class BudgetCeilingExceeded extends DomainRuleViolation {
  constructor() {
    super('budget-within-call-ceiling', 'The requested amount exceeds the call ceiling');
  }
}

const INTERNAL_SECRET = 'postgres://admin:hunter2@db.internal/ledger';

@Controller('problems')
class ProblemsController {
  @Post('calls')
  create(@Body() body: CreateCallDto): { title: string } {
    return { title: body.title };
  }

  @Get('rule')
  rule(): never {
    throw new BudgetCeilingExceeded();
  }

  @Get('state')
  state(): never {
    throw new InvalidStateTransition('published', 'publish');
  }

  @Get('exists')
  exists(): never {
    throw new AlreadyExists('call-1');
  }

  @Get('version')
  version(): never {
    throw new WrongExpectedVersionError('call-1', 3, 5);
  }

  @Get('missing')
  missing(): never {
    throw new StreamNotFound('call-404');
  }

  @Get('missing-document')
  missingDocument(): never {
    throw new StreamNotFound('document 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e of proposal-3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f');
  }

  @Post('boom')
  boom(): never {
    throw new Error(`connect failed: ${INTERNAL_SECRET}`);
  }

  @Get('thrown-string')
  thrownString(): never {
    throw INTERNAL_SECRET;
  }

  @Get('internal-http')
  internalHttp(): never {
    throw new InternalServerErrorException(INTERNAL_SECRET);
  }

  @Get('forbidden')
  forbidden(): never {
    throw new ForbiddenException('Not your proposal');
  }

  @Get('unauthorized')
  unauthorized(): never {
    throw new UnauthorizedException();
  }

  @Get('idempotency-reused')
  idempotencyReused(): never {
    throw new IdempotencyKeyReused();
  }

  @Get('teapot')
  teapot(): never {
    throw new HttpException('Short and stout', 418);
  }
}

@Module({ controllers: [ProblemsController], providers: [PROBLEM_DETAILS_FILTER] })
class ProblemsTestModule {}

describe('ProblemDetailsFilter through HTTP', () => {
  let app: INestApplication;
  let loggedErrors: jest.SpyInstance;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ProblemsTestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(
      new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationExceptionFactory }),
    );
    await app.init();
  });

  beforeEach(() => {
    loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    loggedErrors.mockRestore();
  });

  afterAll(async () => {
    await app.close();
  });

  const expectProblem = (response: request.Response, status: number, type: string) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type, status, title: expect.any(String), detail: expect.any(String) });
  };

  it('answers a validation failure with 400 and field errors as dotted paths', async () => {
    const response = await request(app.getHttpServer())
      .post('/problems/calls?draft=1')
      .send({ title: 'ok', criteria: [{ name: 'impact', weight: 2 }, { name: 'fit', weight: 0 }], extra: true });
    expectProblem(response, 400, PROBLEM_TYPES.validation);
    expect(response.body.instance).toBe('/problems/calls');
    const fields = (response.body.errors as { field: string; messages: string[] }[]).map((error) => error.field).sort();
    expect(fields).toEqual(['criteria.1.weight', 'extra', 'title']);
    for (const error of response.body.errors) expect(error.messages.length).toBeGreaterThan(0);
    expect(loggedErrors).not.toHaveBeenCalled();
  });

  it('accepts a valid body', async () => {
    const response = await request(app.getHttpServer())
      .post('/problems/calls')
      .send({ title: 'Housing rights', criteria: [{ name: 'impact', weight: 2 }] });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ title: 'Housing rights' });
  });

  it('answers malformed JSON with 400 without echoing the body', async () => {
    const response = await request(app.getHttpServer())
      .post('/problems/calls')
      .set('Content-Type', 'application/json')
      .send('{"title": "secret-fragment", ');
    expectProblem(response, 400, PROBLEM_TYPES.malformedRequest);
    expect(JSON.stringify(response.body)).not.toContain('secret-fragment');
  });

  it.each(['null', '42', '"a string"', 'true', '  null  '])('answers the valid JSON scalar %s as a body with 400 "must be a JSON object"', async (body) => {
    const response = await request(app.getHttpServer()).post('/problems/calls').set('Content-Type', 'application/json').send(body);
    expectProblem(response, 400, PROBLEM_TYPES.malformedRequest);
    expect(response.body.detail).toBe('The request body must be a JSON object');
  });

  it.each(['{"title": ', 'nul', '"unterminated', '{"a":1} trailing'])('still calls %j not valid JSON', async (body) => {
    const response = await request(app.getHttpServer()).post('/problems/calls').set('Content-Type', 'application/json').send(body);
    expectProblem(response, 400, PROBLEM_TYPES.malformedRequest);
    expect(response.body.detail).toBe('The request body is not valid JSON');
  });

  it('maps IdempotencyKeyReused to 422 with its own type and rule', async () => {
    const response = await request(app.getHttpServer()).get('/problems/idempotency-reused');
    expectProblem(response, 422, PROBLEM_TYPES.idempotencyKeyReused);
    expect(response.body.rule).toBe('idempotency.key-reused');
  });

  it('maps a DomainRuleViolation subclass to 422 with the rule', async () => {
    const response = await request(app.getHttpServer()).get('/problems/rule');
    expectProblem(response, 422, PROBLEM_TYPES.domainRuleViolation);
    expect(response.body.rule).toBe('budget-within-call-ceiling');
  });

  it('maps InvalidStateTransition to 409', async () => {
    const response = await request(app.getHttpServer()).get('/problems/state');
    expectProblem(response, 409, PROBLEM_TYPES.invalidStateTransition);
    expect(response.body).toMatchObject({ currentStatus: 'published', attempted: 'publish' });
  });

  it('maps AlreadyExists to 409', async () => {
    expectProblem(await request(app.getHttpServer()).get('/problems/exists'), 409, PROBLEM_TYPES.alreadyExists);
  });

  it('maps WrongExpectedVersionError to 409 with both versions', async () => {
    const response = await request(app.getHttpServer()).get('/problems/version');
    expectProblem(response, 409, PROBLEM_TYPES.versionConflict);
    expect(response.body).toMatchObject({ expectedVersion: 3, actualVersion: 5 });
  });

  it('maps StreamNotFound to 404', async () => {
    const response = await request(app.getHttpServer()).get('/problems/missing');
    expectProblem(response, 404, PROBLEM_TYPES.notFound);
    expect(response.body.instance).toBe('/problems/missing');
  });

  it('names a record as the API does, not by its stream in the log', async () => {
    const response = await request(app.getHttpServer()).get('/problems/missing-document');
    expect(response.body.detail).toBe('document 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e of proposal 3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f not found');
  });

  it('answers an unknown route with a 404 problem', async () => {
    expectProblem(await request(app.getHttpServer()).get('/nowhere'), 404, PROBLEM_TYPES.notFound);
  });

  it('answers an unexpected error with a generic 500 and logs it without the request body', async () => {
    const response = await request(app.getHttpServer()).post('/problems/boom').send({ applicantEmail: 'amal@example.org' });
    expectProblem(response, 500, PROBLEM_TYPES.internal);
    expect(JSON.stringify(response.body)).not.toMatch(/hunter2|connect failed|Error/);
    expect(loggedErrors).toHaveBeenCalledTimes(1);
    const logged = JSON.stringify(loggedErrors.mock.calls[0]);
    expect(logged).toContain('connect failed');
    expect(logged).not.toContain('amal@example.org');
  });

  it('answers a thrown non-Error with a generic 500', async () => {
    const response = await request(app.getHttpServer()).get('/problems/thrown-string');
    expectProblem(response, 500, PROBLEM_TYPES.internal);
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it('does not leak the message of a 5xx HttpException', async () => {
    const response = await request(app.getHttpServer()).get('/problems/internal-http');
    expectProblem(response, 500, PROBLEM_TYPES.internal);
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it('keeps the status and message of a 4xx HttpException', async () => {
    const response = await request(app.getHttpServer()).get('/problems/forbidden');
    expectProblem(response, 403, PROBLEM_TYPES.forbidden);
    expect(response.body.detail).toBe('Not your proposal');
  });

  it('adds WWW-Authenticate to a 401', async () => {
    const response = await request(app.getHttpServer()).get('/problems/unauthorized');
    expectProblem(response, 401, PROBLEM_TYPES.unauthenticated);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('uses about:blank and the status phrase for other statuses', async () => {
    const response = await request(app.getHttpServer()).get('/problems/teapot');
    expectProblem(response, 418, PROBLEM_TYPES.other);
    expect(response.body.title).toBe("I'm a Teapot");
  });
});

describe('toProblemDetails', () => {
  it.each([
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['55P03', 'lock not available'],
  ])('maps database contention (%s, %s), also wrapped by TypeORM, to a 503 that says nothing was changed', (code, message) => {
    const driverError = Object.assign(new Error(message), { code });
    for (const exception of [driverError, Object.assign(new Error('QueryFailedError'), { name: 'QueryFailedError', driverError })]) {
      const problem = toProblemDetails(exception, '/calls', 'POST');
      expect(problem).toMatchObject({ status: 503, type: PROBLEM_TYPES.serviceUnavailable });
      expect(problem.detail).toContain('nothing was changed');
      expect(retryAfterSeconds(exception, problem, { outageRetryAfterSeconds: 7 })).toBe(7);
    }
  });

  it('maps a command whose retries were all overtaken by other writers to a 503 that says nothing was changed, not to a 409 naming a version the client never sent', () => {
    const exception = new ConflictRetriesExhausted(new WrongExpectedVersionError('organisation-1', 122, 123), 12);
    const problem = toProblemDetails(exception, '/organisations/1', 'PATCH');
    expect(problem).toMatchObject({ status: 503, type: PROBLEM_TYPES.serviceUnavailable });
    expect(problem.detail).toContain('12 attempts');
    expect(problem.detail).toContain('nothing was changed');
    expect(JSON.stringify(problem)).not.toMatch(/122|123|expectedVersion/);
    expect(retryAfterSeconds(exception, problem, { outageRetryAfterSeconds: 7 })).toBe(7);
    // A conflict on a version the client pinned stays 409 with both versions.
    expect(toProblemDetails(new WrongExpectedVersionError('organisation-1', 122, 123), '/organisations/1', 'PATCH')).toMatchObject({ status: 409, expectedVersion: 122, actualVersion: 123 });
  });

  it('keeps any other database error a 500', () => {
    expect(toProblemDetails(Object.assign(new Error('duplicate key'), { code: '23505' }), '/calls', 'POST')).toMatchObject({ status: 500 });
  });

  it('maps MalformedRequestError to a 400 malformed-request problem with its detail', () => {
    expect(toProblemDetails(new MalformedRequestError('The request body is nested deeper than 32 levels'), '/calls')).toMatchObject({
      status: 400,
      type: PROBLEM_TYPES.malformedRequest,
      detail: 'The request body is nested deeper than 32 levels',
      instance: '/calls',
    });
  });
});

describe('validationExceptionFactory', () => {
  it('flattens nested errors into dotted paths', () => {
    const error = validationExceptionFactory([
      {
        property: 'criteria',
        children: [{ property: '0', children: [{ property: 'weight', constraints: { min: 'weight must not be less than 1' } }] }],
      },
    ]);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect(error.errors).toEqual([{ field: 'criteria.0.weight', messages: ['weight must not be less than 1'] }]);
  });
});
