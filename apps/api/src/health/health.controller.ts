import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { Public } from '@app/platform';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { PROJECTIONS, type Projection } from '@app/read-models/projection/projection';
import { projectionLag } from '@app/read-models/projection/projection-lag';
import { DataSource } from 'typeorm';

/** Events a projection may trail by before /health reports it down. */
const MAX_HEALTHY_LAG = 500;

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTIONS) private readonly projections: Projection[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Database, event store and projection lag' })
  @ApiOkResponse({ description: 'Everything answers' })
  @ApiServiceUnavailableResponse({ description: 'Something does not answer or projections trail too far' })
  check() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      () =>
        this.indicators
          .check('eventStore')
          .attempt(async () => {
            await this.store.ping();
            return { kind: this.config.eventStore };
          })
          .withTimeout(2000),
      async () => {
        const indicator = this.indicators.check('projections');
        const lag = await projectionLag(this.dataSource, this.store, this.projections, MAX_HEALTHY_LAG + 1);
        const behind = Object.values(lag).some((pending) => pending > MAX_HEALTHY_LAG);
        return behind ? indicator.down({ lag }) : indicator.up({ lag });
      },
    ]);
  }
}
