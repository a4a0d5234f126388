import { randomUUID } from 'node:crypto';
import { type PersonalDataKeyring, SealedPersonalData, type SealedPersonalField, sealEnvelope } from '@app/personal-data';
import { reviewerPersonalDataSubject } from '@app/domain/proposal';
import type { DataSource } from 'typeorm';


/**
 * Where reviewers can be mailed. Reviewers are known to the ledger only by the identity provider's
 * opaque `sub`, and their addresses never enter the log; an admin records one here (a plain table,
 * like webhook subscriptions: configuration, not a grant fact), sealed under a key of the reviewer's
 * own, bound to the row's version. Erasing destroys that key and the row: the address is gone from
 * every copy at once (backups hold only ciphertext), and a notification queued for the reviewer is
 * recorded as skipped.
 */
export class ReviewerContacts {
  private readonly sealed: SealedPersonalData;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keyring: PersonalDataKeyring,
  ) {
    this.sealed = new SealedPersonalData(keyring);
  }

  async register(reviewerId: string, email: string): Promise<void> {
    const subject = reviewerPersonalDataSubject(reviewerId);
    const binding = { subject, eventId: randomUUID(), path: 'email' };
    const envelope = sealEnvelope(email, binding, await this.keyring.encryptionKey(subject));
    const field: SealedPersonalField = { ...envelope, eventId: binding.eventId, path: binding.path };
    await this.dataSource.query(
      `INSERT INTO reviewer_contacts (reviewer_id, email, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (reviewer_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()`,
      [reviewerId, JSON.stringify(field)],
    );
  }

  /**
   * Crypto-shreds the reviewer's key — their contact, and the text of every conflict declaration
   * they made (sealed under it in the log and in the proposals read model) —; false when there was
   * neither a key nor a contact.
   */
  async erase(reviewerId: string): Promise<boolean> {
    const erased = await this.keyring.erase(reviewerPersonalDataSubject(reviewerId));
    const [, deleted]: [unknown, number] = await this.dataSource.query('DELETE FROM reviewer_contacts WHERE reviewer_id = $1', [reviewerId]);
    return erased || deleted > 0;
  }

  /** The address, opened in memory with the reviewer's live key; `null` when none is recorded or it was erased. */
  async addressOf(reviewerId: string): Promise<string | null> {
    const rows: { email: SealedPersonalField }[] = await this.dataSource.query('SELECT email FROM reviewer_contacts WHERE reviewer_id = $1', [reviewerId]);
    if (!rows[0]) return null;
    const [email] = await this.sealed.open([{ subject: reviewerPersonalDataSubject(reviewerId), field: rows[0].email }]);
    return typeof email === 'string' ? email : null;
  }
}
