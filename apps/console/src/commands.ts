/**
 * Commands on a proposal, and waiting for the read models to show what a command did: the API
 * answers a command once it is in the log, and its read models follow the log a few milliseconds
 * later, so a view that reloads at once may show the state from before. The board and the
 * reviewer's queue both wait here before they reload.
 */
import { api, asProblem, type Problem, type Schemas } from './api';

/**
 * Sends a command the form built to a documented path (`/proposals/{id}/…`). With `version`, it
 * goes with `If-Match: "<version>"`: refused with 409 if the proposal changed since the view
 * showed it (another manager acted), rather than decided on a state nobody here saw. Answers the
 * problem, or the stream version the command produced.
 */
export async function sendCommand(path: string, id: string, body: unknown, version?: number): Promise<{ problem: Problem } | { version: number }> {
  const headers = version === undefined ? {} : { 'If-Match': `"${version}"` };
  // The paths are the documented ones; the body is what the schema-driven form built.
  const result = await api
    .POST(path as '/proposals/{id}/eligibility', { params: { path: { id } }, headers, body: body as Schemas['ScreenEligibilityDto'] })
    .catch((error: unknown) => ({ error, data: undefined, response: undefined }));
  if (result.error !== undefined || !result.data) return { problem: asProblem(result.error, result.response?.status) };
  return { version: result.data.version };
}

/** Asks `shows` again (every 100 ms, 5 s at most) until a read model shows what a command did. */
export async function untilRead(shows: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await shows().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the proposal's row shows the version a command produced. */
export function proposalAtVersion(id: string, version: number): Promise<void> {
  return untilRead(async () => {
    const { data } = await api.GET('/proposals/{id}', { params: { path: { id } } });
    return data !== undefined && data.version >= version;
  });
}
