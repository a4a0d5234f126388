import type { RecordedEvent } from '@app/event-store';
import { type ContactPerson, ORGANISATION_STREAM_PREFIX, type OrganisationEvent, publicationConsentOf } from '@app/grants/organisation';
import { assertNever } from '@app/grants/shared/decider';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';

/** Contact columns from a (decrypted) contact person; all null when it was shredded. */
const contactColumns = (contact: ContactPerson | null | undefined) => [contact?.name ?? null, contact?.email ?? null, contact?.phone ?? null];

/** The `organisations` table, for the programme team's screens and applicants' own profile. */
export class OrganisationsProjection implements Projection {
  readonly name = 'organisations';
  readonly filter = { streamPrefixes: [ORGANISATION_STREAM_PREFIX] };
  readonly tables = ['organisations'] as const;

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as OrganisationEvent;
    const version = recorded.streamVersion;
    if (event.type === 'OrganisationRegistered') {
      const d = event.data;
      await tx.query(
        `INSERT INTO organisations (id, name, country, legal_status, focus_groups, contact_name, contact_email, contact_phone,
           member_user_ids, personal_data_erased, registered_at, updated_at, version, publication_consent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13)
         ON CONFLICT (id) DO NOTHING`,
        [d.organisationId, d.name, d.country, d.legalStatus, d.focusGroups, ...contactColumns(d.contactPerson), d.memberUserIds,
          d.contactPerson === null, recorded.recordedAt, version, publicationConsentOf(d.publicationConsent)],
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
           contact_name = CASE WHEN $9 THEN $10 ELSE contact_name END,
           contact_email = CASE WHEN $9 THEN $11 ELSE contact_email END,
           contact_phone = CASE WHEN $9 THEN $12 ELSE contact_phone END,
           personal_data_erased = CASE WHEN $9 THEN $13 ELSE personal_data_erased END,
           publication_consent = COALESCE($14, publication_consent)`,
          [d.name ?? null, d.country ?? null, d.legalStatus ?? null, d.focusGroups ?? null, d.memberUserIds ?? null,
            'contactPerson' in d, ...contactColumns(d.contactPerson), d.contactPerson === null,
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
        // Purges the decrypted copy: the log's copy is shredded by destroying the subject's key.
        await update(
          'contact_name = NULL, contact_email = NULL, contact_phone = NULL, personal_data_erased = true, personal_data_erased_at = $4',
          [event.data.erasedAt],
        );
        return;
      default:
        assertNever(event);
    }
  }
}
