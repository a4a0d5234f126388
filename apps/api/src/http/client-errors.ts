import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from './problem/problem-types';

/**
 * What Node's HTTP parser refuses before the app runs (a request line and headers over its limit,
 * a Content-Length that does not match the body, anything not HTTP/1.1) answered as every other
 * refusal is: an RFC 9457 problem, with the headers a problem carries. Node's own answer was a bare
 * status line with no body and none of the security headers.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // Nothing to answer on a connection the client reset or that is half gone (Node's docs).
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code));
  });
}

/** The whole HTTP/1.1 response for a parser error `code`, written straight to the socket. */
export function clientErrorResponse(code: string | undefined): string {
  const [status, reason, type, detail] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', PROBLEM_TYPES.other, 'The request line and headers are longer than the server takes (16 KB): send long input in a body']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', PROBLEM_TYPES.other, 'The request did not arrive in time']
        : [400, 'Bad Request', PROBLEM_TYPES.malformedRequest, 'The request is not valid HTTP/1.1 (for example, a Content-Length that does not match the body)'];
  const body = JSON.stringify({ type, title: reason, status, detail });
  return [
    `HTTP/1.1 ${status} ${reason}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
