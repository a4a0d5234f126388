import type { RecordedEvent } from '@app/event-store';
import { sealedFieldOf } from '@app/personal-data/sealed-personal-field';
import { ORGANISATION_STREAM_PREFIX, organisationEventSchemaVersions, type OrganisationEvent, publicationConsentOf } from '@app/domain/organisation';
import { assertNever } from '@app/domain/shared/decider';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';

/** The `contact_person` value: the sealed field as JSON, or null. */
const sealedContact = (recorded: RecordedEvent) => {
  const sealed = sealedFieldOf(recorded, 'contactPerson');
  return sealed ? JSON.stringify(sealed) : null;
};

/**
 * The `organisations` table, for the programme team's screens and applicants' own profile. It reads
 * events SEALED (upcast to the current schema, personal fields still encrypted): the contact person
 * goes into the row exactly as the log holds it (see OrganisationView.contactPerson), and is only
 * ever opened in memory by the read side.
 */
export class OrganisationsProjection implements Projection {
  readonly name = 'organisations';
  readonly filter = { streamPrefixes: [ORGANISATION_STREAM_PREFIX] };
  readonly tables = ['organisations'] as const;
  readonly input = 'sealed';

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    assertCurrentSchema(recorded);
    const event = { type: recorded.type, data: recorded.data } as OrganisationEvent;
    const version = recorded.streamVersion;
    if (event.type === 'OrganisationRegistered') {
      const d = event.data;
      await tx.query(
        `INSERT INTO organisations (id, name, country, legal_status, focus_groups, contact_person,
           member_user_ids, personal_data_erased, registered_at, updated_at, version, publication_consent)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, false, $8, $8, $9, $10)
         ON CONFLICT (id) DO NOTHING`,
        [d.organisationId, d.name, d.country, d.legalStatus, d.focusGroups, sealedContact(recorded), d.memberUserIds,
          recorded.recordedAt, version, publicationConsentOf(d.publicationConsent)],
      );
      return;
    }
    // Every later event updates the row only if it is newer than what the row has seen.
    const update = (set: string, params: unknown[]) =>
      tx.query(`UPDATE organisations SET ${set}, updated_at = $2, version = $3 WHERE id = $1 AND version < $3`, [
        event.data.organisationId, recorded.recordedAt, version, ...params,
      ]);
    switch (event.type) {
      case 'OrganisationProfileUpdated': {
        const d = event.data;
        await update(
          `name = COALESCE($4, name), country = COALESCE($5, country), legal_status = COALESCE($6, legal_status),
           focus_groups = COALESCE($7, focus_groups), member_user_ids = COALESCE($8, member_user_ids),
           contact_person = CASE WHEN $9 THEN $10::jsonb ELSE contact_person END,
           personal_data_erased = CASE WHEN $9 THEN false ELSE personal_data_erased END,
           publication_consent = COALESCE($11, publication_consent)`,
          [d.name ?? null, d.country ?? null, d.legalStatus ?? null, d.focusGroups ?? null, d.memberUserIds ?? null,
            'contactPerson' in d, sealedContact(recorded),
            d.publicationConsent === undefined ? null : publicationConsentOf(d.publicationConsent)],
        );
        return;
      }
      case 'DueDiligenceRecorded':
        await update(
          'due_diligence_outcome = $4, due_diligence_notes = $5, due_diligence_checked_by = $6, due_diligence_recorded_at = $7',
          [event.data.outcome, event.data.notes, event.data.checkedBy, event.data.recordedAt],
        );
        return;
      case 'OrganisationPersonalDataErased':
        // Destroying the key already made the sealed copy unreadable; the projection drops it as well.
        await update(
          'contact_person = NULL, personal_data_erased = true, personal_data_erased_at = $4',
          [event.data.erasedAt],
        );
        return;
      default:
        assertNever(event);
    }
  }
}

/**
 * Sealed events arrive upcast to their type's current schema version; should one ever not be (a
 * runtime handing stored events), this projection refuses it rather than misread it.
 */
function assertCurrentSchema(recorded: RecordedEvent): void {
  const current = (organisationEventSchemaVersions as Readonly<Record<string, number>>)[recorded.type];
  if (current !== undefined && recorded.schemaVersion !== current) {
    throw new Error(
      `organisations projection: ${recorded.type} ${recorded.eventId} is stored at schema version ${recorded.schemaVersion}, ` +
        `this projection reads stored events at version ${current} only`,
    );
  }
}
