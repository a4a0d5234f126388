export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __GRANT_LEDGER_ESDB__?: { stop(): Promise<void> } }).__GRANT_LEDGER_ESDB__?.stop();
  (globalThis as { __GRANT_LEDGER_PG__?: { stop(): void } }).__GRANT_LEDGER_PG__?.stop();
}
