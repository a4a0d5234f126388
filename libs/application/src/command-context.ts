import type { AnswerSlot } from '@app/platform/idempotency/answer-slot';

/** Who acts and why: becomes the metadata of every event the command appends. */
export interface CommandContext {
  actor: { id: string; role: string; organisationId?: string };
  correlationId: string;
  /** The message that caused this command: the HTTP request id, or the event a process manager reacted to. */
  causationId: string;
  idempotencyKey?: string;
  /**
   * With a key: the tag of the request it came with (libs/platform/src/idempotency/request-tag.ts),
   * recorded with the key on the command's events. An earlier effect of the key found in the log
   * with another request's tag refuses the command (IdempotencyKeyReused, 422) instead of answering
   * with that other request's outcome. Effects recorded without a tag (before tags, or by a caller
   * that has none) are taken as this request's, as before.
   */
  idempotencyRequest?: string;
  /** From `If-Match`: the stream version the client last saw. */
  expectedVersion?: number;
  /**
   * Where this keyed command's answer `{ id, version }` is remembered with its effect (the HTTP
   * layer offers it on a route whose answer is exactly that): the executor hands it to its first
   * append that writes something (AppendOptions.answer) and notes here what a store that wrote it
   * wrote. Absent: the answer, if any, is remembered by the caller afterwards. A handler that also
   * appends to other streams drops it from their contexts (as it drops `expectedVersion`): the
   * answer is the command's own stream's.
   */
  answer?: AnswerSlot;
  /**
   * Set on a keyed HTTP command whose key was not looked up before it ran (a route answering with
   * `answer`): resolves once the key is known to hold no answer, or to be this command's; rejects
   * when it answers another request (IdempotencyKeyReused) or this one already (replayed by the
   * HTTP layer). The executor awaits it before any append that does not itself refuse a key already
   * answered (EventStore.remembersAnswers with `answer`), and before it answers a keyed command
   * without having remembered its answer, so that nothing a handler does after the command runs for
   * a request the key does not belong to. Kept when a handler drops `answer` for other streams.
   */
  verifyKey?: () => Promise<void>;
}

export interface CommandResult {
  id: string;
  version: number;
}
