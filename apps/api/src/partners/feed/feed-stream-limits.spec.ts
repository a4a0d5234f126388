import { SignJWT } from 'jose';
import { TooManyRequestsError } from '../../http/problem';
import { DEFAULT_FEED_STREAM_LIMITS, FeedStreamLimiter, feedStreamLimitsFromEnv, runAt, tokenExpiresAt } from './feed-stream-limits';

describe('feedStreamLimitsFromEnv', () => {
  it('defaults to 5 streams per caller, 200 per process, Retry-After 10 s', () => {
    expect(feedStreamLimitsFromEnv({})).toEqual({ maxStreamsPerCaller: 5, maxStreams: 200, retryAfterSeconds: 10 });
  });

  it('reads FEED_MAX_STREAMS_PER_CALLER, FEED_MAX_STREAMS and FEED_STREAM_RETRY_AFTER_SECONDS', () => {
    expect(feedStreamLimitsFromEnv({ FEED_MAX_STREAMS_PER_CALLER: '2', FEED_MAX_STREAMS: '50', FEED_STREAM_RETRY_AFTER_SECONDS: '30' })).toEqual({
      maxStreamsPerCaller: 2,
      maxStreams: 50,
      retryAfterSeconds: 30,
    });
  });

  it.each(['0', '-1', 'many', '2.5'])('refuses FEED_MAX_STREAMS=%s', (value) => {
    expect(() => feedStreamLimitsFromEnv({ FEED_MAX_STREAMS: value })).toThrow(/FEED_MAX_STREAMS/);
  });
});

describe('FeedStreamLimiter', () => {
  it('counts per caller and per process, and a lease is released once only', () => {
    const limiter = new FeedStreamLimiter({ ...DEFAULT_FEED_STREAM_LIMITS, maxStreamsPerCaller: 2, maxStreams: 3 });
    const first = limiter.acquire('a');
    limiter.acquire('a');
    expect(() => limiter.acquire('a')).toThrow(TooManyRequestsError);
    limiter.acquire('b');
    expect(() => limiter.acquire('c')).toThrow(/no room/);
    first.release();
    first.release();
    expect(limiter.openStreams).toBe(2);
    expect(() => limiter.acquire('c')).not.toThrow();
    expect(() => limiter.acquire('a')).toThrow(TooManyRequestsError);
  });
});

describe('tokenExpiresAt', () => {
  it('reads exp from the bearer token in milliseconds', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(1_900_000_000).sign(new TextEncoder().encode('k'));
    expect(tokenExpiresAt(`Bearer ${token}`)).toBe(1_900_000_000_000);
  });

  it.each([undefined, '', 'Basic abc', 'Bearer not-a-jwt'])('is undefined for %p', (header) => {
    expect(tokenExpiresAt(header)).toBeUndefined();
  });
});

describe('runAt', () => {
  afterEach(() => jest.useRealTimers());

  it('waits beyond setTimeout\'s 24.8-day ceiling in steps, and can be cancelled', () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    const day = 86_400_000;
    runAt(Date.now() + 100 * day, fired);
    jest.advanceTimersByTime(99 * day);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(day);
    expect(fired).toHaveBeenCalledTimes(1);
    const cancelled = jest.fn();
    const cancel = runAt(Date.now() + 1000, cancelled);
    cancel();
    jest.advanceTimersByTime(2000);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it('runs at once for an instant already past', () => {
    const fired = jest.fn();
    runAt(Date.now() - 1, fired);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});
