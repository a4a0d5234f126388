/**
 * The Idempotency-Key was already used by this actor for a different request (method, path,
 * If-Match or body). Answered 422 with its own problem type, so a client can tell it from a
 * business rule: pick a new key for a new request.
 */
export class IdempotencyKeyReused extends Error {
  static readonly rule = 'idempotency.key-reused';
  readonly rule = IdempotencyKeyReused.rule;
  constructor() {
    super('This Idempotency-Key was already used for a different request; use a new key for a new request');
    this.name = new.target.name;
  }
}
