import { organisationStreamName } from '@app/domain/organisation';
import type { SealedPersonalData, SealedPersonalField } from '@app/personal-data';
import type { DataSource } from 'typeorm';
import type { PersonalDataPolicy } from '../personal-data/personal-data.policy';
import type { NotificationRecipient } from './notification-rules';
import type { ReviewerContacts } from './reviewer-contacts';

/**
 * An address to mail now, why there is none (the notification is then recorded as skipped), or
 * `later`: the organisations read model has not projected the recipient yet (its consumer lags or
 * is stalled), so the attempt is retried like an SMTP failure rather than given up.
 */
export type AddressLookup = { address: string } | { skip: 'erased' | 'no-address' } | { later: string };

/**
 * Opens a recipient's address at sending time, in memory, and nowhere else. An organisation's is
 * its contact person's e-mail, kept sealed in the organisations read model and opened with the
 * organisation's live key: an erased organisation (key destroyed, whether or not the projection has
 * applied the erasure) reads as `erased` and is never mailed. A reviewer's is the one an admin
 * recorded in the reviewer-contact registry, opened with the reviewer's own key: none recorded, or
 * erased since, is `no-address` (an erased contact leaves nothing to tell the two apart).
 */
export class NotificationAddresses {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sealed: SealedPersonalData,
    private readonly policy: PersonalDataPolicy,
    private readonly reviewers: ReviewerContacts,
    /** The programme team's shared mailbox (configuration, not personal data); unset: `no-address`. */
    private readonly programmeAddress?: string,
  ) {}

  async addressOf(recipient: NotificationRecipient): Promise<AddressLookup> {
    if (recipient.kind === 'programme') return this.programmeAddress ? { address: this.programmeAddress } : { skip: 'no-address' };
    if (recipient.kind === 'reviewer') {
      const address = await this.reviewers.addressOf(recipient.id);
      return address ? { address } : { skip: 'no-address' };
    }
    const rows: { contact_person: SealedPersonalField | null; personal_data_erased: boolean }[] = await this.dataSource.query(
      'SELECT contact_person, personal_data_erased FROM organisations WHERE id = $1',
      [recipient.id],
    );
    const row = rows[0];
    if (!row) return { later: 'RECIPIENT_NOT_PROJECTED' };
    if (!row.contact_person) return { skip: row.personal_data_erased ? 'erased' : 'no-address' };
    const [contact] = await this.sealed.open([{ subject: this.policy.subjectOf(organisationStreamName(recipient.id)), field: row.contact_person }]);
    if (contact === null) return { skip: 'erased' };
    const email = (contact as { email?: unknown }).email;
    return typeof email === 'string' && email.includes('@') ? { address: email } : { skip: 'no-address' };
  }
}
