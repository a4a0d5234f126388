import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { EventStoreModule } from '@app/application/event-store.module';
import { AuthModule, type AuthConfig } from '@app/platform';
import { PROBLEM_DETAILS_FILTER } from './http/problem';
import type { Clock } from '@app/platform/clock';
import type { AppConfig } from '@app/platform/config/app-config';
import { loggerParams } from '@app/platform/logging/logging';
import { RuntimeModule } from '@app/platform/runtime/runtime.module';
import { databaseOptions } from '@app/application/database-options';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { LogConsumersModule } from '@app/application/worker/log-consumers.module';
import { WorkerModule } from '@app/application/worker/worker.module';
import { AuditModule } from './audit/audit.module';
import { AuditBundleModule } from './audit/bundle/audit-bundle.module';
import { AuditVerifyModule } from './audit/verify/audit-verify.module';
import type { AuditVerifyOptions } from './audit/verify/audit-verifications';
import { CallsModule } from './calls/calls.module';
import { GrantsModule } from './grants/grants.module';
import { OrganisationsModule } from './organisations/organisations.module';
import { PartnersFeedModule } from './partners/feed/partners-feed.module';
import { WebhooksModule } from './partners/webhooks/webhooks.module';
import { ProposalsModule } from './proposals/proposals.module';
import { HealthController } from './health/health.controller';
import { SecurityModule } from './security/security.module';
import { ConsumersController } from './operations/consumers.controller';
import { NotificationsController } from './operations/notifications.controller';
import { ConsoleModule } from './console/console.module';

export interface AppModuleOptions {
  config: AppConfig;
  auth: AuthConfig;
  databaseUrl: string;
  /** Tests pass a manual clock. */
  clock?: Clock;
}

/** GET /audit/verify's reader threads open the event store the API uses (AUDIT_VERIFY_THREADS; 0: none). */
function auditVerifyOptions({ config, databaseUrl }: AppModuleOptions): AuditVerifyOptions {
  const threads = config.auditVerifyThreads ?? 0;
  if (threads === 0) return {};
  return { readers: { store: { kind: config.eventStore, databaseUrl, esdbConnectionString: config.eventStoreConnectionString }, threads } };
}

/**
 * Request ids are assigned by the request log middleware, mounted first by configureApp (every
 * server and test app goes through it), not by a route middleware of this module as well: a second
 * pass cost a layer of Nest's middleware routing on every request (issue 11).
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot({ config: options.config, clock: options.clock }),
        LoggerModule.forRoot(loggerParams(options.config.logLevel)),
        TypeOrmModule.forRoot(databaseOptions(options.databaseUrl)),
        EventStoreModule.forRoot({ kind: options.config.eventStore, databaseUrl: options.databaseUrl, esdbConnectionString: options.config.eventStoreConnectionString, appendsInFlight: options.config.eventStoreAppendsInFlight }),
        AuthModule.forRoot(options.auth),
        // After AuthModule: the per-caller command limit counts the user the auth guard identified.
        SecurityModule,
        CqrsModule.forRoot(),
        LogConsumersModule,
        ReadModelsModule,
        CallsModule,
        OrganisationsModule,
        ProposalsModule,
        GrantsModule,
        PartnersFeedModule,
        AuditVerifyModule.forRoot(auditVerifyOptions(options)),
        WebhooksModule,
        AuditModule,
        AuditBundleModule,
        ConsoleModule,
        ...(options.config.runWorker ? [WorkerModule] : []),
      ],
      controllers: [HealthController, ConsumersController, NotificationsController],
      // Idempotency-Key is handled per route (Idempotent, commandHeaders: a guard and a handler wrapper), never on reads.
      providers: [PROBLEM_DETAILS_FILTER],
    };
  }
}
