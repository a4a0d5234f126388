/**
 * All configuration comes from the environment, read and validated once at start-up by the schema
 * below (the JWT part: auth/auth.config.ts). `loadConfig` reports every problem at once, each
 * naming its variable, and the API and the worker refuse to start on any.
 *
 * Unless NODE_ENV is exactly `development` or `test` (see isDevelopmentOrTest), every secret the
 * processes read must be set, must not be a value published in this repository, and must be
 * strong. The README's configuration table mirrors this file: keep them together.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { authConfigFromEnv } from '../auth/auth.config';
import { type DocumentsConfig, documentsConfigFromEnv } from './documents-config';
import { type ConfigurationProblem, ConfigurationError, isDevelopmentOrTest, nonEmpty } from './environment';
import { type RecipientCeilingConfig, recipientCeilingConfigFromEnv } from './recipient-ceiling-config';
import { type MailConfig, mailConfigFromEnv } from './mail-config';

export { ConfigurationError, isDevelopmentOrTest, type ConfigurationProblem } from './environment';
export type { RecipientCeilingConfig } from './recipient-ceiling-config';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Request limits per caller (see apps/api/src/security). A limit of 0 turns that limit off. */
export interface ThrottleConfig {
  /** Commands (POST, PUT, PATCH, DELETE) per caller — the token's subject, else the client address — per window. */
  commandsLimit: number;
  commandsWindowMs: number;
  /** Failed authentications per client address per window; the next one blocks the address for authFailuresBlockMs. */
  authFailuresLimit: number;
  authFailuresWindowMs: number;
  authFailuresBlockMs: number;
}

export interface AppConfig {
  port: number;
  host: string;
  /** Unset: start the embedded PostgreSQL under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  embeddedPostgresPort: number;
  eventStore: 'postgres' | 'esdb';
  eventStoreConnectionString?: string;
  /**
   * Group commit on the PostgreSQL event store (EVENT_STORE_APPENDS_IN_FLIGHT): at most this many
   * appends in flight, the single-event appends that arrive meanwhile sent together, in one
   * statement and one commit. 0: every append alone.
   */
  eventStoreAppendsInFlight: number;
  /**
   * A read of a stream that folds at least this many events stores a decider snapshot of the state
   * it reached (DECIDER_SNAPSHOT_EVERY, default 100); 0: no decider snapshots are read or written.
   * Optional in the type only so hand-built configs keep compiling.
   */
  deciderSnapshotEvery?: number;
  /**
   * Worker threads that read and hash the log for `GET /audit/verify` (AUDIT_VERIFY_THREADS; default
   * one per core but one, at least 1), so that a check of a long log leaves the API's event loop to
   * requests; 0: the API's own thread reads it, between requests. Optional in the type only so
   * hand-built configs keep compiling (absent: 0).
   */
  auditVerifyThreads?: number;
  /** Run projections (the worker) inside the API process. */
  runWorker: boolean;
  logLevel: string;
  /**
   * Base64 of the 32-byte master key that wraps the per-subject personal-data keys (PII_MASTER_KEY).
   * A secret: never log it. Optional in the type only so hand-built configs keep compiling;
   * `loadConfig` always sets it.
   */
  piiMasterKey?: string;
  /**
   * Where the API is reachable from outside, without a trailing slash (PUBLIC_BASE_URL): every URL
   * the API publishes starts with it. Never taken from a request's Host header.
   */
  publicBaseUrl: string;
  /** Browser origins allowed to call the API cross-origin (CORS_ALLOWED_ORIGINS). Empty: none. */
  corsAllowedOrigins: string[];
  /**
   * Which proxies in front of the API are believed about the client address (X-Forwarded-For), as
   * Express's `trust proxy`: false (none), a hop count, or proxy addresses and subnets (TRUST_PROXY).
   */
  trustProxy: false | number | string[];
  /**
   * How long an idle keep-alive connection stays open (HTTP_KEEP_ALIVE_TIMEOUT_MS, default 65 s).
   * Longer than the idle timeout of the proxies usually in front (60 s for nginx's upstream
   * keep-alive and cloud load balancers), so the proxy, never the API, closes an idle connection:
   * with Node's default of 5 s a client or proxy could send a request on a connection at the
   * instant the server closed it, and see ECONNRESET (a 502 behind a proxy).
   */
  httpKeepAliveTimeoutMs: number;
  throttle: ThrottleConfig;
  /** Uploaded documents: size limit, allowed types, where they are stored (documents-config.ts). */
  documents: DocumentsConfig;
  /**
   * The programme's term for transfers between budget lines without an amendment: the share of a
   * line's budget (basis points, 1000 = 10 %) that spending on it may exceed, covered by other lines
   * (BUDGET_TRANSFER_SHARE_BASIS_POINTS). A call's own term, given when the budget is agreed, wins.
   */
  budgetTransferShareBasisPoints: number;
  /** E-mail notifications over SMTP (mail-config.ts); no SMTP host: off. */
  mail: MailConfig;
  /**
   * The ceiling per recipient (EU rules on financial support to third parties): what one
   * organisation may be awarded across a programme, in minor units of the call's currency, when
   * the call states none. `byProgramme` (RECIPIENT_CEILINGS) names programmes with their own;
   * every other programme has `defaultMinor` (RECIPIENT_CEILING_MINOR, 6,000,000: EUR 60,000).
   */
  recipientCeiling: RecipientCeilingConfig;
}

