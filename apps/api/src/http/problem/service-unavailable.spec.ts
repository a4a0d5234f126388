import { Controller, Get, HttpException, Logger, Module, Post, ServiceUnavailableException, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Metadata } from '@grpc/grpc-js';
import {
  AccessDeniedError,
  DeadlineExceededError,
  NotLeaderError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
} from '@eventstore/db-client';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, DatabaseError, Pool } from 'pg';
import request from 'supertest';
import { QueryFailedError } from 'typeorm';
import { WrongExpectedVersionError } from '@app/event-store';
import { PROBLEM_DETAILS_FILTER, toProblemDetails } from './problem-details.filter';
import { PROBLEM_TYPES } from './problem-types';
import { isOutage, PROBLEM_DETAILS_OPTIONS, problemDetailsOptionsFromEnv } from './service-unavailable';
import { TooManyRequestsError } from './validation';

/** A DatabaseError as pg-protocol's parser builds it from a server's ErrorResponse. */
function serverError(code: string, message: string, severity = 'ERROR'): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  Object.assign(error, { severity, code, file: 'postgres.c', routine: 'ProcessInterrupts' });
  return error;
}

/** A gRPC ServiceError as @grpc/grpc-js hands it to the EventStoreDB client. */
function grpcStatus(code: number, details: string, entries: Record<string, string> = {}) {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

/** A TCP server that accepts and then does what `onSocket` says (never answer, or hang up). */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('isOutage', () => {
  const silent = { host: '127.0.0.1', user: 'ledger', database: 'ledger', password: 'x' };
  let servers: Server[] = [];
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
  });

  it.each([
    ['57P01 admin_shutdown (pg_terminate_backend, a fast shutdown)', serverError('57P01', 'terminating connection due to administrator command', 'FATAL')],
    ['57P02 crash_shutdown', serverError('57P02', 'terminating connection because of crash of another server process', 'FATAL')],
    ['57P03 cannot_connect_now (starting up)', serverError('57P03', 'the database system is starting up', 'FATAL')],
    ['53300 too_many_connections', serverError('53300', 'sorry, too many clients already', 'FATAL')],
    ['08006 connection_failure', serverError('08006', 'connection failure')],
    ['08P01 protocol_violation', serverError('08P01', 'invalid frontend message type')],
  ])('recognises a PostgreSQL %s, also wrapped by TypeORM', (_case, error) => {
    expect(isOutage(error)).toBe(true);
    expect(isOutage(new QueryFailedError('INSERT INTO events …', ['secret'], error))).toBe(true);
  });

  it.each([
    ['23505 unique_violation', serverError('23505', 'duplicate key value violates unique constraint "events_stream_version_key"')],
    ['22P05 untranslatable_character', serverError('22P05', 'unsupported Unicode escape sequence')],
    ['42P01 undefined_table', serverError('42P01', 'relation "x" does not exist')],
    ['57014 query_canceled', serverError('57014', 'canceling statement due to statement timeout')],
  ])('does not call a PostgreSQL %s an outage', (_case, error) => {
    expect(isOutage(error)).toBe(false);
    expect(isOutage(new QueryFailedError('SELECT 1', [], error))).toBe(false);
  });

  it('recognises ECONNREFUSED from node-postgres when nothing listens', async () => {
    const { server, port } = await tcpServer(() => undefined);
    await new Promise((resolve) => server.close(resolve)); // the port is now closed
    const client = new Client({ ...silent, port });
    const error = await rejection(client.connect());
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isOutage(error)).toBe(true);
  });

  it("recognises a Unix socket's server stopped (its socket file gone: ENOENT on connect, as the embedded PostgreSQL's restart gives) or killed (the file left: ECONNREFUSED)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outage-socket-'));
    try {
      const gone = await rejection(new Client({ ...silent, host: dir, port: 5432 }).connect());
      expect(gone).toMatchObject({ code: 'ENOENT', syscall: 'connect' });
      expect(isOutage(gone)).toBe(true);
      // A server killed with SIGKILL leaves its socket file behind, with nobody listening on it.
      const killed = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(join(dir, '.s.PGSQL.5433'))}, () => console.log('up'))`]);
      await new Promise((resolve) => killed.stdout.once('data', resolve));
      killed.kill('SIGKILL');
      await new Promise((resolve) => killed.once('exit', resolve));
      expect(existsSync(join(dir, '.s.PGSQL.5433'))).toBe(true);
      const refused = await rejection(new Client({ ...silent, host: dir, port: 5433 }).connect());
      expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
      expect(isOutage(refused)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Not every ENOENT: a file the code looks for and does not find is a fault, not an outage.
    expect(isOutage(Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: 'ENOENT', syscall: 'open' }))).toBe(false);
  });

  it('recognises "Connection terminated unexpectedly" when the server hangs up mid-handshake', async () => {
    const running = await tcpServer((socket) => socket.once('data', () => socket.destroy()));
    servers.push(running.server);
    const client = new Client({ ...silent, port: running.port });
    const error = await rejection(client.connect());
    expect((error as Error).message).toBe('Connection terminated unexpectedly');
    expect(isOutage(error)).toBe(true);
  });

  it('recognises pg-pool timeouts: the connection timeout and "timeout exceeded when trying to connect"', async () => {
    const running = await tcpServer((socket) => sockets.push(socket)); // accepts, never answers
    servers.push(running.server);
    const pool = new Pool({ ...silent, port: running.port, max: 1, connectionTimeoutMillis: 100 });
    try {
      const [first, queued] = await Promise.all([rejection(pool.connect()), rejection(pool.connect())]);
      const messages = [first, queued].map((error) => (error as Error).message).sort();
      expect(messages).toEqual(['Connection terminated due to connection timeout', 'timeout exceeded when trying to connect']);
      expect(isOutage(first)).toBe(true);
      expect(isOutage(queued)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it.each(['ECONNRESET', 'EPIPE', 'ETIMEDOUT'])('recognises a socket %s, also as a cause or inside an AggregateError', (code) => {
    const socketError = Object.assign(new Error(`write ${code}`), { code, errno: -32, syscall: 'write' });
    expect(isOutage(socketError)).toBe(true);
    expect(isOutage(new Error('append failed', { cause: socketError }))).toBe(true);
    expect(isOutage(Object.assign(new AggregateError([socketError]), { code }))).toBe(true);
  });

  it.each([
    ['UnavailableError', new UnavailableError(grpcStatus(14, 'No connection established') as never)],
    ['DeadlineExceededError', new DeadlineExceededError(grpcStatus(4, 'Deadline exceeded') as never)],
    ['NotLeaderError', new NotLeaderError(grpcStatus(5, 'Leader info available', { 'leader-endpoint-host': '10.0.0.7', 'leader-endpoint-port': '2113' }) as never)],
    ['TimeoutError', new TimeoutError(undefined, 'Timed out')],
    ['a raw gRPC UNAVAILABLE status', grpcStatus(14, 'Connection dropped')],
  ])('recognises the EventStoreDB client\'s %s', (_case, error) => {
    expect(isOutage(error)).toBe(true);
  });

  it.each([
    ['StreamNotFoundError', new StreamNotFoundError(grpcStatus(5, 'not found') as never)],
    ['AccessDeniedError', new AccessDeniedError(grpcStatus(16, 'denied') as never)],
    ['a version conflict', new WrongExpectedVersionError('call-1', 3, 4)],
    ['a TypeError', new TypeError("Cannot read properties of null (reading 'map')")],
    ['an Error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('does not call %s an outage', (_case, error) => {
    expect(isOutage(error)).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const error = new Error('loop') as Error & { cause?: unknown };
    error.cause = error;
    expect(isOutage(error)).toBe(false);
  });
});

describe('problemDetailsOptionsFromEnv', () => {
  it('defaults Retry-After to 2 seconds and reads OUTAGE_RETRY_AFTER_SECONDS', () => {
    expect(problemDetailsOptionsFromEnv({})).toEqual({ outageRetryAfterSeconds: 2 });
    expect(problemDetailsOptionsFromEnv({ OUTAGE_RETRY_AFTER_SECONDS: '15' })).toEqual({ outageRetryAfterSeconds: 15 });
  });

  it.each(['0', '-1', '1.5', 'soon', '86400'])('refuses OUTAGE_RETRY_AFTER_SECONDS=%s', (value) => {
    expect(() => problemDetailsOptionsFromEnv({ OUTAGE_RETRY_AFTER_SECONDS: value })).toThrow(/OUTAGE_RETRY_AFTER_SECONDS/);
  });
});

describe('toProblemDetails for outages', () => {
  const terminated = new QueryFailedError('COMMIT', [], new Error('Connection terminated unexpectedly'));

  it('answers a query 503 service-unavailable', () => {
    expect(toProblemDetails(terminated, '/calls', 'GET')).toMatchObject({ status: 503, type: PROBLEM_TYPES.serviceUnavailable, title: 'Service unavailable' });
  });

  it('tells a command its outcome is unknown and to retry with the same Idempotency-Key', () => {
    const problem = toProblemDetails(terminated, '/calls', 'POST');
    expect(problem).toMatchObject({ status: 503, type: PROBLEM_TYPES.serviceUnavailable });
    expect(problem.detail).toMatch(/unknown/);
    expect(problem.detail).toMatch(/Idempotency-Key/);
  });

  it('never quotes the driver message or the query', () => {
    expect(JSON.stringify(toProblemDetails(terminated, '/calls', 'POST'))).not.toMatch(/COMMIT|terminated/);
  });
});

const OUTAGES: Record<string, () => unknown> = {
  'terminated-on-commit': () => new QueryFailedError('COMMIT', [], new Error('Connection terminated unexpectedly')),
  'admin-shutdown': () => serverError('57P01', 'terminating connection due to administrator command', 'FATAL'),
  'esdb-unavailable': () => new UnavailableError(grpcStatus(14, 'No connection established') as never),
};

@Controller('outage')
class OutageController {
  @Get(':kind')
  read(): never {
    throw OUTAGES['admin-shutdown']();
  }

  @Post(':kind')
  write(): never {
    throw OUTAGES['terminated-on-commit']();
  }

  @Get('limits/streams')
  limited(): never {
    throw new TooManyRequestsError('At most 5 live streams per caller', 10);
  }

  @Get('limits/throttled')
  throttled(): never {
    throw new HttpException('ThrottlerException: Too Many Requests', 429);
  }

  @Get('health/ready')
  notReady(): never {
    throw new ServiceUnavailableException({ status: 'error', details: { database: 'down at 10.0.0.5' } });
  }
}

async function outageApp(options?: { outageRetryAfterSeconds: number }): Promise<INestApplication> {
  @Module({
    controllers: [OutageController],
    providers: [PROBLEM_DETAILS_FILTER, ...(options ? [{ provide: PROBLEM_DETAILS_OPTIONS, useValue: options }] : [])],
  })
  class OutageModule {}
  const moduleRef = await Test.createTestingModule({ imports: [OutageModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('ProblemDetailsFilter: 503 and 429 with Retry-After over HTTP', () => {
  let app: INestApplication;
  let configured: INestApplication;
  let logged: { warn: jest.SpyInstance; error: jest.SpyInstance };

  beforeAll(async () => {
    app = await outageApp();
    configured = await outageApp({ outageRetryAfterSeconds: 9 });
  });

  beforeEach(() => {
    logged = {
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
      error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
    };
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await app.close();
    await configured.close();
  });

  it('answers a query during an outage 503 problem+json with Retry-After (default 2 s), logged as one warning line', async () => {
    const response = await request(app.getHttpServer()).get('/outage/admin-shutdown');
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.body).toMatchObject({ type: PROBLEM_TYPES.serviceUnavailable, status: 503, instance: '/outage/admin-shutdown' });
    expect(logged.error).not.toHaveBeenCalled();
    expect(logged.warn).toHaveBeenCalledTimes(1);
    expect(String(logged.warn.mock.calls[0][0])).toContain('57P01');
  });

  it('answers a command whose connection broke at commit 503 (outcome unknown), with the configured Retry-After', async () => {
    const response = await request(configured.getHttpServer()).post('/outage/terminated-on-commit').send({ contactEmail: 'rima@example.org' });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('9');
    expect(response.body.detail).toMatch(/unknown/);
    expect(JSON.stringify(logged.warn.mock.calls)).not.toContain('rima@example.org');
  });

  it('answers a 503 HttpException (e.g. a failed readiness check) as service-unavailable, not internal-error, without its body', async () => {
    const response = await request(app.getHttpServer()).get('/outage/health/ready');
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.body.type).toBe(PROBLEM_TYPES.serviceUnavailable);
    expect(JSON.stringify(response.body)).not.toContain('10.0.0.5');
  });

  it('answers a reached limit 429 too-many-requests with its own Retry-After', async () => {
    const response = await request(app.getHttpServer()).get('/outage/limits/streams');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('10');
    expect(response.body).toMatchObject({ type: PROBLEM_TYPES.tooManyRequests, detail: 'At most 5 live streams per caller' });
  });

  it('gives any 429 HttpException (e.g. from a throttler) the too-many-requests type', async () => {
    const response = await request(app.getHttpServer()).get('/outage/limits/throttled');
    expect(response.status).toBe(429);
    expect(response.body.type).toBe(PROBLEM_TYPES.tooManyRequests);
  });
});
