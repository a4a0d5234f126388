import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { RecordedEvent } from '@app/event-store';
import { publicEventCatalogue, publicEventSchema, publicEventSchemas } from './catalogue';
import { decodeFeedCursor, encodeFeedCursor, InvalidFeedCursorError } from './feed-cursor';
import { internalTypesOf, organisationIdsOf, PUBLIC_EVENT_TYPES, toPublicEvent, UnknownPublicEventTypeError } from './public-events';
import {
  DEV_ONLY_PSEUDONYM_SECRET, organisationPseudonym, pseudonymSecretFromEnv, publicOrganisationsContext, withheldOrganisationsContext, WITHHELD_ORGANISATION_NAME,
} from './withheld-organisations';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
const context = withheldOrganisationsContext(SECRET);
const GRANT = '6f1c3e2a-8d4b-4c1e-9a7f-2b5d8e9c0a11';
const CALL = '0b7e9f3c-1a2d-4e5f-8a9b-c0d1e2f3a4b5';
const LEAD = '11111111-2222-4333-8444-555555555555';
const PARTNER = '66666666-7777-4888-8999-aaaaaaaaaaaa';

let position = 0;
function recorded(type: string, data: Record<string, unknown>, streamId = `grant-${GRANT}`): RecordedEvent {
  position += 1;
  return {
    streamId,
    streamVersion: position,
    position: `00000000000000000001-${String(position).padStart(20, '0')}`,
    eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    type,
    schemaVersion: 1,
    data,
    metadata: { eventId: 'x', actorId: 'alice-actor', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: '2027-05-03T09:00:00.000Z' },
    recordedAt: new Date('2027-05-03T09:00:00.000Z'),
  };
}

