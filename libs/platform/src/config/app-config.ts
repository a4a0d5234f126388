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
  /**
   * Base64 of the 32-byte master key that wraps the per-subject personal-data keys (PII_MASTER_KEY).
   * A secret: never log it. Optional in the type only so hand-built configs keep compiling;
   * `loadConfig` always sets it.
   */
  piiMasterKey?: string;
}

/**
 * FOR LOCAL DEVELOPMENT AND TESTS ONLY — NOT A SECRET. Used when PII_MASTER_KEY is unset and
 * NODE_ENV is not 'production'. Anything encrypted under it is readable by anyone with this file.
 */
export const DEV_ONLY_PII_MASTER_KEY = Buffer.from('grant-ledger-DEV-ONLY-pii-master', 'utf8').toString('base64');

/**
 * PII_MASTER_KEY: base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`). Refuses to start in
 * production without one, and never falls back silently on a malformed value.
 */
export function piiMasterKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.PII_MASTER_KEY?.trim();
  if (!value) {
    if (env.NODE_ENV === 'production') throw new Error('PII_MASTER_KEY must be set in production (base64 of 32 random bytes)');
    return DEV_ONLY_PII_MASTER_KEY;
  }
  // The error never quotes the value: it is a secret.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || Buffer.from(value, 'base64').length !== 32) {
    throw new Error('PII_MASTER_KEY must be base64 of exactly 32 bytes');
  }
  return value;
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
    piiMasterKey: piiMasterKeyFromEnv(env),
  };
}