/**
 * FOR LOCAL DEVELOPMENT AND TESTS ONLY — NOT A SECRET. Used when PII_MASTER_KEY is unset and
 * NODE_ENV is `development` or `test`. Anything encrypted under it is readable by anyone with this file.
 */
export const DEV_ONLY_PII_MASTER_KEY = Buffer.from('grant-ledger-DEV-ONLY-pii-master', 'utf8').toString('base64');

/**
 * Secret values anyone can read in this repository — development defaults and docker/compose.yml's
 * placeholders — refused in production whatever their form. Audit keys by key id (the first 16 hex
 * digits of sha256 of the public key's SPKI DER): the development key (audit-signing-key.ts) and the
 * compose placeholder.
 */
export const PUBLICLY_KNOWN_SECRETS = {
  PII_MASTER_KEY: [DEV_ONLY_PII_MASTER_KEY, 'Z3JhbnQtbGVkZ2VyLUxPQ0FMLWNvbXBvc2Utb25seSE='],
  PUBLIC_PSEUDONYM_SECRET: ['grant-ledger-DEV-ONLY-public-pseudonyms', 'local-compose-only-pseudonym-secret-change-me'],
  AUDIT_KEY_IDS: ['3db63827ee9a7983', 'e1ca17dbdcece84b'],
} as const;

/**
 * PII_MASTER_KEY: base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`). Refuses to start in
 * production without one, and never falls back silently on a malformed value.
 */
export function piiMasterKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.PII_MASTER_KEY?.trim();
  if (!value) {
    if (!isDevelopmentOrTest(env)) throw new Error('PII_MASTER_KEY must be set in production (base64 of 32 random bytes)');
    return DEV_ONLY_PII_MASTER_KEY;
  }
  // The error never quotes the value: it is a secret.
  if (!isBase64Of32Bytes(value)) throw new Error('PII_MASTER_KEY must be base64 of exactly 32 bytes');
  return value;
}

function isBase64Of32Bytes(value: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32;
}

/**
 * Random bytes almost never are all printable ASCII (32 of them: about 1 in 10^14) nor repeat much;
 * a key that does was typed, not generated.
 */
function looksGenerated(bytes: Buffer): boolean {
  const printable = bytes.every((byte) => byte >= 0x20 && byte <= 0x7e);
  return !printable && new Set(bytes).size >= 16;
}

