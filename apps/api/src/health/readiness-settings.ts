import { problemDetailsOptionsFromEnv } from '../http/problem/service-unavailable';

/** Readiness thresholds (README: configuration). */
export interface ReadinessSettings {
  /** A consumer further behind than this turns a worker process unready (READY_MAX_LAG_SECONDS, default 30). */
  maxLagSeconds: number;
  /** Retry-After on a 503: the same as every outage answer (OUTAGE_RETRY_AFTER_SECONDS, default 2). */
  retryAfterSeconds: number;
}

export function readinessSettings(env: NodeJS.ProcessEnv = process.env): ReadinessSettings {
  return {
    maxLagSeconds: positive('READY_MAX_LAG_SECONDS', env.READY_MAX_LAG_SECONDS, 30),
    retryAfterSeconds: problemDetailsOptionsFromEnv(env).outageRetryAfterSeconds,
  };
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} must be a positive number`);
  return parsed;
}
