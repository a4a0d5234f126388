import type { SealedPersonalField } from '@app/personal-data/sealed-personal-field';
import type { PublicationConsent } from '@app/domain/organisation';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per organisation. The contact person (personal data) is kept sealed, as the log holds it:
 * the API opens it with the organisation's live key on every read, so destroying the key erases it
 * from every answer at once, and no file of the database ever holds it in clear.
 */
@Entity({ name: 'organisations' })
export class OrganisationView {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('char', { length: 2 }) country: string;
  @Column('text', { name: 'legal_status' }) legalStatus: string;
  @Column('text', { name: 'focus_groups', array: true }) focusGroups: string[];
  /**
   * The contact person recorded last, sealed: its envelope (subject, key id, ciphertext) with the id of
   * the event and the field it is bound to. Null when none is recorded, or once the erasure is applied.
   */
  @Column('jsonb', { name: 'contact_person', nullable: true }) contactPerson: SealedPersonalField | null;
  @Column('text', { name: 'member_user_ids', array: true }) memberUserIds: string[];
  /** 'public': partners see its id and name; 'withheld' (the default, also for events older than the choice): a pseudonym. */
  @Column('text', { name: 'publication_consent', default: 'withheld' }) publicationConsent: PublicationConsent;
  /**
   * When it withdrew consent (public → withheld), by its events' `updatedAt`, oldest first: each starts
   * a new pseudonym for the grants awarded after it (withheld-organisations.ts).
   */
  @Column('timestamptz', { name: 'consent_withdrawals', array: true, default: () => "'{}'" }) consentWithdrawals: Date[];
  @Column('text', { name: 'due_diligence_outcome', nullable: true }) dueDiligenceOutcome: string | null;
  @Column('text', { name: 'due_diligence_notes', nullable: true }) dueDiligenceNotes: string | null;
  @Column('text', { name: 'due_diligence_checked_by', nullable: true }) dueDiligenceCheckedBy: string | null;
  @Column('timestamptz', { name: 'due_diligence_recorded_at', nullable: true }) dueDiligenceRecordedAt: Date | null;
  /**
   * The projection has applied an erasure after the contact person recorded last. The API also
   * answers "erased" as soon as the key is destroyed, before the projection gets there.
   */
  @Column('boolean', { name: 'personal_data_erased' }) personalDataErased: boolean;
  @Column('timestamptz', { name: 'personal_data_erased_at', nullable: true }) personalDataErasedAt: Date | null;
  @Column('timestamptz', { name: 'registered_at' }) registeredAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Stream version of the last event applied: makes the projection idempotent and lets clients wait for their write. */
  @Column('int') version: number;
}
