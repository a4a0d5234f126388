import type { AnswerSlot } from '@app/platform/idempotency/answer-slot';

/** Who acts and why: becomes the metadata of every event the command appends. */
export interface CommandContext {
  actor: { id: string; role: string; organisationId?: string };
  correlationId: string;
  /** The message that caused this command: the HTTP request id, or the event a process manager reacted to. */
  causationId: string;
  idempotencyKey?: string;
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
}

export interface CommandResult {
  id: string;
  version: number;
}
