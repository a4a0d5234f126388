import type { RecordedEvent } from '@app/event-store';
import type { Projector } from '@app/log-consumers';
import type { EntityManager } from 'typeorm';
import type { PersonalDataPolicy } from './personal-data.policy';

/** Events that ask for a subject's personal data to be shredded. */
export const ERASURE_EVENT_TYPES = ['OrganisationPersonalDataErased'] as const;

/**
 * Finishes an erasure from the log: the command handler appends the erasure event and then destroys
 * the key, and if the process died in between, this reaction (run by the worker from its checkpoint,
 * at least once) destroys it. It only destroys a key created no later than the erasure event: a key
 * created afterwards protects a contact recorded after the erasure, which this erasure does not cover.
 * A projector of the log-consumer runtime: the keys change in the transaction that moves its checkpoint.
 * It also shreds the agreement signatories of the organisation's grants: it records each grant's
 * grantee from the GrantAwarded events it is handed (personal_data_grant_subjects), so an erasure
 * reaches every grant awarded before it in the log, whatever the grants read model is doing (lagging,
 * stalled, rebuilding); grants that read model holds count too (those awarded before the table
 * existed). Idempotent, so running it again changes nothing.
 */
export class PersonalDataErasureReaction implements Projector {
  readonly kind = 'projector';
  readonly name = 'personal-data-erasure';
  readonly filter = { eventTypes: [...ERASURE_EVENT_TYPES, 'GrantAwarded'] };
  /** Reads no personal field: the erasure's organisation id and the award's grantee are in clear. */
  readonly input = 'sealed';

  constructor(private readonly policy: PersonalDataPolicy) {}

  async apply(events: readonly RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const event of events) await this.erase(event, tx);
  }

  private async erase(event: RecordedEvent, tx: EntityManager): Promise<void> {
    if (event.type === 'GrantAwarded') {
      const { grantId, granteeOrganisationId } = event.data as { grantId?: string; granteeOrganisationId?: string };
      if (grantId && granteeOrganisationId) {
        await tx.query('INSERT INTO personal_data_grant_subjects (grant_id, organisation_id) VALUES ($1, $2) ON CONFLICT (grant_id) DO NOTHING', [grantId, granteeOrganisationId]);
      }
      return;
    }
    if (!(ERASURE_EVENT_TYPES as readonly string[]).includes(event.type)) return;
    await tx.query(
      `UPDATE personal_data_keys SET wrapped_key = NULL, erased_at = clock_timestamp()
        WHERE subject = $1 AND wrapped_key IS NOT NULL AND created_at <= $2`,
      [this.policy.subjectOf(event.streamId), event.recordedAt],
    );
    // The organisation's people also appear as signatories of its grants (subject grant-{id}).
    const organisationId = (event.data as { organisationId?: string }).organisationId;
    if (organisationId) {
      await tx.query(
        `UPDATE personal_data_keys SET wrapped_key = NULL, erased_at = clock_timestamp()
          WHERE subject IN (SELECT 'grant-' || grant_id FROM personal_data_grant_subjects WHERE organisation_id = $1
                            UNION SELECT 'grant-' || id FROM grants WHERE grantee_organisation_id = $1)
            AND wrapped_key IS NOT NULL AND created_at <= $2`,
        [organisationId, event.recordedAt],
      );
    }
  }
}
