import { createHash } from 'node:crypto';
import { type CallHandler, ConflictException, type ExecutionContext, Injectable, type NestInterceptor, BadRequestException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { IdempotencyKeyReused } from './idempotency-key-reused.error';

const MAX_KEY_LENGTH = 255;

interface StoredAnswer {
  state: 'pending' | 'done';
  request_hash: string;
  status: number | null;
  response: unknown;
}

/**
 * `Idempotency-Key` on commands (draft-ietf-httpapi-idempotency-key-header): the first request with a
 * key runs; a retry with the same key and the same request gets the first answer and appends nothing;
 * the same key with a different request is refused (422); a retry while the first is still running
 * gets 409. Only successful answers are remembered, so a corrected request may reuse its key.
 * Keys are scoped by actor, so two users can never see each other's answers.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly dataSource: DataSource) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { actor?: { id: string } }>();
    const key = request.header('idempotency-key');
    if (!key || request.method === 'GET') return next.handle();
    return from(this.run(request, http.getResponse<Response>(), key, next));
  }

  private async run(request: Request & { actor?: { id: string } }, response: Response, key: string, next: CallHandler): Promise<unknown> {
    if (key.length > MAX_KEY_LENGTH) throw new BadRequestException(`Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters`);
    const scope = request.actor?.id ?? 'anonymous';
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${request.header('if-match') ?? ''}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');

    const claimed: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, state) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [scope, key, requestHash],
    );
    if (claimed.length === 0) {
      const rows: StoredAnswer[] = await this.dataSource.query(
        'SELECT state, request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
        [scope, key],
      );
      const previous = rows[0];
      if (!previous) return this.run(request, response, key, next); // released meanwhile: try again
      if (previous.request_hash !== requestHash) {
        throw new IdempotencyKeyReused();
      }
      if (previous.state === 'pending') throw new ConflictException('A request with this Idempotency-Key is still being processed');
      response.status(previous.status ?? 200);
      response.setHeader('Idempotent-Replayed', 'true');
      return previous.response;
    }

    try {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.dataSource.query(
        `UPDATE idempotency_keys SET state = 'done', status = $3, response = $4 WHERE scope = $1 AND key = $2`,
        [scope, key, response.statusCode, JSON.stringify(result ?? null)],
      );
      return result;
    } catch (error) {
      await this.dataSource.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
      throw error;
    }
  }
}
