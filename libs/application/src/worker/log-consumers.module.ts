import { Module } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { typeormAuditDb } from '../audit/audit-db';
import { auditSigningKeyFromEnv } from '../audit/audit-signing-key';
import { AuditSealer, createAuditSealerReactor } from '../audit/sealer';
import { createProcessManagers } from '../process-managers';
import { PublicEventsModule } from '../public-events/public-events.module';
import { StreamCommandExecutor } from '../stream-command-executor';
import { PublicEventMapper } from '../public-events/public-event-mapper';
import { publicEventSource } from '../webhooks/webhook.providers';
import { webhookFanOut } from '../webhooks/webhook-fan-out';
import { notificationFanOut } from '../notifications/notification-fan-out';
import type { LogConsumer } from '@app/log-consumers';
import { CLOCK, type Clock } from '@app/platform/clock';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { asProjector, PROJECTIONS, type Projection } from '@app/read-models/projection/projection';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { DataSource } from 'typeorm';

/** Every consumer of the log, in one list: what the runtime runs and what /health/ready reports on. */
export const LOG_CONSUMERS = Symbol('LOG_CONSUMERS');
/** The webhook fan-out among them (the sender listens to it). */
export const WEBHOOK_FAN_OUT_CONSUMER = Symbol('WEBHOOK_FAN_OUT_CONSUMER');
/** The notification fan-out among them (the notification sender listens to it). */
export const NOTIFICATION_FAN_OUT_CONSUMER = Symbol('NOTIFICATION_FAN_OUT_CONSUMER');

/**
 * The catalogue of log consumers: the read-model projections (projectors), the process managers
 * and the erasure finisher, the audit sealer, the webhook fan-out and the notification fan-out. Building it starts nothing,
 * so an API-only replica imports it too, to report on consumers that other processes run.
 */
@Module({
  imports: [ReadModelsModule, PublicEventsModule],
  providers: [
    { provide: WEBHOOK_FAN_OUT_CONSUMER, useFactory: (mapper: PublicEventMapper) => webhookFanOut(publicEventSource(mapper)), inject: [PublicEventMapper] },
    { provide: NOTIFICATION_FAN_OUT_CONSUMER, useFactory: (config: AppConfig) => notificationFanOut(config.mail), inject: [APP_CONFIG] },
    {
      provide: LOG_CONSUMERS,
      useFactory: (projections: Projection[], executor: StreamCommandExecutor, clock: Clock, dataSource: DataSource, store: EventStore, fanOut: LogConsumer, notifier: LogConsumer, config: AppConfig): LogConsumer[] => [
        ...projections.map(asProjector),
        ...createProcessManagers({ executor, clock, recipientCeilings: config.recipientCeiling }),
        createAuditSealerReactor(new AuditSealer({ store, db: typeormAuditDb(dataSource), signingKey: auditSigningKeyFromEnv() })),
        fanOut,
        notifier,
      ],
      inject: [PROJECTIONS, StreamCommandExecutor, CLOCK, DataSource, EVENT_STORE, WEBHOOK_FAN_OUT_CONSUMER, NOTIFICATION_FAN_OUT_CONSUMER, APP_CONFIG],
    },
  ],
  exports: [LOG_CONSUMERS, WEBHOOK_FAN_OUT_CONSUMER, NOTIFICATION_FAN_OUT_CONSUMER],
})
export class LogConsumersModule {}
