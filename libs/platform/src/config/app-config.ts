/**
 * All configuration comes from the environment, read once at start-up (auth: see auth.config.ts).
 * The README's configuration table mirrors this file: keep them together.
 */
import { resolve } from 'node:path';

export const APP_CONFIG = Symbol('APP_CONFIG');

export interface AppConfig {
  port: number;
  host: string;
  /** Unset: start the embedded PostgreSQL under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  embeddedPostgresPort: number;
  eventStore: 'postgres' | 'esdb';
  eventStoreConnectionString?: string;
  /** Run projections (the worker) inside the API process. */
  runWorker: boolean;
  logLevel: string;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const eventStore = (env.EVENT_STORE ?? 'postgres') as AppConfig['eventStore'];
  if (eventStore !== 'postgres' && eventStore !== 'esdb') throw new Error(`EVENT_STORE must be postgres or esdb, got "${eventStore}"`);
  return {
    port: int('PORT', env.PORT, 3000),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.DATA_DIR || '.data'),
    embeddedPostgresPort: int('EMBEDDED_POSTGRES_PORT', env.EMBEDDED_POSTGRES_PORT, 54329),
    eventStore,
    eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING || undefined,
    runWorker: bool(env.RUN_WORKER, true),
    logLevel: env.LOG_LEVEL || 'info',
  };
}
