/**
 * One delivery attempt over HTTP(S): connects to the address the SSRF guard approved (so a DNS
 * answer cannot change between check and connect), never follows redirects, gives up after the
 * timeout, and reads at most a little of the response.
 *
 * The timeout is one deadline for the whole exchange: connect, headers and body. The attempt is
 * settled by the status alone (a 2xx acknowledges, see README "Webhooks"), so it resolves as soon as
 * the headers arrive; the body is then drained only to free the connection, and a receiver that
 * trickles it is cut off at the same deadline. Before 2026-12-05 the deadline stopped at the headers,
 * and a body sent a byte a second held one socket per delivery for as long as the receiver liked.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './ssrf-guard';

export interface AttemptOutcome {
  /** HTTP status, if a response arrived. */
  statusCode?: number;
  /** Why the attempt failed without a usable response (never includes the body we sent). */
  error?: string;
  durationMs: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostOptions {
  url: URL;
  address: ResolvedAddress;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export function postWebhook(options: PostOptions): Promise<AttemptOutcome> {
  const started = Date.now();
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [options.address]);
    } else {
      callback(null, options.address.address, options.address.family);
    }
  };
  const request = options.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, durationMs: Date.now() - started });
    };
    const req = request(
      options.url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { 'content-type': 'application/json', 'user-agent': 'grant-ledger-webhooks/1', ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        signal: options.signal,
      },
      (response: IncomingMessage) => {
        // The status decides; the body is drained (bounded in size, and by the deadline) only to free the connection.
        finish({ statusCode: response.statusCode });
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('error', () => undefined);
      },
    );
    // Cleared only when the exchange is over (body read or connection gone), not when the headers arrive.
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.once('close', () => clearTimeout(timer));
    req.on('error', (error: Error & { code?: string }) => finish({ error: error.code ? `${error.code}: ${error.message}` : error.message }));
    req.end(options.body);
  });
}
