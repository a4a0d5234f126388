import type { PublicationConsent } from '@app/grants/organisation';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per organisation. The contact person is a decrypted copy of personal data: the projection
 * empties it when the organisation's personal data is erased, and a rebuild after the erasure never
 * sees it (the log's copy is shredded).
 */
@Entity({ name: 'organisations' })
export class OrganisationView {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('char', { length: 2 }) country: string;
  @Column('text', { name: 'legal_status' }) legalStatus: string;
  @Column('text', { name: 'focus_groups', array: true }) focusGroups: string[];
  @Column('text', { name: 'contact_name', nullable: true }) contactName: string | null;
  @Column('text', { name: 'contact_email', nullable: true }) contactEmail: string | null;
  @Column('text', { name: 'contact_phone', nullable: true }) contactPhone: string | null;
  @Column('text', { name: 'member_user_ids', array: true }) memberUserIds: string[];
  /** 'public': partners see its id and name; 'withheld' (the default, also for events older than the choice): a pseudonym. */
  @Column('text', { name: 'publication_consent', default: 'withheld' }) publicationConsent: PublicationConsent;
  @Column('text', { name: 'due_diligence_outcome', nullable: true }) dueDiligenceOutcome: string | null;
  @Column('text', { name: 'due_diligence_notes', nullable: true }) dueDiligenceNotes: string | null;
  @Column('text', { name: 'due_diligence_checked_by', nullable: true }) dueDiligenceCheckedBy: string | null;
  @Column('timestamptz', { name: 'due_diligence_recorded_at', nullable: true }) dueDiligenceRecordedAt: Date | null;
  /** The contact person recorded last is erased (or was shredded before this row was built). */
  @Column('boolean', { name: 'personal_data_erased' }) personalDataErased: boolean;
  @Column('timestamptz', { name: 'personal_data_erased_at', nullable: true }) personalDataErasedAt: Date | null;
  @Column('timestamptz', { name: 'registered_at' }) registeredAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Stream version of the last event applied: makes the projection idempotent and lets clients wait for their write. */
  @Column('int') version: number;
}
