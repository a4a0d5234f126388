/**
 * Prints a bearer token for local use, signed with the same env config as the server
 * (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE):
 *   npx tsx scripts/token.ts --role grant-manager --sub alice [--org <uuid>] [--ttl 8h]
 * Only the token goes to stdout, so it can be captured: TOKEN=$(npm run -s token -- --role admin)
 */
import { parseArgs } from 'node:util';
// Direct file imports keep Nest (and its decorators) out of this script.
import { authConfigFromEnv } from '@app/platform/auth/auth.config';
import { isRole, ROLES } from '@app/platform/auth/roles';
import { signToken } from '@app/platform/auth/sign-token';

const USAGE = `Usage: token --role <${ROLES.join('|')}> [--sub <id>] [--org <organisation id>] [--ttl 8h]`;

async function main(): Promise<number> {
  let values: { role?: string; sub?: string; org?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        sub: { type: 'string' },
        org: { type: 'string' },
        ttl: { type: 'string', default: '8h' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { role, org, ttl } = values;
  if (!isRole(role)) {
    console.error(`${role === undefined ? 'Missing --role' : `Unknown role "${role}"`}; expected one of: ${ROLES.join(', ')}\n${USAGE}`);
    return 2;
  }
  if (role === 'applicant' && !org) {
    console.error(`An applicant token needs --org <organisation id>\n${USAGE}`);
    return 2;
  }
  const config = authConfigFromEnv();
  if (!config.jwtSecret) {
    console.error('JWT_JWKS_URL is set: tokens come from the identity provider, not from this script');
    return 2;
  }
  const sub = values.sub ?? `local-${role}`;
  let token: string;
  try {
    token = await signToken({ id: sub, role, ...(org ? { organisationId: org } : {}) }, config, ttl);
  } catch (error) {
    console.error(`Cannot sign a token with --ttl "${ttl}": ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  process.stdout.write(`${token}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
