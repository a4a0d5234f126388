import type { RecordedEvent } from '@app/event-store';
import { envelopeDefect, isPersonalDataEnvelope, openEnvelope, type PersonalDataEnvelope, readPath } from './personal-data-envelope';
import { PersonalDataIntegrityError, PersonalDataNotSealedError } from './personal-data.errors';
import type { PersonalDataKeyring } from './personal-data-keyring';

/**
 * A personal field as the log holds it — the envelope: subject, key id, IV, ciphertext, tag — with
 * the event id and field path its ciphertext is bound to. A read model keeps this instead of the
 * clear value, and the read side opens it with the subject's live key for each answer: no file of
 * the database ever holds the clear text, and destroying the key empties every copy at once,
 * whatever a projection has or has not applied yet.
 */
export interface SealedPersonalField extends PersonalDataEnvelope {
  eventId: string;
  path: string;
}

/**
 * The personal field at `path` of an event as STORED (never decoded): `undefined` when the event does
 * not carry it, `null` when it was recorded as null, else the sealed field. A clear value is refused
 * (PersonalDataNotSealedError): the caller was handed a decoded event, or the log holds clear text.
 */
export function sealedFieldOf(event: RecordedEvent, path: string): SealedPersonalField | null | undefined {
  const value = readPath(event.data, path);
  if (value === undefined || value === null) return value;
  if (!isPersonalDataEnvelope(value)) throw new PersonalDataNotSealedError(event.streamId, event.eventId, path);
  return { $pii: value.$pii, eventId: event.eventId, path };
}

/**
 * As sealedFieldOf, for a text field that became personal data after events had recorded it in
 * clear (a partner's mandate, redress grounds): such an older event's clear text is returned as it
 * is — the log holds it so and the codec passes it through, so there is nothing left to seal —
 * and anything else as sealedFieldOf returns it.
 */
export function storedPersonalTextOf(event: RecordedEvent, path: string): SealedPersonalField | string | null | undefined {
  const value = readPath(event.data, path);
  return typeof value === 'string' ? value : sealedFieldOf(event, path);
}

/** A sealed field to open, and the subject the reader expects it to belong to (e.g. the stream of the row's organisation). */
export interface SealedFieldRequest {
  subject: string;
  field: SealedPersonalField;
}

/** Opens sealed fields kept in read models, with the subjects' live keys. */
export class SealedPersonalData {
  constructor(private readonly keyring: PersonalDataKeyring) {}

  /**
   * The clear value of each field, in order, or `null` where the subject's key is erased — also when
   * another process erased it a moment ago: the keys come from the key store (one query for all),
   * never from a cache. A field that fails to authenticate (altered, or moved from another subject,
   * event or field) raises PersonalDataIntegrityError rather than reading as erased.
   */
  async open(requests: readonly SealedFieldRequest[]): Promise<unknown[]> {
    if (requests.length === 0) return [];
    const keys = await this.keyring.liveKeys(requests.map((request) => request.subject));
    return requests.map(({ subject, field }) => {
      const fail = (reason: string) => new PersonalDataIntegrityError(subject, field.eventId, field.path, reason);
      const defect = envelopeDefect(field.$pii, subject);
      if (defect) throw fail(defect);
      const key = keys.get(subject);
      // Keys only move forward (a new key replaces an erased one): a ciphertext under any key id but
      // the live one was made with a key that has been erased.
      if (!key || key.keyId !== field.$pii.kid) return null;
      return openEnvelope(field.$pii, key.key, { subject, eventId: field.eventId, path: field.path }, fail);
    });
  }

  /**
   * Text fields kept as storedPersonalTextOf gives them: a sealed one opened as `open` does (`null`
   * once its subject is erased), one recorded in clear before the field was personal data as it is,
   * `null` as `null`. One key query for all the sealed ones, none when there is none.
   */
  async openText(requests: readonly { subject: string; field: SealedPersonalField | string | null }[]): Promise<(string | null)[]> {
    const sealed = requests.flatMap(({ subject, field }, index) => (field !== null && typeof field !== 'string' ? [{ index, request: { subject, field } }] : []));
    const opened = await this.open(sealed.map(({ request }) => request));
    const texts = requests.map(({ field }) => (typeof field === 'string' ? field : null));
    sealed.forEach(({ index }, i) => (texts[index] = opened[i] as string | null));
    return texts;
  }
}
