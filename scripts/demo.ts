/**
 * npm run demo — plays a realistic programme against a running server (npm start) through its
 * public HTTP API and leaves the data there to explore in /docs. BASE_URL defaults to localhost:3000.
 * Tokens are signed with the same local configuration as the server (JWT_SECRET etc.).
 */
import { authConfigFromEnv } from '@app/platform/auth/auth.config';
import { signToken } from '@app/platform/auth/sign-token';
import { playProgramme } from './demo/programme';

async function main(): Promise<void> {
  const baseUrl = (process.env.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
  const health = await fetch(`${baseUrl}/health`).catch(() => undefined);
  if (!health?.ok) {
    console.error(`No healthy Grant Ledger at ${baseUrl}: start it with \`npm start\` (or set BASE_URL).`);
    process.exitCode = 1;
    return;
  }
  const auth = authConfigFromEnv();
  const result = await playProgramme({ baseUrl, token: (actor) => signToken(actor, auth, '1h'), log: (line) => console.log(line) });
  console.log(`\nDone. Explore at ${baseUrl}/docs with a token from \`npm run token -- --role grant-manager\`:`);
  console.log(`  GET /calls/${result.callId}`);
  console.log(`  GET /calls/${result.callId}/ranking`);
  console.log(`  GET /proposals?callId=${result.callId}`);
  for (const grantId of Object.values(result.grants)) console.log(`  GET /grants/${grantId}`);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
