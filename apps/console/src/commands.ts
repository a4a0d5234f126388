/**
 * Commands on a proposal, and waiting for the read models to show what a command did: the API
 * answers a command once it is in the log, and its read models follow the log a few milliseconds
 * later, so a view that reloads at once may show the state from before. The board and the
 * reviewer's queue both wait here before they reload.
 */
import { api, asProblem, type Problem, type Schemas } from './api';

/** An openapi-fetch answer, or the failure of a request that got none. */
type Answer = { data?: { version: number }; error?: unknown; response?: Response };

/**
 * The Idempotency-Key of each command whose outcome is not known yet, by what it asks (path and
 * body). Kept in this page's memory only, never in storage (a body can hold personal data): the key
 * of a request that got no answer, or a 5xx (a 503: "whether the request was applied is unknown"),
 * is sent again with the same command. Sent with the same `If-Match` too, the API records it at
 * most once and answers as it did the first time; sent after the view was read again (another
 * `If-Match`), the API refuses the key as reused (422 `idempotency.key-reused`) if the first one was
 * recorded — never twice — and runs it if not (it remembers no failed request). An answer that
 * settles the outcome (2xx, 4xx) drops the key: the next submission, even of the same values, is a
 * new command.
 */
const unsettled = new Map<string, string>();

function newKey(): string {
  // crypto.randomUUID needs a secure context; getRandomValues works on any origin the console is served from.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Sends a command with an `Idempotency-Key` (the same one for a retry of the same request whose
 * outcome is unknown), and `If-Match: "<version>"` when a version is given. A device that knows it
 * is offline does not send it at all, and says nothing was sent. Answers the problem (marked as a
 * command's), or the stream version the command produced.
 */
export async function sendKeyed(
  request: { path: string; params: Record<string, string>; body: unknown; version?: number },
  send: (headers: Record<string, string>) => Promise<Answer>,
): Promise<{ problem: Problem } | { version: number }> {
  if (navigator.onLine === false) return { problem: { ...asProblem(new Error('offline'), undefined, true), unreachable: 'offline', notSent: true } };
  const fingerprint = JSON.stringify([request.path, request.params, request.body ?? null]);
  const key = unsettled.get(fingerprint) ?? newKey();
  unsettled.set(fingerprint, key);
  const headers: Record<string, string> = { 'Idempotency-Key': key, ...(request.version === undefined ? {} : { 'If-Match': `"${request.version}"` }) };
  const result = await send(headers).catch((error: unknown): Answer => ({ error, data: undefined, response: undefined }));
  const status = result.response?.status ?? 0;
  if (status !== 0 && status < 500) unsettled.delete(fingerprint);
  if (result.error !== undefined || !result.data) return { problem: asProblem(result.error, result.response, true) };
  return { version: result.data.version };
}

/**
 * Sends a command the form built to a documented path (`/proposals/{id}/…`). With `version`, it
 * goes with `If-Match: "<version>"`: refused with 409 if the proposal changed since the view
 * showed it (another manager acted), rather than decided on a state nobody here saw. Answers the
 * problem, or the stream version the command produced.
 */
export function sendCommand(path: string, id: string, body: unknown, version?: number): Promise<{ problem: Problem } | { version: number }> {
  // The paths are the documented ones; the body is what the schema-driven form built.
  return sendKeyed({ path, params: { id }, body, version }, (headers) =>
    api.POST(path as '/proposals/{id}/eligibility', { params: { path: { id } }, headers, body: body as Schemas['ScreenEligibilityDto'] }),
  );
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
