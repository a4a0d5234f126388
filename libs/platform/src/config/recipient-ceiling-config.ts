/**
 * The ceiling per recipient (RECIPIENT_CEILING_MINOR, RECIPIENT_CEILINGS), part of the
 * configuration schema (app-config.ts): what one organisation may be awarded across a programme,
 * in minor units of the call's currency, when the call states no ceiling of its own.
 */
import { nonEmpty } from './environment';

export interface RecipientCeilingConfig {
  /** Every programme not named in byProgramme (RECIPIENT_CEILING_MINOR; 6,000,000 = EUR 60,000). */
  defaultMinor: number;
  /** Programmes (by the calls' `programme`) with a ceiling of their own (RECIPIENT_CEILINGS). */
  byProgramme: Readonly<Record<string, number>>;
  /** The currency both are in (RECIPIENT_CEILING_CURRENCY, ISO 4217; EUR): a call in another states its own ceiling. */
  currency: string;
}

export const DEFAULT_RECIPIENT_CEILING_MINOR = 6_000_000;

const EXAMPLE = '{"Civic Space 2027": 5000000}';

export function recipientCeilingConfigFromEnv(env: NodeJS.ProcessEnv, fail: (variable: string, problem: string) => void): RecipientCeilingConfig {
  return { defaultMinor: defaultCeiling(env, fail), byProgramme: ceilingsByProgramme(env, fail), currency: ceilingCurrency(env, fail) };
}

function ceilingCurrency(env: NodeJS.ProcessEnv, fail: (variable: string, problem: string) => void): string {
  const value = nonEmpty(env.RECIPIENT_CEILING_CURRENCY);
  if (value === undefined) return 'EUR';
  if (/^[A-Z]{3}$/.test(value) && Intl.supportedValuesOf('currency').includes(value)) return value;
  fail('RECIPIENT_CEILING_CURRENCY', `must be an ISO 4217 currency code such as EUR, got "${value}"`);
  return 'EUR';
}

function defaultCeiling(env: NodeJS.ProcessEnv, fail: (variable: string, problem: string) => void): number {
  const value = nonEmpty(env.RECIPIENT_CEILING_MINOR);
  if (value === undefined) return DEFAULT_RECIPIENT_CEILING_MINOR;
  const parsed = Number(value);
  if (Number.isSafeInteger(parsed) && parsed >= 1) return parsed;
  fail('RECIPIENT_CEILING_MINOR', `must be a whole number of minor units >= 1, got "${value}"`);
  return DEFAULT_RECIPIENT_CEILING_MINOR;
}

/** A JSON object of programme name → ceiling in minor units. */
function ceilingsByProgramme(env: NodeJS.ProcessEnv, fail: (variable: string, problem: string) => void): Record<string, number> {
  const value = nonEmpty(env.RECIPIENT_CEILINGS);
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const valid = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((ceiling) => Number.isSafeInteger(ceiling) && (ceiling as number) >= 1);
  if (!valid) {
    fail('RECIPIENT_CEILINGS', `must be a JSON object of programme name to a whole number of minor units >= 1, e.g. ${EXAMPLE}`);
    return {};
  }
  return { ...(parsed as Record<string, number>) };
}
