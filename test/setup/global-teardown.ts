export default async function globalTeardown(): Promise<void> {
  (globalThis as { __GRANT_LEDGER_PG__?: { stop(): void } }).__GRANT_LEDGER_PG__?.stop();
}
