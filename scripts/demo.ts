/**
 * npm run demo — plays a realistic programme against a running server (npm start) through its
 * public HTTP API and leaves the data there to explore in /docs. The server: BASE_URL, else
 * http://localhost:$PORT (the port `npm start` listens on; 3000 by default).
 * Tokens are signed with the same local configuration as the server (JWT_SECRET etc.).
 */
import { authConfigFromEnv } from '@app/platform/auth/auth.config';
import { signToken } from '@app/platform/auth/sign-token';
import { loadConfig } from '@app/platform/config/app-config';
import { playProgramme } from './demo/programme';

/** BASE_URL, else the local server on PORT, read by the server's own configuration. */
function demoBaseUrl(): string {
  const baseUrl = process.env.BASE_URL?.trim();
  if (baseUrl) return baseUrl.replace(/\/+$/, '');
  return `http://localhost:${loadConfig().port}`;
}

async function main(): Promise<void> {
  const baseUrl = demoBaseUrl();
  const health = await fetch(`${baseUrl}/health`).catch(() => undefined);
  if (!health?.ok) {
    console.error(
      `No healthy Grant Ledger at ${baseUrl}: start it with \`npm start\`. A server on another port: run the demo with the same PORT ` +
        '(e.g. `PORT=3001 npm run demo`); elsewhere: set BASE_URL (e.g. `BASE_URL=https://ledger.example.org npm run demo`).',
    );
    process.exitCode = 1;
    return;
  }
  const auth = authConfigFromEnv();
  const result = await playProgramme({ baseUrl, token: (actor) => signToken(actor, auth, '1h'), log: (line) => console.log(line) });
  console.log(`\nDone. Explore at ${baseUrl}/docs with a token from \`npm run token -- --role grant-manager\`:`);
  console.log(`  GET /calls/${result.callId}`);
  console.log(`  GET /calls/${result.callId}/ranking`);
  console.log(`  GET /proposals?callId=${result.callId}`);
  console.log('  GET /proposals?q=rights&country=PS   (and GET /grants with the header Accept: text/csv for the portfolio as CSV)');
  for (const grantId of Object.values(result.grants)) console.log(`  GET /grants/${grantId}`);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
