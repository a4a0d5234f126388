/**
 * Webhook delivery settings, read once from the environment. Tests override the WEBHOOK_CONFIG
 * provider with small timings.
 */
export const WEBHOOK_CONFIG = Symbol('WEBHOOK_CONFIG');

export interface WebhookConfig {
  /** Host names (or IP literals) that may resolve to internal addresses: local development and tests only. */
  allowedHosts: string[];
  /** One delivery attempt gives up after this long (connect + response). */
  timeoutMs: number;
  /** Backoff before attempt n+1 is a random delay in [0, min(maxMs, baseMs * 2^(n-1))] (full jitter). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** After this many failed attempts a delivery is dead (dead letter) and the subscription moves on. */
  maxAttempts: number;
  /** How often the sender looks for due deliveries when nothing woke it up (other processes' work, backoff expiry). */
  pollMs: number;
  /** Subscriptions one process sends to at once (each one delivery at a time, in log order). */
  concurrency: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`${name} must be an integer >= ${min}, got "${value}"`);
  return parsed;
}

export function webhookConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  return {
    allowedHosts: (env.WEBHOOK_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 1),
    retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 5_000),
    retryMaxMs: int(env, 'WEBHOOK_RETRY_MAX_MS', 3_600_000),
    maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1),
    pollMs: int(env, 'WEBHOOK_POLL_MS', 1_000, 1),
    concurrency: int(env, 'WEBHOOK_CONCURRENCY', 8, 1),
  };
}

export const webhookConfigProvider = { provide: WEBHOOK_CONFIG, useFactory: () => webhookConfigFromEnv() };
