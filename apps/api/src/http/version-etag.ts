import { applyDecorators, type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, type Type, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';

/** The strong ETag of a stream version, exactly the form If-Match takes (see parseIfMatch). */
export function versionETag(version: number): string {
  return `"${version}"`;
}

/** Sets `ETag: "<version>"` from the `version` of the answer (a single stream-backed resource). */
@Injectable()
export class VersionETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((body: unknown) => {
        const version = (body as { version?: unknown } | null)?.version;
        if (typeof version === 'number' && Number.isSafeInteger(version)) response.setHeader('ETag', versionETag(version));
        return body;
      }),
    );
  }
}

/**
 * A read of one stream-backed resource: 200 with `type`, and `ETag: "<version>"` — the stream version
 * the answer shows, which a command takes back as `If-Match` (409 if the stream moved on since).
 */
export function VersionedRead(type: Type<unknown>): MethodDecorator {
  return applyDecorators(
    UseInterceptors(VersionETagInterceptor),
    ApiOkResponse({
      type,
      headers: {
        ETag: {
          description:
            'The stream version this answer shows, as a strong entity tag (`"3"`). Send it as `If-Match` with a command to have it refused (409) if the resource changed since. With `asOf`, the version at that instant.',
          schema: { type: 'string', example: '"3"' },
        },
      },
    }),
  );
}
