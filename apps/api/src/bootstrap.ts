import { NestFactory } from '@nestjs/core';
import { authConfigFromEnv } from '@app/platform';
import { loadConfig, type AppConfig } from '@app/platform/config/app-config';
import { startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';
import pino from 'pino';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

/**
 * Starts the HTTP API. Without DATABASE_URL a PostgreSQL of our own is started under DATA_DIR first,
 * so a fresh clone needs nothing set up by hand.
 */
export async function bootstrapApi(overrides: Partial<AppConfig> = {}): Promise<void> {
  const config = { ...loadConfig(), ...overrides };
  const log = pino({ level: config.logLevel, base: { context: 'Bootstrap' } });
  let databaseUrl = config.databaseUrl;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!databaseUrl) {
    const started = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, (msg) => log.info(msg));
    embedded = started;
    databaseUrl = started.url;
    log.info({ dataDir: config.dataDir, port: config.embeddedPostgresPort }, 'embedded PostgreSQL started');
  }
  const app = await NestFactory.create(AppModule.forRoot({ config, auth: authConfigFromEnv(), databaseUrl }), { bufferLogs: true });
  configureApp(app);
  // On SIGTERM/SIGINT: close the app first (HTTP, worker loops, pools), then the embedded
  // PostgreSQL, so nothing still connected sees its database go away.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void (async () => {
      try {
        await app.close();
        await embedded?.stop();
      } finally {
        process.exit(0);
      }
    })();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen(config.port, config.host);
  log.info({ port: config.port, worker: config.runWorker, eventStore: config.eventStore }, 'Grant Ledger API listening; Swagger UI at /docs');
}
