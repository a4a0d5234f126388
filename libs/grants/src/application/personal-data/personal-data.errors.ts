/**
 * A stored personal field could not be authenticated: its ciphertext, IV, tag or binding (subject,
 * event, field) was altered, or it was moved from another event. Never a normal state, so it is
 * raised rather than read as "erased". The message names where, never what (no personal data).
 */
export class PersonalDataIntegrityError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
    readonly path: string,
    reason: string,
  ) {
    super(`Personal field "${path}" of event ${eventId} in ${streamId} failed its integrity check: ${reason}`);
    this.name = 'PersonalDataIntegrityError';
  }
}
