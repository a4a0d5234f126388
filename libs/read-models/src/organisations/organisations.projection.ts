import type { RecordedEvent } from '@app/event-store';
import { sealedFieldOf } from '@app/personal-data/sealed-personal-field';
import { ORGANISATION_STREAM_PREFIX, organisationEventSchemaVersions, type OrganisationEvent, publicationConsentOf } from '@app/domain/organisation';
import { assertNever } from '@app/domain/shared/decider';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';
import { upsertNewerRows } from '../projection/upsert-rows';

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
           consent_withdrawals = CASE WHEN $11 = 'withheld' AND publication_consent = 'public' THEN array_append(consent_withdrawals, $12::timestamptz) ELSE consent_withdrawals END,
           publication_consent = COALESCE($11, publication_consent)`,
          [d.name ?? null, d.country ?? null, d.legalStatus ?? null, d.focusGroups ?? null, d.memberUserIds ?? null,
            'contactPerson' in d, sealedContact(recorded),
            d.publicationConsent === undefined ? null : publicationConsentOf(d.publicationConsent), d.updatedAt],
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
  /**
   * The batch path (the live runtime's and rebuilds'): the same row changes as `apply`, folded in
   * memory (rows read and written as JSON, so every value round-trips exactly), each touched row
   * written once in one statement instead of one statement per event. Organisations the batch only
   * registers are not read first: a row that exists already is kept by the upsert's version guard
   * (as apply's ON CONFLICT DO NOTHING keeps it); a row read here only ever moves to a higher version.
   */
  async applyBatch(events: readonly RecordedEvent[], tx: EntityManager): Promise<void> {
    if (events.length === 0) return;
    for (const recorded of events) assertCurrentSchema(recorded);
    const toRead = new Set<string>();
    for (const recorded of events) if (recorded.type !== 'OrganisationRegistered') toRead.add((recorded.data as { organisationId: string }).organisationId);
    const stored: { row: OrganisationRow }[] =
      toRead.size === 0 ? [] : await tx.query('SELECT to_jsonb(o) AS row FROM organisations o WHERE id = ANY ($1::uuid[]) FOR UPDATE', [[...toRead]]);
    const rows = new Map(stored.map(({ row }) => [row.id, row]));
    const touched = new Set<string>();
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as OrganisationEvent;
      const version = recorded.streamVersion;
      const at = recorded.recordedAt.toISOString();
      const current = rows.get(event.data.organisationId);
      if (event.type === 'OrganisationRegistered') {
        if (current) continue;
        const d = event.data;
        rows.set(d.organisationId, {
          id: d.organisationId, name: d.name, country: d.country, legal_status: d.legalStatus, focus_groups: d.focusGroups,
          contact_person: sealedFieldOf(recorded, 'contactPerson') ?? null, member_user_ids: d.memberUserIds,
          publication_consent: publicationConsentOf(d.publicationConsent), consent_withdrawals: [], due_diligence_outcome: null, due_diligence_notes: null,
          due_diligence_checked_by: null, due_diligence_recorded_at: null, personal_data_erased: false, personal_data_erased_at: null,
          registered_at: at, updated_at: at, version,
        });
        touched.add(d.organisationId);
        continue;
      }
      if (!current || current.version >= version) continue;
      const next: OrganisationRow = { ...current, updated_at: at, version };
      switch (event.type) {
        case 'OrganisationProfileUpdated': {
          const d = event.data;
          if (d.name != null) next.name = d.name;
          if (d.country != null) next.country = d.country;
          if (d.legalStatus != null) next.legal_status = d.legalStatus;
          if (d.focusGroups != null) next.focus_groups = d.focusGroups;
          if (d.memberUserIds != null) next.member_user_ids = d.memberUserIds;
          if ('contactPerson' in d) {
            next.contact_person = sealedFieldOf(recorded, 'contactPerson') ?? null;
            next.personal_data_erased = false;
          }
          if (d.publicationConsent !== undefined) {
            const consent = publicationConsentOf(d.publicationConsent);
            // A withdrawal (public → withheld) starts a new pseudonym for the grants awarded after it.
            if (consent === 'withheld' && next.publication_consent === 'public') next.consent_withdrawals = [...next.consent_withdrawals, d.updatedAt];
            next.publication_consent = consent;
          }
          break;
        }
        case 'DueDiligenceRecorded':
          Object.assign(next, {
            due_diligence_outcome: event.data.outcome, due_diligence_notes: event.data.notes,
            due_diligence_checked_by: event.data.checkedBy, due_diligence_recorded_at: event.data.recordedAt,
          });
          break;
        case 'OrganisationPersonalDataErased':
          Object.assign(next, { contact_person: null, personal_data_erased: true, personal_data_erased_at: event.data.erasedAt });
          break;
        default:
          assertNever(event);
      }
      rows.set(next.id, next);
      touched.add(next.id);
    }
    await upsertNewerRows(tx, 'organisations', ORGANISATION_COLUMNS, [...touched].map((id) => rows.get(id)!));
  }
}

/** An `organisations` row as JSON (to_jsonb / jsonb_populate_recordset): every column, by its SQL name. */
interface OrganisationRow {
  id: string;
  name: string;
  country: string;
  legal_status: string;
  focus_groups: string[];
  contact_person: unknown;
  member_user_ids: string[];
  publication_consent: string;
  consent_withdrawals: string[];
  due_diligence_outcome: string | null;
  due_diligence_notes: string | null;
  due_diligence_checked_by: string | null;
  due_diligence_recorded_at: string | null;
  personal_data_erased: boolean;
  personal_data_erased_at: string | null;
  registered_at: string;
  updated_at: string;
  version: number;
}

const ORGANISATION_COLUMNS: readonly (keyof OrganisationRow)[] = [
  'id', 'name', 'country', 'legal_status', 'focus_groups', 'contact_person', 'member_user_ids', 'publication_consent', 'consent_withdrawals', 'due_diligence_outcome',
  'due_diligence_notes', 'due_diligence_checked_by', 'due_diligence_recorded_at', 'personal_data_erased', 'personal_data_erased_at',
  'registered_at', 'updated_at', 'version',
];

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
