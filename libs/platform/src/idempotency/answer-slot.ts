/**
 * A keyed HTTP command's answer `{ id, version }`, to be remembered by the very append that makes
 * the command's effect (CommandContext.answer, AppendOptions.answer), instead of by a write of its
 * own after it. Offered by IdempotencyKeyGuard's KeyedCommand, on routes whose answer is exactly that.
 */
export interface AnswerSlot {
  /** Whose key it is (the actor). */
  readonly scope: string;
  readonly key: string;
  /** The request it answers (method, route, If-Match, body), hashed. */
  readonly requestHash: string;
  /** The HTTP status the answer is sent with, as the response holds it when the command appends. */
  readonly status: number;
  /** Set by the command once the answer was written with its events: that answer, with that status. */
  remembered?: { id: string; version: number; status: number };
}
