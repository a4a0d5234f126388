import { Controller, Get, HttpStatus, Inject, Optional, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { type ConsumerReport, consumerReports, type LogConsumer, LogConsumerRuntime, secondsSince } from '@app/log-consumers';
import { Public } from '@app/platform';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { describeError } from '@app/platform/database/transient-errors';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { LOG_CONSUMERS } from '@app/application/worker/log-consumers.module';
import { readinessSettings } from './readiness-settings';

interface ComponentCheck {
  status: 'up' | 'down';
  error?: string;
  [detail: string]: unknown;
}

const CHECK_TIMEOUT_MS = 2_000;
/** Probes come often and from several balancers: one look at the database serves them for this long. */
const READY_CACHE_MS = 1_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function check(work: () => Promise<Record<string, unknown> | void>): Promise<ComponentCheck> {
  try {
    return { status: 'up', ...((await withTimeout(work(), CHECK_TIMEOUT_MS)) ?? {}) };
  } catch (error) {
    return { status: 'down', error: describeError(error) };
  }
}

/**
 * Liveness and readiness, for orchestrators and load balancers:
 * - `/health/live`: the process serves HTTP. Touches nothing else, so it answers under any load and
 *   during an outage (restarting a process cannot fix a database).
 * - `/health/ready`: the database and the event store answer, and — only in a process that runs
 *   the log consumers — no consumer lags more than READY_MAX_LAG_SECONDS behind the log (events
 *   held back behind a transaction left open count: they stop the consumers just the same). An
 *   API-only replica reports every consumer's lag too but never turns unready for it: pulling it out
 *   of the balancer would not make a worker catch up. Each component is named in the body.
 * - `/health`: the same as `/health/ready` (kept for existing probes).
 */
@ApiTags('ops')
@Controller('health')
export class HealthController {
  private cached: { at: number; answer: Promise<{ ready: boolean; body: Record<string, unknown> }> } | undefined;
  private readonly settings = readinessSettings();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOG_CONSUMERS) private readonly consumers: LogConsumer[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(LogConsumerRuntime) private readonly runtime?: LogConsumerRuntime,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process serves HTTP (nothing else is checked)' })
  @ApiOkResponse({ description: 'Serving', schema: { example: { status: 'live', uptimeSeconds: 42 } } })
  live() {
    return { status: 'live', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: database, event store and log consumers, each named' })
  @ApiOkResponse({ description: 'Ready to serve' })
  @ApiServiceUnavailableResponse({ description: 'A dependency does not answer, or (worker processes only) a consumer lags past the threshold' })
  async ready(@Res({ passthrough: true }) response: Response) {
    const { ready, body } = await this.readiness();
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    if (!ready) response.setHeader('Retry-After', String(this.settings.retryAfterSeconds));
    response.setHeader('Cache-Control', 'no-store');
    return body;
  }

  @Get()
  @Public()
  @ApiOperation({ summary: 'The same as /health/ready' })
  @ApiOkResponse({ description: 'Ready to serve' })
  @ApiServiceUnavailableResponse({ description: 'Not ready' })
  health(@Res({ passthrough: true }) response: Response) {
    return this.ready(response);
  }

  private readiness(): Promise<{ ready: boolean; body: Record<string, unknown> }> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > READY_CACHE_MS) this.cached = { at: now, answer: this.evaluate() };
    return this.cached.answer;
  }

  private async evaluate(): Promise<{ ready: boolean; body: Record<string, unknown> }> {
    const runsConsumers = this.runtime !== undefined;
    const now = Date.now();
    const [database, eventStore] = await Promise.all([
      check(async () => {
        await this.dataSource.query('SELECT 1');
      }),
      check(async () => {
        await this.store.ping();
        // Committed events no reader gets yet: behind a transaction left open (see EventStore.heldBack).
        const held = this.store.heldBack ? await this.store.heldBack() : { events: 0, oldestRecordedAt: null };
        return {
          kind: this.config.eventStore,
          heldBackEvents: held.events,
          ...(held.oldestRecordedAt ? { heldBackSeconds: secondsSince(held.oldestRecordedAt.getTime(), now) } : {}),
        };
      }),
    ]);
    let consumers: ComponentCheck & { reports?: ConsumerReport[] };
    if (database.status === 'up' && eventStore.status === 'up') {
      consumers = await check(async () => {
        const reports = await consumerReports(this.dataSource, this.store, this.consumers);
        return { reports };
      });
    } else {
      consumers = { status: 'down', error: 'not checked: a dependency is down' };
    }
    const reports = consumers.reports ?? [];
    const threshold = this.settings.maxLagSeconds;
    const lagging = reports.filter((report) => report.lagSeconds > threshold).map((report) => report.name);
    // Where and since when, not why: this answer is public, and the error names a stream (an
    // organisation's id) and quotes the database's message; GET /admin/consumers shows it to an admin.
    const stalled = reports.filter((report) => report.stalled).map((report) => ({ name: report.name, position: report.stalled!.position, since: report.stalled!.since }));
    const local = new Map((this.runtime?.status() ?? []).map((status) => [status.name, status]));
    const ready = database.status === 'up' && eventStore.status === 'up' && (!runsConsumers || (consumers.status === 'up' && lagging.length === 0));
    return {
      ready,
      body: {
        status: ready ? 'ready' : 'not-ready',
        process: runsConsumers ? 'api+worker' : 'api',
        components: {
          database,
          eventStore,
          consumers: {
            status: consumers.status === 'down' ? 'unknown' : stalled.length ? 'stalled' : lagging.length ? 'lagging' : 'up',
            // Lag turns readiness off only where the consumers run.
            affectsReadiness: runsConsumers,
            maxLagSecondsAllowed: threshold,
            maxLagSeconds: reports.reduce((max, report) => Math.max(max, report.lagSeconds), 0),
            lagging,
            stalled,
            ...(consumers.error ? { error: consumers.error } : {}),
            list: reports.map((report) => ({
              name: report.name,
              lagSeconds: report.lagSeconds,
              heldBackEvents: report.heldBackEvents,
              running: report.running,
              stalled: report.stalled !== null,
              ...(local.has(report.name) ? { here: local.get(report.name)?.role } : {}),
            })),
          },
        },
      },
    };
  }
}
