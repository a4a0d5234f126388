/**
 * Who may see which calls. Role rules of the programme, not business rules of a call, so they live
 * here, next to the call's commands, in the style of proposals/proposal-access.ts:
 * - admins, grant managers and auditors see every call, drafts included;
 * - applicants and reviewers see calls once they are public (published or closed);
 * - a call an actor may not see is "not found" to them, exactly as if it did not exist.
 */
export interface CallActor {
  role: string;
}

export const PUBLIC_CALL_STATUSES: readonly string[] = ['published', 'closed'];
const SEES_DRAFTS: readonly string[] = ['admin', 'grant-manager', 'auditor'];

/** The statuses of the calls the actor may list; `undefined` when every status. */
export function visibleCallStatuses(actor: CallActor): readonly string[] | undefined {
  return SEES_DRAFTS.includes(actor.role) ? undefined : PUBLIC_CALL_STATUSES;
}

export function maySeeCall(actor: CallActor, call: { status: string }): boolean {
  const visible = visibleCallStatuses(actor);
  return visible === undefined || visible.includes(call.status);
}

/** A list filter: the statuses asked for, within what the actor may see (none when the asked status is hidden from them). */
export function callStatusesToList(actor: CallActor, asked: string | undefined): string[] | undefined {
  const visible = visibleCallStatuses(actor);
  if (asked === undefined) return visible && [...visible];
  return visible === undefined || visible.includes(asked) ? [asked] : [];
}
