import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Module, type DynamicModule } from '@nestjs/common';
import { EventStoreModule } from '@app/application/event-store.module';
import { loadConfig } from '@app/platform/config/app-config';
import { loggerParams } from '@app/platform/logging/logging';
import { RuntimeModule } from '@app/platform/runtime/runtime.module';
import { installShutdown, logUnhandledRejections } from '@app/platform/runtime/shutdown';
import { databaseOptions } from '@app/application/database-options';
import { LoggerModule, Logger } from 'nestjs-pino';
import { WorkerModule } from '@app/application/worker/worker.module';

/** The worker alone (production: API replicas run with RUN_WORKER=false, and one or more of these). */
@Module({})
class WorkerAppModule {
  static forRoot(databaseUrl: string): DynamicModule {
    const config = loadConfig();
    return {
      module: WorkerAppModule,
      imports: [
        RuntimeModule.forRoot({ config }),
        LoggerModule.forRoot(loggerParams(config.logLevel)),
        TypeOrmModule.forRoot(databaseOptions(databaseUrl)),
        EventStoreModule.forRoot({ kind: config.eventStore, databaseUrl, esdbConnectionString: config.eventStoreConnectionString, appendsInFlight: config.eventStoreAppendsInFlight }),
        WorkerModule,
      ],
    };
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('The standalone worker needs DATABASE_URL (the API started with `npm start` runs the worker in-process)');
  const app = await NestFactory.createApplicationContext(WorkerAppModule.forRoot(databaseUrl), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  logUnhandledRejections((msg, fields) => logger.error({ msg, ...fields }));
  installShutdown({ close: () => app.close(), log: (msg, fields) => logger.log({ msg, ...fields }), logError: (msg, fields) => logger.error({ msg, ...fields }) });
  logger.log('Grant Ledger worker running the log consumers');
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 60, time: Date.now(), msg: 'Grant Ledger worker failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