/** One internal event behind every public type, with the personal and internal fields they really carry. */
const internalEvents: RecordedEvent[] = [
  recorded('CallPublished', { callId: CALL, publishedAt: '2027-01-15T08:00:00.000Z' }, `call-${CALL}`),
  recorded('CallClosed', { callId: CALL, closedAt: '2027-04-01T00:00:00.000Z', reason: 'Closed early by Ms Secret Reason' }, `call-${CALL}`),
  recorded('GrantAwarded', {
    grantId: GRANT, proposalId: 'b1b1b1b1-0000-4000-8000-000000000001', callId: CALL, granteeOrganisationId: LEAD, partnerOrganisationIds: [PARTNER],
    amountMinor: 5_000_000, currency: 'EUR', periodStart: '2027-06-01', periodEnd: '2029-05-31', conditions: ['Report to Mr Condition Person'], awardedAt: '2027-05-03T09:00:00.000Z',
  }),
  recorded('GrantAgreementSigned', { grantId: GRANT, signedAt: '2027-05-20T14:30:00.000Z', signatories: [{ name: 'Rania Haddad', role: 'Director' }] }),
  recorded('DisbursementPaid', { grantId: GRANT, trancheId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', paymentReference: 'IBAN-SECRET-REF', amountMinor: 2_000_000, paidAt: '2027-06-15T10:00:00.000Z' }),
  recorded('GrantAmended', { grantId: GRANT, amendmentId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', kind: 'amount-change', previousAmountMinor: 5_000_000, newAmountMinor: 4_000_000, reason: 'Asked by Omar Secret', approvedBy: 'approver-user', amendedAt: '2028-01-01T09:00:00.000Z' }),
  recorded('GrantSuspended', { grantId: GRANT, reason: 'Director Samira Secret arrested', suspendedAt: '2028-02-01T09:00:00.000Z' }),
  recorded('GrantReinstated', { grantId: GRANT, reason: 'Released', reinstatedAt: '2028-03-01T09:00:00.000Z' }),
  recorded('GrantTerminated', { grantId: GRANT, reason: 'Fraud by Karim Secret', unspentMinor: 2_000_000, terminatedAt: '2028-04-01T09:00:00.000Z' }),
  recorded('GrantClosed', { grantId: GRANT, unspentMinor: 0, closedAt: '2029-07-01T09:00:00.000Z' }),
];

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  for (const schema of publicEventSchemas()) ajv.addSchema(schema);
  return ajv;
}

describe('public event catalogue', () => {
  it('has a checked-in schema for the current version of every public type, and every example validates against it', () => {
    const ajv = validator();
    const catalogue = publicEventCatalogue();
    expect(catalogue.map((entry) => entry.type)).toEqual(PUBLIC_EVENT_TYPES);
    for (const entry of catalogue) {
      const schema = publicEventSchema(entry.type, entry.currentVersion);
      expect(schema?.$id).toBe(`urn:grant-ledger:public-event:${entry.type}:v${entry.currentVersion}`);
      expect(schema?.examples.length).toBeGreaterThan(0);
      for (const example of schema!.examples) {
        expect(ajv.validate(schema!.$id, example) ? null : ajv.errors).toBeNull();
      }
    }
  });

  it('maps one internal event to every public type, each valid against its public schema', () => {
    const ajv = validator();
    const mapped = internalEvents.map((event) => toPublicEvent(event, context));
    expect(mapped.map((event) => event?.type)).toEqual(PUBLIC_EVENT_TYPES);
    for (const event of mapped) {
      expect(ajv.validate(publicEventSchema(event!.type, event!.version)!.$id, event) ? null : ajv.errors).toBeNull();
    }
  });

  it('keeps the stored event id as the public id, and the log position only inside an opaque cursor', () => {
    const event = internalEvents[2];
    const published = toPublicEvent(event, context)!;
    expect(published).toMatchObject({ id: event.eventId, occurredAt: '2027-05-03T09:00:00.000Z', version: 1 });
    expect(published.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(published.cursor).not.toContain(event.position);
    expect(decodeFeedCursor(published.cursor)).toBe(event.position);
  });

  describe('feed cursors', () => {
    it('round-trip any store position (Postgres and EventStoreDB shapes)', () => {
      for (const position of ['00000000000000000812-00000000000000000042', '00000000000000001234/00000000000000001230']) {
        expect(decodeFeedCursor(encodeFeedCursor(position))).toBe(position);
      }
      expect(encodeFeedCursor('00000000000000000812-00000000000000000042')).toBe('djE6MDAwMDAwMDAwMDAwMDAwMDA4MTItMDAwMDAwMDAwMDAwMDAwMDAwNDI');
    });

    it('refuse anything this feed did not hand out, without quoting it', () => {
      const raw = '00000000000000000812-00000000000000000042';
      const notOurs = [
        '', raw, 'not-a-cursor', Buffer.from(`v2:${raw}`).toString('base64url'), Buffer.from(raw).toString('base64url'),
        Buffer.from('v1:').toString('base64url'), `${encodeFeedCursor(raw)}=`, Buffer.from(`v1:${raw}`).toString('base64'), 'A'.repeat(500),
        Buffer.from('v1:a\nb').toString('base64url'),
      ];
      for (const cursor of notOurs) {
        expect(() => decodeFeedCursor(cursor)).toThrow(InvalidFeedCursorError);
        if (cursor) expect(() => decodeFeedCursor(cursor)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(cursor) }));
      }
    });
  });

  it('never carries personal data, actors, free-text reasons, payment references or internal organisation ids', () => {
    const json = JSON.stringify(internalEvents.map((event) => toPublicEvent(event, context)));
    for (const secret of ['Rania', 'Haddad', 'Director', 'Secret', 'IBAN', 'approver-user', 'alice-actor', 'Condition Person', 'Released', LEAD, PARTNER, 'b1b1b1b1']) {
      expect(json).not.toContain(secret);
    }
  });

  it('never passes an encrypted personal-data envelope through', () => {
    const sealed = recorded('GrantAgreementSigned', { grantId: GRANT, signedAt: '2027-05-20T14:30:00.000Z', signatories: { $pii: { v: 1, subject: `grant-${GRANT}`, kid: 'k1', iv: 'aXY=', tag: 'dGFn', ct: 'Y3Q=' } } });
    const published = toPublicEvent(sealed, context);
    expect(published?.data).toEqual({ grantId: GRANT, signedAt: '2027-05-20T14:30:00.000Z' });
    expect(JSON.stringify(published)).not.toContain('$pii');
  });

  it('anonymises every grantee and partner with a stable keyed pseudonym that does not reveal the internal id', () => {
    const data = toPublicEvent(internalEvents[2], context)!.data as { recipient: { id: string; name: string; withheld: boolean }; partners: unknown[] };
    expect(data.recipient).toEqual({ id: `withheld-${organisationPseudonym(LEAD, SECRET)}`, name: WITHHELD_ORGANISATION_NAME, withheld: true });
    expect(data.partners).toEqual([{ id: `withheld-${organisationPseudonym(PARTNER, SECRET)}`, name: WITHHELD_ORGANISATION_NAME, withheld: true }]);
    expect(organisationPseudonym(LEAD, SECRET)).toBe(organisationPseudonym(LEAD, SECRET));
    expect(organisationPseudonym(LEAD, SECRET)).not.toBe(organisationPseudonym(LEAD, `${SECRET}-rotated`));
    expect(organisationPseudonym(LEAD, SECRET)).not.toBe(organisationPseudonym(PARTNER, SECRET));
  });

  it('names an organisation that chose to be public, with its id, and keeps the others withheld', () => {
    const publication = publicOrganisationsContext(SECRET, [
      { id: LEAD, name: 'Open Rights Network', publicationConsent: 'public' },
      { id: PARTNER, name: 'Quiet Partner Group', publicationConsent: 'withheld' },
    ]);
    const data = toPublicEvent(internalEvents[2], publication)!.data as { recipient: unknown; partners: unknown[] };
    expect(data.recipient).toEqual({ id: LEAD, name: 'Open Rights Network', withheld: false });
    expect(data.partners).toEqual([{ id: `withheld-${organisationPseudonym(PARTNER, SECRET)}`, name: WITHHELD_ORGANISATION_NAME, withheld: true }]);
    expect(JSON.stringify(data)).not.toContain('Quiet Partner Group');
    expect(organisationIdsOf(internalEvents)).toEqual([LEAD, PARTNER]);
  });

  it('after each withdrawal of consent, a withheld organisation has a new pseudonym for the grants awarded from then on; an earlier grant keeps its own', () => {
    const publication = publicOrganisationsContext(SECRET, [
      { id: LEAD, name: 'Once Public Network', publicationConsent: 'withheld', consentWithdrawals: ['2027-03-01T09:00:00.000Z', '2027-06-01T09:00:00.000Z'] },
      { id: PARTNER, name: 'Quiet Partner Group', publicationConsent: 'withheld' },
    ]);
    const idAt = (id: string, at?: string) => publication.organisation(id, at).id;
    const [first, second, third] = [0, 1, 2].map((epoch) => `withheld-${organisationPseudonym(LEAD, SECRET, epoch)}`);
    expect(new Set([first, second, third]).size).toBe(3);
    expect([idAt(LEAD, '2027-02-01T00:00:00Z'), idAt(LEAD, '2027-03-01T09:00:00.000Z'), idAt(LEAD, '2027-04-01T00:00:00Z'), idAt(LEAD, '2027-07-01T00:00:00Z'), idAt(LEAD)]).toEqual([
      first, second, second, third, third,
    ]);
    // The pseudonym it always had is unchanged (epoch 0), and one that never withdrew anything keeps one pseudonym.
    expect(first).toBe(`withheld-${organisationPseudonym(LEAD, SECRET)}`);
    expect(idAt(PARTNER, '2027-02-01T00:00:00Z')).toBe(idAt(PARTNER, '2027-07-01T00:00:00Z'));
    // A grant.awarded payload is shown as of its award.
    const awarded = toPublicEvent(internalEvents[2], publication)!.data as { recipient: { id: string }; awardedAt: string };
    expect(awarded.recipient.id).toBe(idAt(LEAD, awarded.awardedAt));
  });

  it('amendments publish only the fields of their kind: a budget reallocation carries no budget-line text', () => {
    const reallocation = recorded('GrantAmended', {
      grantId: GRANT, amendmentId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e', kind: 'budget-reallocation', budgetReallocation: [{ budgetLine: 'Salary of Nour', changeMinor: -10 }, { budgetLine: 'Travel', changeMinor: 10 }],
      reason: 'r', approvedBy: 'a', amendedAt: '2028-01-01T09:00:00.000Z',
    });
    expect(toPublicEvent(reallocation, context)?.data).toEqual({ grantId: GRANT, amendmentId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e', kind: 'budget-reallocation', amendedAt: '2028-01-01T09:00:00.000Z' });
  });

  it('the grant.amended schema refuses fields of another kind of amendment', () => {
    const ajv = validator();
    const event = toPublicEvent(internalEvents[5], context)!;
    const id = publicEventSchema('grant.amended', 1)!.$id;
    expect(ajv.validate(id, event)).toBe(true);
    expect(ajv.validate(id, { ...event, data: { ...event.data, newPeriodEnd: '2030-01-01' } })).toBe(false);
    expect(ajv.validate(id, { ...event, data: { ...event.data, reason: 'x' } })).toBe(false);
  });

  it('the pseudonym secret is required in production and never quoted when malformed', () => {
    expect(pseudonymSecretFromEnv({})).toBe(DEV_ONLY_PSEUDONYM_SECRET);
    expect(() => pseudonymSecretFromEnv({ NODE_ENV: 'production' })).toThrow(/PUBLIC_PSEUDONYM_SECRET/);
    expect(() => pseudonymSecretFromEnv({ PUBLIC_PSEUDONYM_SECRET: 'short-secret-xyz' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('short-secret-xyz') }));
  });

  it('drops internal-only events', () => {
    for (const type of ['OrganisationRegistered', 'ReviewSubmitted', 'DisbursementScheduled', 'ReportSubmitted', 'FundsCommitted', 'CallDrafted']) {
      expect(toPublicEvent(recorded(type, { contactPerson: { name: 'X' } }), context)).toBeNull();
    }
  });

  it('refuses a stored schema version it has no mapping for instead of guessing', () => {
    expect(() => toPublicEvent({ ...internalEvents[9], schemaVersion: 2 }, context)).toThrow(/schema version 2/);
  });

  it('reads an agreement stored at schema version 2 (with document references) as version 1: the documents stay internal', () => {
    const v2 = { ...recorded('GrantAgreementSigned', { grantId: GRANT, signedAt: '2027-05-20T14:30:00.000Z', signatories: null, documents: [{ documentId: 'd', sha256: 'a'.repeat(64) }] }), schemaVersion: 2 };
    expect(toPublicEvent(v2, context)?.data).toEqual({ grantId: GRANT, signedAt: '2027-05-20T14:30:00.000Z' });
  });

  it('translates public type filters to stored types and refuses unknown ones', () => {
    expect(internalTypesOf(['grant.awarded', 'call.published'])).toEqual(['GrantAwarded', 'CallPublished']);
    expect(internalTypesOf()).toHaveLength(PUBLIC_EVENT_TYPES.length);
    expect(() => internalTypesOf(['grant.awarded', 'OrganisationRegistered'])).toThrow(UnknownPublicEventTypeError);
  });
});
