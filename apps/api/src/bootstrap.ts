import { hostname } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { authConfigFromEnv } from '@app/platform';
import { loadConfig, type AppConfig } from '@app/platform/config/app-config';
import { startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';
import { applyKeepAlive } from '@app/platform/runtime/http-timeouts';
import { installShutdown, logUnhandledRejections } from '@app/platform/runtime/shutdown';
import pino from 'pino';
import { AppModule } from './app.module';
import { ExpressPrototypesAdapter } from './http/express-server';
import { configureApp } from './configure-app';

/**
 * Starts the HTTP API. Without DATABASE_URL a PostgreSQL of our own is started under DATA_DIR first,
 * so a fresh clone needs nothing set up by hand.
 */
export async function bootstrapApi(overrides: Partial<AppConfig> = {}): Promise<void> {
  const config = { ...loadConfig(), ...overrides };
  // pid and hostname as every other line of the log carries them (a `base` of its own replaces pino's).
  const log = pino({ level: config.logLevel, base: { pid: process.pid, hostname: hostname(), context: 'Bootstrap' } });
  let databaseUrl = config.databaseUrl;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!databaseUrl) {
    // Stopped by our own shutdown, after the app has closed (below), not by the package on the signal.
    const started = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, (msg) => log.info(msg), {
      stopOnSignal: false,
      logError: (msg) => log.error(msg),
    }).catch((error: unknown) => {
      throw new Error(
        `The embedded PostgreSQL did not start under ${config.dataDir} on port ${config.embeddedPostgresPort} (${error instanceof Error ? error.message : 'no reason given'}). ` +
          'Is another Grant Ledger running on this data directory or port? Stop it, or set DATA_DIR and EMBEDDED_POSTGRES_PORT, or DATABASE_URL.',
      );
    });
    embedded = started;
    databaseUrl = started.url;
    log.info({ dataDir: config.dataDir, port: config.embeddedPostgresPort }, 'embedded PostgreSQL started');
  }
  const app = await NestFactory.create(AppModule.forRoot({ config, auth: authConfigFromEnv(), databaseUrl }), new ExpressPrototypesAdapter(), { bufferLogs: true });
  configureApp(app);
  applyKeepAlive(app.getHttpServer(), config.httpKeepAliveTimeoutMs);
  logUnhandledRejections((msg, fields) => log.error(fields ?? {}, msg));
  // Close the app first (HTTP, log consumers, pools), then the embedded PostgreSQL, so nothing still
  // connected sees its database go away.
  installShutdown({
    server: app.getHttpServer(),
    close: async () => {
      const startedAt = Date.now();
      await app.close();
      log.info({ ms: Date.now() - startedAt }, 'app closed');
      if (embedded) {
        await embedded.stop();
        log.info({ ms: Date.now() - startedAt }, 'embedded PostgreSQL stopped');
      }
    },
    log: (msg, fields) => log.info(fields ?? {}, msg),
    logError: (msg, fields) => log.error(fields ?? {}, msg),
  });
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw new Error(`Port ${config.port} is already in use (another Grant Ledger?): stop it or start this one with PORT=<another port>`);
    }
    throw error;
  }
  log.info({ port: config.port, worker: config.runWorker, eventStore: config.eventStore }, 'Grant Ledger API listening; Swagger UI at /docs');
}
