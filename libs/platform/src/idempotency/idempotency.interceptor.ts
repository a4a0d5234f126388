import { createHash } from 'node:crypto';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, BadRequestException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import { describeError } from '../database/transient-errors';
import { IdempotencyKeyReused } from './idempotency-key-reused.error';

const MAX_KEY_LENGTH = 255;

/** Named (prepared once per connection) statements on the pool: two of them on every keyed command. */
const FIND_ANSWER = { name: 'grant_ledger_find_idempotent_answer', text: 'SELECT request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2' };
const REMEMBER_ANSWER = {
  name: 'grant_ledger_remember_idempotent_answer',
  text: `INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response) VALUES ($1, $2, $3, 'done', $4, $5)
         ON CONFLICT (scope, key) DO NOTHING`,
};

interface StoredAnswer {
  request_hash: string;
  status: number;
  response: unknown;
}

/**
 * `Idempotency-Key` on commands (draft-ietf-httpapi-idempotency-key-header), scoped by actor.
 *
 * What makes a command run once lives in the log, not here: a keyed command's events carry the key
 * and ids derived from it, so "it ran" commits in the very statement that appends its effect, and a
 * retry finds it there (StreamCommandExecutor), whatever happened in between — a crash after the
 * append, a lost answer, a database blip. Nothing is claimed before the command runs, so no key can
 * be left stuck "in progress".
 *
 * This table only remembers answers, to replay them cheaply (status and body, with
 * `Idempotent-Replayed: true`) and to refuse a key reused for a different request (422). It is
 * written after success; if that write fails, the answer is still sent, and a retry is answered
 * from the log instead. Failed requests are not remembered: a corrected request may reuse its key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly dataSource: DataSource) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { actor?: { id: string } }>();
    const key = request.header('idempotency-key');
    if (!key || request.method === 'GET' || request.method === 'HEAD') return next.handle();
    return from(this.run(request, http.getResponse<Response>(), key, next));
  }

  private async run(request: Request & { actor?: { id: string } }, response: Response, key: string, next: CallHandler): Promise<unknown> {
    if (key.length > MAX_KEY_LENGTH) throw new BadRequestException(`Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters`);
    const scope = request.actor?.id ?? 'anonymous';
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${request.header('if-match') ?? ''}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');

    const pool = pgPoolOf(this.dataSource);
    const { rows } = await pool.query<StoredAnswer>({ ...FIND_ANSWER, values: [scope, key] });
    const previous = rows[0];
    if (previous) {
      if (previous.request_hash !== requestHash) throw new IdempotencyKeyReused();
      response.status(previous.status);
      response.setHeader('Idempotent-Replayed', 'true');
      return previous.response;
    }

    const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    try {
      await pool.query({ ...REMEMBER_ANSWER, values: [scope, key, requestHash, response.statusCode, JSON.stringify(result ?? null)] });
    } catch (error) {
      // The command's effect and its key are in the log already; a retry is answered from there.
      this.logger.warn({ msg: 'could not remember an idempotent answer; a retry will be answered from the log', error: describeError(error) });
    }
    return result;
  }
}
