/** Who acts and why: becomes the metadata of every event the command appends. */
export interface CommandContext {
  actor: { id: string; role: string; organisationId?: string };
  correlationId: string;
  /** The message that caused this command: the HTTP request id, or the event a process manager reacted to. */
  causationId: string;
  idempotencyKey?: string;
  /** From `If-Match`: the stream version the client last saw. */
  expectedVersion?: number;
}

export interface CommandResult {
  id: string;
  version: number;
}
