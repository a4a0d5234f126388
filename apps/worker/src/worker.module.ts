import { Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { typeormAuditDb } from '@app/grants/application/audit/audit-db';
import { auditSigningKeyFromEnv } from '@app/grants/application/audit/audit-signing-key';
import { AuditSealer, createAuditSealerProjection } from '@app/grants/application/audit/sealer';
import { EVENT_CODEC, type EventCodec } from '@app/grants/application/event-codec';
import { createProcessManagers, PROCESS_MANAGERS } from '@app/grants/application/process-managers';
import { StreamCommandExecutor } from '@app/grants/application/stream-command-executor';
import { CLOCK, type Clock } from '@app/platform/clock';
import { PROJECTIONS, type Projection } from '@app/read-models/projection/projection';
import { ProjectionRunner } from '@app/read-models/projection/projection-runner';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { DataSource } from 'typeorm';
import { WebhookDeliveryModule } from './webhooks/webhook-delivery.module';

const AUDIT_SEALER_RUNNER = Symbol('AUDIT_SEALER_RUNNER');

/** Runs every projection and process manager from the log, the audit sealer, and webhook delivery. */
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
    {
      // The global-log sealer runs apart: it hashes events as stored, so it never needs them decrypted,
      // and an event the codec cannot read can never stall it.
      provide: AUDIT_SEALER_RUNNER,
      useFactory: (dataSource: DataSource, store: EventStore) => {
        const logger = new Logger('AuditSealer');
        const sealer = createAuditSealerProjection(new AuditSealer({ store, db: typeormAuditDb(dataSource), signingKey: auditSigningKeyFromEnv() }), {
          onError: (error) => logger.error({ msg: 'sealing failed; retrying on the next event', error: error instanceof Error ? error.message : String(error) }),
        });
        const runner = new ProjectionRunner(dataSource, store, [sealer], {
          log: (message, context) => logger.log({ msg: message, ...context }),
          error: (message, context) => logger.error({ msg: message, ...context }),
        });
        return { runner, sealer };
      },
      inject: [DataSource, EVENT_STORE],
    },
  ],
  exports: [ProjectionRunner],
})
export class WorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Inject(AUDIT_SEALER_RUNNER) private readonly audit: { runner: ProjectionRunner; sealer: { stop(): void } },
  ) {}

  onApplicationBootstrap(): void {
    this.runner.start();
    this.audit.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.audit.sealer.stop();
    await Promise.all([this.runner.stop(), this.audit.runner.stop()]);
  }
}
