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

/**
 * Asks `shows` again (every 100 ms, `withinMs` at most, 5 s by default) until a read model shows
 * what a command did; answers whether it did.
 */
export async function untilRead(shows: () => Promise<boolean>, withinMs = 5000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await shows().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Waits until the proposal's row shows the version a command produced; answers whether it did. */
export function proposalAtVersion(id: string, version: number): Promise<boolean> {
  return untilRead(async () => {
    const { data } = await api.GET('/proposals/{id}', { params: { path: { id } } });
    return data !== undefined && data.version >= version;
  });
}

/**
 * An award decision is followed by the award workflow, in the worker: the call commits the funds
 * (or refuses them: the proposal goes back, funds unavailable), then the grant is awarded. Waits
 * (15 s at most) until the proposal shows the award's outcome and, when funded, until the call's
 * row has moved past `callVersion` (the commitment is an event of the call), so the board's budget
 * and columns show the outcome rather than the moment between.
 */
export async function awardSettled(proposalId: string, callId: string, callVersion: number): Promise<void> {
  await untilRead(async () => {
    const { data: proposal } = await api.GET('/proposals/{id}', { params: { path: { id: proposalId } } });
    const outcome = proposal?.award?.status;
    if (outcome === 'funds-unavailable') return true;
    if (outcome !== 'awarded') return false;
    const { data: call } = await api.GET('/calls/{id}', { params: { path: { id: callId } } });
    return call !== undefined && call.version > callVersion;
  }, 15_000);
}
