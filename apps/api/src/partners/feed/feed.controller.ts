import { type BeforeApplicationShutdown, Controller, Get, Headers, Logger, Query, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { PublicEvent } from '@app/application/public-events';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { ApiProblemResponses } from '../../http/problem';
import { FeedStreamLimiter, runAt, tokenExpiresAt } from './feed-stream-limits';
import { FeedPageDto, FeedQuery, FeedStreamQuery } from './feed.dto';
import { FeedService } from './feed.service';

const FEED_ROLES = ['partner', 'admin', 'auditor'] as const;
/** How long the shutdown waits for open streams to flush their end (a client that reads slowly is not waited for longer). */
const SHUTDOWN_FLUSH_MS = 1_000;

@ApiTags('partners')
@ApiBearerAuth()
@Controller('feed')
export class FeedController implements BeforeApplicationShutdown {
  private readonly logger = new Logger(FeedController.name);
  /** Aborted when the application begins to shut down: open streams end, new ones are refused. */
  private readonly stopping = new AbortController();
  /** Open streams, each settled once its last bytes are handed to the socket (or the socket is gone). */
  private readonly flushed = new Set<Promise<void>>();

  constructor(
    private readonly feed: FeedService,
    private readonly limiter: FeedStreamLimiter,
  ) {}

  @Get()
  @Roles(...FEED_ROLES)
  @ApiOperation({ summary: 'Public events in log order, a page at a time: follow `next` from zero or from a saved cursor' })
  @ApiOkResponse({ type: FeedPageDto })
  @ApiProblemResponses(400, 401, 403)
  page(@Query() query: FeedQuery): Promise<FeedPageDto> {
    return this.feed.page({ after: query.after, types: this.feed.parseTypes(query.types), limit: query.limit ?? 100 });
  }

  @Get('stream')
  @Roles(...FEED_ROLES)
  @ApiOperation({
    summary: 'Public events as server-sent events: history after the cursor, then live',
    description:
      'Each event: `id:` its cursor, `event:` its public type, `data:` the public event as JSON. Comment lines every ~15 s keep the ' +
      'connection alive. Reconnect with `Last-Event-ID` (or `?after=`) to resume with no gap and no duplicate. Needs the bearer ' +
      'token in the Authorization header: use an SSE client that can set headers (browsers\' EventSource cannot). The stream ends ' +
      'when the token expires (reconnect with a fresh one). At most 5 streams per caller and 200 per server are open at once ' +
      '(configurable); beyond that, 429 with Retry-After. When the server shuts down, an open stream ends with `retry: 1000` and a ' +
      'comment (reconnect with Last-Event-ID: another instance, or this one once it is back), and a new one is refused with 503 and Retry-After.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Cursor of the last event received' })
  @ApiOkResponse({
    description: 'A text/event-stream that stays open: history after the cursor, then live events',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: <cursor>\nevent: grant.awarded\ndata: {"id":"…","type":"grant.awarded",…}\n\n' } } },
  })
  @ApiProblemResponses(400, 401, 403, 429, 503)
  async stream(
    @Query() query: FeedStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @CurrentActor() actor: Actor,
    @Res() response: Response,
  ): Promise<void> {
    this.refuseWhenStopping();
    const lease = this.limiter.acquire(actor.id); // 429 before anything is opened
    try {
      await this.serve(query, lastEventId, tokenExpiresAt(authorization), response);
    } finally {
      lease.release();
    }
  }

  /**
   * The client may go away at any moment, even before this runs (while the guard checked the token):
   * 'close' is listened for before the first await and the response's own state is checked after
   * each, since a 'close' emitted earlier is not emitted again. Every way out (client gone, token
   * expired, store failure) stops the heartbeat, the expiry timer and the log subscription, and the
   * caller releases the stream's place.
   */
  private async serve(query: FeedStreamQuery, lastEventId: string | undefined, tokenExpiry: number | undefined, response: Response): Promise<void> {
    let onGone = (): void => undefined;
    const gone = new Promise<void>((resolve) => {
      onGone = resolve;
    });
    const closeListener = () => onGone();
    response.once('close', closeListener);
    const isGone = () => response.destroyed || response.writableEnded || response.socket === null || response.socket.destroyed;
    try {
      const after = lastEventId?.trim() || query.after;
      const types = this.feed.parseTypes(query.types);
      await this.feed.checkCursor(after); // a bad cursor is a 400 problem, not a broken stream
      if (isGone()) return;
      this.refuseWhenStopping();
      await this.pump(after, types, tokenExpiry, response, gone, isGone);
    } finally {
      response.off('close', closeListener);
    }
  }

  private async pump(after: string | undefined, types: string[], tokenExpiry: number | undefined, response: Response, gone: Promise<void>, isGone: () => boolean): Promise<void> {
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write(': connected\n\n');
    const flushed = new Promise<void>((resolve) => {
      response.once('finish', resolve);
      response.once('close', resolve);
    });
    this.flushed.add(flushed);
    void flushed.then(() => this.flushed.delete(flushed));

    const { subscription, events } = this.feed.subscribe(after, types);
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), this.feed.heartbeatMs);
    let cancelExpiry = (): void => undefined;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearInterval(heartbeat);
      cancelExpiry();
      void subscription.close();
    };
    const expire = () => {
      response.write(': token expired\n\n');
      stop();
      response.end();
    };
    // A stream must not outlive its token: a revoked partner's last token stops at its `exp`.
    if (tokenExpiry !== undefined) cancelExpiry = runAt(tokenExpiry, expire);
    void gone.then(stop); // the client went away
    // The server is shutting down: the client is told to reconnect (elsewhere, or here once it is back) and the stream ends now,
    // not when the shutdown cuts the connections that are still open.
    let onShutDown = (): void => undefined;
    const shuttingDown = new Promise<void>((resolve) => (onShutDown = resolve));
    const shutDown = () => {
      if (!isGone()) response.write('retry: 1000\n: server shutting down: reconnect with Last-Event-ID\n\n');
      stop();
      onShutDown();
    };
    this.stopping.signal.addEventListener('abort', shutDown, { once: true });
    try {
      for await (const event of events) {
        // Nothing after the reconnect hint: an event read but not written comes again after Last-Event-ID.
        if (isGone() || this.stopping.signal.aborted) break;
        // A full socket buffer waits for 'drain', for the client to go, or for the shutdown: whichever comes first.
        if (!response.write(frame(event)) && !isGone()) await Promise.race([new Promise((resolve) => response.once('drain', resolve)), gone, shuttingDown]);
        if (isGone()) break;
      }
    } catch (error) {
      this.logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'feed stream failed');
    } finally {
      this.stopping.signal.removeEventListener('abort', shutDown);
      stop();
      response.end();
    }
  }

  /**
   * Ends every open stream and waits (at most SHUTDOWN_FLUSH_MS) until their last bytes, the
   * reconnect hint included, are handed to their sockets: the process exits right after the app
   * closes, and what a socket had not taken yet would be lost.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.flushed), new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS)))]);
    clearTimeout(timer);
  }

  /** 503 with Retry-After (nothing written yet): the server is shutting down. */
  private refuseWhenStopping(): void {
    if (this.stopping.signal.aborted) throw new ServiceUnavailableException('The server is shutting down: open the stream again in a moment');
  }
}

/** One SSE message; JSON has no raw newlines, so `data:` is a single line. */
function frame(event: PublicEvent): string {
  return `id: ${event.cursor}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
