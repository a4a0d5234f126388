import { type BeforeApplicationShutdown, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { EVENT_CODEC, type EventCodec } from '../event-codec';
import { type LogConsumer, LogConsumerRuntime } from '@app/log-consumers';
import { nestStructuredLogger } from '@app/platform/logging/structured-logger';
import { DataSource } from 'typeorm';
import { LOG_CONSUMERS, LogConsumersModule } from './log-consumers.module';
import { WebhookDeliveryModule } from './webhooks/webhook-delivery.module';
import { NotificationDeliveryModule } from './notifications/notification-delivery.module';

/**
 * What a worker runs: every log consumer on the one runtime (leases decide which process leads
 * which consumer), webhook delivery and e-mail notifications. Runs inside the API process unless RUN_WORKER=false.
 */
@Module({
  imports: [LogConsumersModule, WebhookDeliveryModule, NotificationDeliveryModule],
  providers: [
    {
      provide: LogConsumerRuntime,
      useFactory: (dataSource: DataSource, store: EventStore, consumers: LogConsumer[], codec: EventCodec) => {
        return new LogConsumerRuntime({ dataSource, store, consumers, codec, logger: nestStructuredLogger('LogConsumers') });
      },
      inject: [DataSource, EVENT_STORE, LOG_CONSUMERS, EVENT_CODEC],
    },
  ],
  exports: [LogConsumerRuntime],
})
export class WorkerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(LogConsumerRuntime) private readonly runtime: LogConsumerRuntime) {}

  onApplicationBootstrap(): void {
    this.runtime.start();
  }

  /** Before any pool or the event store closes: an unfinished batch rolls back, and the leases go back. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
