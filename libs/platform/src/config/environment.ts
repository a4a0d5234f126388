/**
 * What the configuration schema (app-config.ts, and auth/auth.config.ts for the JWT part) shares:
 * which rules apply (development or production), how a refusal is reported, and how strong a
 * secret typed as text is. No framework imports: scripts/token.ts loads this without Nest.
 */

/** The only NODE_ENV values under which development defaults are accepted. */
const DEVELOPMENT_MODES: ReadonlySet<string | undefined> = new Set(['development', 'test']);

/**
 * True only when NODE_ENV is exactly `development` or `test`. Anything else — unset, empty,
 * `production`, `Production`, `prod`, `staging` — gets the production rules: a process that was
 * not told it is a developer's refuses development secrets.
 *
 * An `env` object passed in without a NODE_ENV key (tests pass partial environments) takes the
 * process's NODE_ENV: in a production process no caller obtains development defaults by passing a
 * partial environment.
 */
export function isDevelopmentOrTest(env: NodeJS.ProcessEnv = process.env): boolean {
  return DEVELOPMENT_MODES.has('NODE_ENV' in env ? env.NODE_ENV : process.env.NODE_ENV);
}

export interface ConfigurationProblem {
  /** The environment variable at fault. */
  variable: string;
  /** What is wrong, never quoting the value (it may be a secret). */
  problem: string;
}

/** The process refuses to start: every problem found, each naming its variable. */
export class ConfigurationError extends Error {
  constructor(
    readonly problems: readonly ConfigurationProblem[],
    production = true,
  ) {
    super(
      `Invalid configuration: ${problems.map(({ variable, problem }) => `${variable} ${problem}`).join('; ')}` +
        (production ? ' (production rules apply unless NODE_ENV is exactly "development" or "test")' : ''),
    );
    this.name = new.target.name;
  }
}

/** The value of a variable, or undefined when unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** 2^256: what 32 random bytes give, the strength an HMAC-SHA256 key should have. */
export const STRONG_SECRET_BITS = 256;

/**
 * A conservative estimate of the random bits in a secret typed as text: length times the bits a
 * character of its alphabet can carry (hex digits 4, letters and digits about 6, with other symbols
 * about 6.6). A string of few distinct characters ("aaaa…", "abab…") counts as no randomness at all.
 * It cannot tell a memorable phrase from a random string; it catches the short, the repetitive and
 * the hex or base64 string that encodes fewer than 32 bytes.
 */
export function estimatedSecretBits(secret: string): number {
  const characters = [...secret];
  if (new Set(characters).size < 10) return 0;
  if (/^[0-9a-fA-F]+$/.test(secret)) return characters.length * 4;
  let alphabet = 0;
  if (/[a-z]/.test(secret)) alphabet += 26;
  if (/[A-Z]/.test(secret)) alphabet += 26;
  if (/[0-9]/.test(secret)) alphabet += 10;
  if (/[^A-Za-z0-9]/.test(secret)) alphabet += 33;
  return characters.length * Math.log2(alphabet);
}
