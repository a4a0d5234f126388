import { grantPersonalDataFields, grantPersonalDataSubjects } from '@app/domain/grant';
import { organisationPersonalDataFields } from '@app/domain/organisation';
import { proposalPersonalDataFields, proposalPersonalDataSubjects } from '@app/domain/proposal';

/**
 * Which fields of which event types are personal data, and whose they are. The subject of a
 * personal field is the stream it lives in (`organisation-{id}` for contact persons, `grant-{id}`
 * for agreement signatories): erasing a subject shreds every personal field of that stream.
 */
export class PersonalDataPolicy {
  private readonly fields = new Map<string, readonly string[]>();
  /** Event types whose personal fields belong to a subject named in their data, not to their stream. */
  private readonly subjects = new Map<string, (data: never) => string>();

  /** Declares, per event type, whose personal data its fields are when that is not the stream's (e.g. a document's organisation). */
  withSubjects(...subjectsByType: Readonly<Partial<Record<string, (data: never) => string>>>[]): this {
    for (const map of subjectsByType) for (const [type, subjectOf] of Object.entries(map)) if (subjectOf) this.subjects.set(type, subjectOf);
    return this;
  }

  constructor(...fieldsByType: Readonly<Partial<Record<string, readonly string[]>>>[]) {
    for (const map of fieldsByType) {
      for (const [type, paths] of Object.entries(map)) {
        if (!paths?.length) continue;
        if (this.fields.has(type)) throw new Error(`Personal-data fields of ${type} declared twice`);
        this.fields.set(type, [...paths]);
      }
    }
  }

  /** Paths within `data` (dot-separated for nested objects); empty for an event without personal data. */
  fieldsOf(type: string): readonly string[] {
    return this.fields.get(type) ?? [];
  }

  /** Whose key encrypts the event's personal fields: the stream, unless the type names another subject in its data. */
  subjectOf(streamId: string, event?: { type: string; data: unknown }): string {
    const fromData = event === undefined ? undefined : this.subjects.get(event.type);
    return fromData === undefined ? streamId : fromData(event?.data as never);
  }

  /** Every event type that carries personal data (e.g. for feeds that must strip it). */
  get eventTypes(): readonly string[] {
    return [...this.fields.keys()];
  }
}

/** The policy of every stream that carries personal data; a stream with new personal fields adds its map here. */
export function personalDataPolicy(): PersonalDataPolicy {
  return new PersonalDataPolicy(organisationPersonalDataFields, grantPersonalDataFields, proposalPersonalDataFields).withSubjects(grantPersonalDataSubjects, proposalPersonalDataSubjects);
}
