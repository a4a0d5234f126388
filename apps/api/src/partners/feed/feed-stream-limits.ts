import { TooManyRequestsError } from '../../http/problem';
import { decodeJwt } from 'jose';

/**
 * Live streams hold a connection, a log subscription and memory for as long as they are open: one
 * partner token once opened 1,000 of them (memory 179 → 322 MB, /health down). So they are counted,
 * per caller (the token's subject) and per process, and refused beyond the limits with 429.
 */
export interface FeedStreamLimits {
  /** Open streams one caller may hold at once (FEED_MAX_STREAMS_PER_CALLER, default 5). */
  maxStreamsPerCaller: number;
  /** Open streams this process serves at once (FEED_MAX_STREAMS, default 200). */
  maxStreams: number;
  /** Retry-After of the 429 (FEED_STREAM_RETRY_AFTER_SECONDS, default 10). */
  retryAfterSeconds: number;
}

export const DEFAULT_FEED_STREAM_LIMITS: FeedStreamLimits = { maxStreamsPerCaller: 5, maxStreams: 200, retryAfterSeconds: 10 };

export function feedStreamLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): FeedStreamLimits {
  return {
    maxStreamsPerCaller: positiveInt(env, 'FEED_MAX_STREAMS_PER_CALLER', DEFAULT_FEED_STREAM_LIMITS.maxStreamsPerCaller),
    maxStreams: positiveInt(env, 'FEED_MAX_STREAMS', DEFAULT_FEED_STREAM_LIMITS.maxStreams),
    retryAfterSeconds: positiveInt(env, 'FEED_STREAM_RETRY_AFTER_SECONDS', DEFAULT_FEED_STREAM_LIMITS.retryAfterSeconds),
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** Held while a stream is open; release it exactly once when the stream ends. */
export interface StreamLease {
  release(): void;
}

/** Counts open streams. One per process (a provider of the feed module). */
export class FeedStreamLimiter {
  private readonly openByCaller = new Map<string, number>();
  private open = 0;

  constructor(private readonly limits: FeedStreamLimits) {}

  /** A lease for one more stream of `callerId`, or a 429 problem when a limit is reached. */
  acquire(callerId: string): StreamLease {
    const mine = this.openByCaller.get(callerId) ?? 0;
    if (mine >= this.limits.maxStreamsPerCaller) {
      throw new TooManyRequestsError(
        `At most ${this.limits.maxStreamsPerCaller} live streams may be open per caller; close one first`,
        this.limits.retryAfterSeconds,
      );
    }
    if (this.open >= this.limits.maxStreams) {
      throw new TooManyRequestsError('This server has no room for another live stream; retry later', this.limits.retryAfterSeconds);
    }
    this.openByCaller.set(callerId, mine + 1);
    this.open += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open -= 1;
        const left = (this.openByCaller.get(callerId) ?? 1) - 1;
        if (left === 0) this.openByCaller.delete(callerId);
        else this.openByCaller.set(callerId, left);
      },
    };
  }

  get openStreams(): number {
    return this.open;
  }
}

/**
 * When the bearer token of a request expires (its `exp`, in epoch milliseconds). The AuthGuard has
 * verified the token before the handler runs (and refused one without `exp`); this only reads the
 * claim, which the verified actor does not carry.
 */
export function tokenExpiresAt(authorization: string | undefined): number | undefined {
  const token = /^Bearer +(\S+)/i.exec(authorization ?? '')?.[1];
  if (!token) return undefined;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** setTimeout caps delays at 2^31 − 1 ms (about 24.8 days); a longer wait is taken in steps. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Runs `callback` at `at` (epoch ms; now if past). Returns a cancel function. */
export function runAt(at: number, callback: () => void, now: () => number = Date.now): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const delay = at - now();
    if (delay <= 0) return callback();
    timer = setTimeout(arm, Math.min(delay, MAX_TIMER_DELAY_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
