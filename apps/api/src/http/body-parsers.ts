import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication, NestExpressBodyParserOptionsFor } from '@nestjs/platform-express';
import { MalformedRequestError } from './problem/validation';

/**
 * body-parser's `verify`: refuses (400 malformed-request) a body declared UTF-8 (the default of
 * JSON and forms) whose bytes are not. body-parser decodes them with iconv-lite, which turns each bad
 * sequence (a lone 0xFF, an overlong or cut-short sequence, an encoded surrogate) into U+FFFD: a
 * body that was not what the client meant would be stored as if it were. Checked on the raw bytes
 * before they are decoded, without decoding them (node:buffer's isUtf8, simdutf: a few hundred
 * nanoseconds for a command's body) and without a second parse. Other charsets a JSON body may
 * declare (utf-16le, …) are decoded as before; what cannot be stored of them is refused later
 * (RequestInputGuard: lone surrogates).
 */
export function refuseInvalidUtf8(_request: IncomingMessage, _response: ServerResponse, body: Buffer, encoding: string | null): void {
  if ((encoding === 'utf-8' || encoding === 'utf8') && !isUtf8(body)) throw new MalformedRequestError('The request body is not valid UTF-8');
}

/**
 * The JSON and form parsers Nest would register at init (the same options: 100 kB, `extended` forms),
 * with refuseInvalidUtf8. Registered here, in configureApp's order (after the request log and the
 * security headers), Nest's own are then left out (it skips a parser already applied). Nest reserves
 * `verify` for `rawBody: true`, which this app does not use (it would replace this check).
 */
export function useStrictBodyParsers(app: INestApplication): void {
  const express = app as NestExpressApplication;
  // `verify` is left out of Nest's option types only because `rawBody: true` sets it; passed as is.
  express.useBodyParser('json', { verify: refuseInvalidUtf8 } as NestExpressBodyParserOptionsFor<'json'>);
  express.useBodyParser('urlencoded', { extended: true, verify: refuseInvalidUtf8 } as NestExpressBodyParserOptionsFor<'urlencoded'>);
}