/** The environment, checked against the schema. Throws ConfigurationError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const production = !isDevelopmentOrTest(env);
  const problems: ConfigurationProblem[] = [];
  const fail = (variable: string, problem: string) => problems.push({ variable, problem });

  const int = (variable: string, fallback: number, min = 0): number => {
    const value = nonEmpty(env[variable]);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      fail(variable, `must be a whole number >= ${min}, got "${value}"`);
      return fallback;
    }
    return parsed;
  };

  const eventStore = (nonEmpty(env.EVENT_STORE) ?? 'postgres') as AppConfig['eventStore'];
  if (eventStore !== 'postgres' && eventStore !== 'esdb') fail('EVENT_STORE', `must be postgres or esdb, got "${String(eventStore)}"`);
  const port = int('PORT', 3000);
  const runWorker = bool(env.RUN_WORKER, true);

  // JWT_*: the same rules as the server's AuthModule applies.
  try {
    authConfigFromEnv(env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    problems.push(...error.problems);
  }

  const budgetTransferShareBasisPoints = int('BUDGET_TRANSFER_SHARE_BASIS_POINTS', 1_000);
  if (budgetTransferShareBasisPoints > 10_000) fail('BUDGET_TRANSFER_SHARE_BASIS_POINTS', 'must be at most 10000 basis points (100 %)');

  // The embedded PostgreSQL (no DATABASE_URL) is for a developer's machine and the tests: its
  // password is published in this repository and it listens on the host's loopback, where any local
  // process could read or alter the log and the key table.
  if (production && nonEmpty(env.DATABASE_URL) === undefined) {
    fail('DATABASE_URL', 'must be set in production: without it the embedded PostgreSQL starts, whose password is published in this repository (development and tests only)');
  }
  const piiMasterKey = checkPiiMasterKey(env, production, fail);
  checkAuditKeys(env, production, runWorker, fail);
  checkPseudonymSecret(env, production, fail);

  const config: AppConfig = {
    port,
    host: nonEmpty(env.HOST) ?? '0.0.0.0',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dataDir: resolve(nonEmpty(env.DATA_DIR) ?? '.data'),
    embeddedPostgresPort: int('EMBEDDED_POSTGRES_PORT', 54329),
    eventStore,
    eventStoreConnectionString: nonEmpty(env.EVENTSTORE_CONNECTION_STRING),
    eventStoreAppendsInFlight: int('EVENT_STORE_APPENDS_IN_FLIGHT', 2),
    deciderSnapshotEvery: int('DECIDER_SNAPSHOT_EVERY', 100),
    auditVerifyThreads: int('AUDIT_VERIFY_THREADS', Math.max(1, availableParallelism() - 1)),
    runWorker,
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    piiMasterKey,
    publicBaseUrl: publicBaseUrl(env, production, port, fail),
    corsAllowedOrigins: corsAllowedOrigins(env, fail),
    trustProxy: trustProxy(env, fail),
    httpKeepAliveTimeoutMs: int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1),
    throttle: {
      commandsLimit: int('THROTTLE_COMMANDS_LIMIT', 6_000),
      commandsWindowMs: int('THROTTLE_COMMANDS_WINDOW_MS', 10_000, 1),
      authFailuresLimit: int('THROTTLE_AUTH_FAILURES_LIMIT', 100),
      authFailuresWindowMs: int('THROTTLE_AUTH_FAILURES_WINDOW_MS', 60_000, 1),
      authFailuresBlockMs: int('THROTTLE_AUTH_FAILURES_BLOCK_MS', 300_000, 1),
    },
    documents: documentsConfigFromEnv(env, fail),
    budgetTransferShareBasisPoints,
    mail: mailConfigFromEnv(env, production, fail),
    recipientCeiling: recipientCeilingConfigFromEnv(env, fail),
  };
  if (problems.length) throw new ConfigurationError(problems, production);
  return config;
}

type Fail = (variable: string, problem: string) => void;

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

function checkPiiMasterKey(env: NodeJS.ProcessEnv, production: boolean, fail: Fail): string {
  const value = nonEmpty(env.PII_MASTER_KEY);
  // The messages never quote the value: it is a secret.
  if (!value) {
    if (production) fail('PII_MASTER_KEY', 'must be set in production: base64 of 32 random bytes, e.g. `openssl rand -base64 32`');
    return DEV_ONLY_PII_MASTER_KEY;
  }
  if (!isBase64Of32Bytes(value)) {
    fail('PII_MASTER_KEY', 'must be base64 of exactly 32 bytes');
  } else if (production && (PUBLICLY_KNOWN_SECRETS.PII_MASTER_KEY as readonly string[]).includes(value)) {
    fail('PII_MASTER_KEY', 'is a development default published in this repository; set a key of your own');
  } else if (production && !looksGenerated(Buffer.from(value, 'base64'))) {
    fail('PII_MASTER_KEY', 'is too weak: it must be 32 random bytes (`openssl rand -base64 32`), not text');
  }
  return value;
}

/**
 * AUDIT_SIGNING_KEY (the worker signs seals with it) and AUDIT_PUBLIC_KEY (verification). A process
 * that runs no worker may hold the public key only (least privilege).
 */
