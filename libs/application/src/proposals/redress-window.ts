import { ConfigurationError, nonEmpty } from '@app/platform/config/environment';

/** Days after a decision within which the lead or an accepted partner may request redress (EU practice: 30). */
export const DEFAULT_REDRESS_WINDOW_DAYS = 30;

/**
 * REDRESS_WINDOW_DAYS, a whole number of days from 1 to 365 (default 30). Read where a redress
 * request is decided and where the evaluation summary states the window's end; a bad value stops
 * the process at start, naming the variable.
 */
export function redressWindowDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = nonEmpty(env.REDRESS_WINDOW_DAYS);
  if (value === undefined) return DEFAULT_REDRESS_WINDOW_DAYS;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new ConfigurationError([{ variable: 'REDRESS_WINDOW_DAYS', problem: `must be a whole number of days from 1 to 365, got "${value}"` }]);
  }
  return days;
}

/** When the redress window of a decision ends: the decider's own computation. */
export { redressWindowEndsAt } from '@app/domain/proposal';
