import { type ExportedGrantSource, majorUnits, threeSixtyGivingConfigFromEnv, toThreeSixtyGivingGrant } from './three-sixty-giving';

const CONFIG = threeSixtyGivingConfigFromEnv({});
const WITHHELD = { id: 'withheld-0123456789abcdef0123456789abcdef', name: 'Withheld recipient', withheld: true };
const PUBLIC_LEAD = { id: '11111111-2222-4333-8444-555555555555', name: 'Open Rights Network', withheld: false };
const PUBLIC_PARTNER = { id: '66666666-7777-4888-8999-aaaaaaaaaaaa', name: 'Open Partner Circle', withheld: false };

function source(recipient: ExportedGrantSource['recipient'], partners: ExportedGrantSource['partners']): ExportedGrantSource {
  return {
    grant: {
      id: 'g-1', currency: 'EUR', amountMinor: 100_00, paidMinor: 0, periodStart: '2027-06-01', periodEnd: '2028-05-31',
      awardedAt: new Date('2027-05-03T09:00:00Z'), updatedAt: new Date('2027-05-03T09:00:00Z'), granteeOrganisationId: 'internal-lead',
    },
    call: { id: 'c-1', title: 'Small grants for issue-based networks', programme: 'Nationality rights', description: 'Call text' },
    proposal: { title: 'Secret Collective legal aid', summary: 'A network led by Secret Collective with Hidden Partner', requestedMinor: 100_00 },
    countries: ['LB'],
    recipient,
    partners,
  };
}

describe('360Giving mapping', () => {
  it('converts minor units to major units by the currency exponent, exactly', () => {
    expect(majorUnits(5_000_050, 'EUR')).toBe(50_000.5);
    expect(majorUnits(1_234_567, 'EUR')).toBe(12_345.67);
    expect(JSON.stringify(majorUnits(10, 'EUR'))).toBe('0.1');
    expect(majorUnits(1_500, 'JPY')).toBe(1_500);
    expect(majorUnits(1_500, 'KWD')).toBe(1.5);
  });

  it('takes the publisher prefix and funder from the environment and refuses a prefix that is not 360G-…', () => {
    expect(threeSixtyGivingConfigFromEnv({})).toEqual({ prefix: '360G-grantledger', funder: { id: '360G-grantledger-funder', name: 'Grant Ledger programme' } });
    expect(threeSixtyGivingConfigFromEnv({ THREESIXTYGIVING_PREFIX: '360G-ExampleFunder', THREESIXTYGIVING_FUNDER_ID: 'GB-CHC-1234567', THREESIXTYGIVING_FUNDER_NAME: 'Example Funder' })).toEqual({
      prefix: '360G-ExampleFunder',
      funder: { id: 'GB-CHC-1234567', name: 'Example Funder' },
    });
    expect(() => threeSixtyGivingConfigFromEnv({ THREESIXTYGIVING_PREFIX: 'ExampleFunder' })).toThrow(/360G-/);
  });

  it('describes a grant to a withheld recipient from the call only, never from what the applicant wrote', () => {
    const grant = toThreeSixtyGivingGrant(source(WITHHELD, [PUBLIC_PARTNER]), CONFIG, 'http://x/exports/360giving');
    expect(grant.title).toBe('Grant under "Small grants for issue-based networks"');
    expect(grant.description).toBe('Awarded under Nationality rights: Small grants for issue-based networks. The recipient is withheld to protect the people it works with.');
    expect(JSON.stringify(grant)).not.toMatch(/Secret Collective|Hidden Partner|internal-lead/);
  });

  it('uses the proposal title and summary only when the recipient and every partner chose to be public', () => {
    const open = toThreeSixtyGivingGrant(source(PUBLIC_LEAD, [PUBLIC_PARTNER]), CONFIG, 'http://x/exports/360giving');
    expect(open).toMatchObject({ title: 'Secret Collective legal aid', recipientOrganization: [{ id: `360G-grantledger-${PUBLIC_LEAD.id}`, name: 'Open Rights Network' }] });
    const withheldPartner = toThreeSixtyGivingGrant(source(PUBLIC_LEAD, [WITHHELD]), CONFIG, 'http://x/exports/360giving');
    expect(JSON.stringify(withheldPartner)).not.toMatch(/Secret Collective|Hidden Partner/);
    expect(withheldPartner.description).toContain('Open Rights Network');
  });
});