function checkAuditKeys(env: NodeJS.ProcessEnv, production: boolean, runWorker: boolean, fail: Fail): void {
  const signing = nonEmpty(env.AUDIT_SIGNING_KEY);
  const verifying = nonEmpty(env.AUDIT_PUBLIC_KEY);
  const check = (variable: string, value: string, kind: 'private' | 'public') => {
    const key = ed25519Key(value, kind);
    if (!key) return fail(variable, kind === 'private' ? 'is not an Ed25519 private key (PKCS#8, PEM or base64 DER)' : 'is not an Ed25519 public key (SPKI, PEM or base64 DER)');
    if (production && (PUBLICLY_KNOWN_SECRETS.AUDIT_KEY_IDS as readonly string[]).includes(auditKeyId(key))) {
      fail(variable, 'is a development key published in this repository: anyone can forge seals under it');
    }
  };
  if (signing) check('AUDIT_SIGNING_KEY', signing, 'private');
  if (verifying) check('AUDIT_PUBLIC_KEY', verifying, 'public');
  if (production && !signing && (runWorker || !verifying)) {
    fail('AUDIT_SIGNING_KEY', `must be set in production${runWorker ? '' : ' (or AUDIT_PUBLIC_KEY, on a process that runs no worker)'}: \`openssl genpkey -algorithm ed25519 | base64 -w0\``);
  }
}

function ed25519Key(value: string, kind: 'private' | 'public'): KeyObject | undefined {
  try {
    const key = value.includes('-----BEGIN')
      ? kind === 'private'
        ? createPrivateKey(value)
        : createPublicKey(value)
      : kind === 'private'
        ? createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' })
        : createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** As audit-signing-key.ts names keys: the first 16 hex digits of sha256(SPKI DER). */
export function auditKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

function checkPseudonymSecret(env: NodeJS.ProcessEnv, production: boolean, fail: Fail): void {
  const value = nonEmpty(env.PUBLIC_PSEUDONYM_SECRET);
  if (!value) {
    if (production) fail('PUBLIC_PSEUDONYM_SECRET', 'must be set in production: at least 32 random characters, e.g. `openssl rand -base64 32`');
  } else if (value.length < 32) {
    fail('PUBLIC_PSEUDONYM_SECRET', 'must be at least 32 characters long');
  } else if (production && (PUBLICLY_KNOWN_SECRETS.PUBLIC_PSEUDONYM_SECRET as readonly string[]).includes(value)) {
    fail('PUBLIC_PSEUDONYM_SECRET', 'is a development default published in this repository; set a secret of your own');
  }
}

/** An absolute http(s) origin plus optional path; production needs it set, and https. */
function publicBaseUrl(env: NodeJS.ProcessEnv, production: boolean, port: number, fail: Fail): string {
  const value = nonEmpty(env.PUBLIC_BASE_URL);
  if (!value) {
    if (production) fail('PUBLIC_BASE_URL', 'must be set in production: the https URL the API is reached at, e.g. https://grants.example.org');
    return `http://localhost:${port}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('PUBLIC_BASE_URL', 'is not an absolute URL');
    return value;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('PUBLIC_BASE_URL', 'must be an http or https URL');
  else if (production && url.protocol !== 'https:') fail('PUBLIC_BASE_URL', 'must be an https URL in production');
  if (url.username || url.password || url.search || url.hash) fail('PUBLIC_BASE_URL', 'must have no credentials, query or fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** `https://app.example.org,https://portal.example.org`: exact origins (scheme, host, port), no wildcard. */
function corsAllowedOrigins(env: NodeJS.ProcessEnv, fail: Fail): string[] {
  const origins = (env.CORS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let valid = false;
    try {
      const url = new URL(origin);
      valid = (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin && !origin.includes('*');
    } catch {
      valid = false;
    }
    if (!valid) {
      fail('CORS_ALLOWED_ORIGINS', `must list exact origins such as https://app.example.org (scheme, host and port only; no wildcard), got "${origin}"`);
    }
  }
  return origins;
}

/**
 * TRUST_PROXY: unset or `false` — the client address is the connection's (no proxy); a number —
 * that many proxies in front; otherwise proxy addresses or subnets (and Express's names
 * `loopback`, `linklocal`, `uniquelocal`). `true` (believe any X-Forwarded-For) is refused: it
 * would let every caller choose the address it is throttled under.
 */
function trustProxy(env: NodeJS.ProcessEnv, fail: Fail): AppConfig['trustProxy'] {
  const value = nonEmpty(env.TRUST_PROXY);
  if (value === undefined || value.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    const prefixValid = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!named.has(entry) && !(family && prefixValid)) {
      fail('TRUST_PROXY', `must be false, a number of proxies, or proxy addresses/subnets (loopback, 10.0.0.0/8, …), got "${entry}"`);
      return false;
    }
  }
  return entries;
}

/** An absolute URL the API publishes: PUBLIC_BASE_URL followed by `path`. */
export function publicUrl(config: Pick<AppConfig, 'publicBaseUrl'>, path: string): string {
  return `${config.publicBaseUrl}/${path.replace(/^\/+/, '')}`;
}
