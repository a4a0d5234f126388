export { isOutage } from '@app/platform/database/outage';

/** Seconds a client should wait before retrying after a 503 (OUTAGE_RETRY_AFTER_SECONDS, default 2). */
export interface ProblemDetailsOptions {
  outageRetryAfterSeconds: number;
}

export const PROBLEM_DETAILS_OPTIONS = Symbol('PROBLEM_DETAILS_OPTIONS');

export const DEFAULT_PROBLEM_DETAILS_OPTIONS: ProblemDetailsOptions = { outageRetryAfterSeconds: 2 };

export function problemDetailsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ProblemDetailsOptions {
  const raw = env.OUTAGE_RETRY_AFTER_SECONDS?.trim();
  if (!raw) return DEFAULT_PROBLEM_DETAILS_OPTIONS;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 1 || seconds > 3600) {
    throw new Error(`OUTAGE_RETRY_AFTER_SECONDS must be a whole number of seconds from 1 to 3600, got "${raw}"`);
  }
  return { outageRetryAfterSeconds: seconds };
}
