import { Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { EVENT_CODEC, type EventCodec } from '@app/grants/application/event-codec';
import { createProcessManagers, PROCESS_MANAGERS } from '@app/grants/application/process-managers';
import { StreamCommandExecutor } from '@app/grants/application/stream-command-executor';
import { CLOCK, type Clock } from '@app/platform/clock';
import { PROJECTIONS, type Projection } from '@app/read-models/projection/projection';
import { ProjectionRunner } from '@app/read-models/projection/projection-runner';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { DataSource } from 'typeorm';
import { WebhookDeliveryModule } from './webhooks/webhook-delivery.module';

/** Runs every projection and process manager from the log, and webhook delivery. */
@Module({
  imports: [ReadModelsModule, WebhookDeliveryModule],
  providers: [
    {
      provide: PROCESS_MANAGERS,
      useFactory: (executor: StreamCommandExecutor, clock: Clock) => createProcessManagers({ executor, clock }),
      inject: [StreamCommandExecutor, CLOCK],
    },
    {
      provide: ProjectionRunner,
      useFactory: (dataSource: DataSource, store: EventStore, projections: Projection[], processManagers: Projection[], codec: EventCodec) => {
        const logger = new Logger('Projections');
        return new ProjectionRunner(
          dataSource,
          store,
          [...projections, ...processManagers],
          { log: (message, context) => logger.log({ msg: message, ...context }), error: (message, context) => logger.error({ msg: message, ...context }) },
          (event) => codec.decode(event),
        );
      },
      inject: [DataSource, EVENT_STORE, PROJECTIONS, PROCESS_MANAGERS, EVENT_CODEC],
    },
  ],
  exports: [ProjectionRunner],
})
export class WorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(ProjectionRunner) private readonly runner: ProjectionRunner) {}

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
