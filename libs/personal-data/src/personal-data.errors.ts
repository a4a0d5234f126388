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

/**
 * A personal field of a stored event holds a clear value where a sealed envelope was expected: a
 * consumer that keeps personal fields sealed was handed a decoded event, or the log holds clear
 * text (written without the encrypting codec). Refused, so no read model copies clear text.
 */
export class PersonalDataNotSealedError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
    readonly path: string,
  ) {
    super(`Personal field "${path}" of event ${eventId} in ${streamId} is not sealed: expected the envelope the log holds`);
    this.name = 'PersonalDataNotSealedError';
  }
}
