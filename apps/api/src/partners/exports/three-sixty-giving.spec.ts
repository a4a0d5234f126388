import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISO_3166_ENGLISH_SHORT_NAMES, iso3166EnglishShortName } from './country-names';
import { durationInMonths, type ExportedGrantSource, isPublishedAsGrant, majorUnits, threeSixtyGivingConfigFromEnv, toThreeSixtyGivingGrant } from './three-sixty-giving';

const CONFIG = threeSixtyGivingConfigFromEnv({});
const WITHHELD = { id: 'withheld-0123456789abcdef0123456789abcdef', name: 'Withheld recipient', withheld: true };
const PUBLIC_LEAD = { id: '11111111-2222-4333-8444-555555555555', name: 'Open Rights Network', withheld: false };
const PUBLIC_PARTNER = { id: '66666666-7777-4888-8999-aaaaaaaaaaaa', name: 'Open Partner Circle', withheld: false };

function source(recipient: ExportedGrantSource['recipient'], partners: ExportedGrantSource['partners']): ExportedGrantSource {
  return {
    grant: {
      id: 'g-1', currency: 'EUR', amountMinor: 100_00, paidMinor: 0, periodStart: '2027-06-01', periodEnd: '2028-05-31',
      awardedAt: new Date('2027-05-03T09:00:00Z'), updatedAt: new Date('2027-05-03T09:00:00Z'), granteeOrganisationId: 'internal-lead',
      agreementSignedAt: new Date('2027-05-10T09:00:00Z'), recovery: null,
    },
    ending: null,
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

  it('uses ISO 4217 exponents, not Intl display digits: LBP, SYP and IDR have 2, IQD and TND 3, CLF 4', () => {
    expect(majorUnits(150_000_000_00, 'LBP')).toBe(150_000_000);
    expect(majorUnits(1_234_56, 'SYP')).toBe(1_234.56);
    expect(majorUnits(1_00, 'IDR')).toBe(1);
    expect(majorUnits(2_500_125, 'IQD')).toBe(2_500.125);
    expect(majorUnits(30_000_500, 'TND')).toBe(30_000.5);
    expect(majorUnits(12_3456, 'CLF')).toBe(12.3456);
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

  it('names countries by their ISO 3166 English short names, for exactly the codes the 360Giving codelist allows', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../../../../../test/fixtures/standards/360giving/360-giving-schema.json'), 'utf8'));
    const codelist: string[] = schema.$defs.Location.properties.countryCode.enum;
    expect(Object.keys(ISO_3166_ENGLISH_SHORT_NAMES).sort()).toEqual([...codelist].sort());
    expect(iso3166EnglishShortName('PS')).toBe('Palestine, State of');
    expect(iso3166EnglishShortName('LB')).toBe('Lebanon');
    expect(iso3166EnglishShortName('MA')).toBe('Morocco');
    expect(iso3166EnglishShortName('TN')).toBe('Tunisia');
    expect(iso3166EnglishShortName('XK')).toBeUndefined();
    const grant = toThreeSixtyGivingGrant({ ...source(WITHHELD, []), countries: ['PS', 'LB', 'XK'] }, CONFIG, 'http://x/exports/360giving');
    expect(grant.beneficiaryLocation).toEqual([
      { name: 'Palestine, State of', countryCode: 'PS' },
      { name: 'Lebanon', countryCode: 'LB' },
    ]);
  });

  it('gives the planned duration in months, both days included', () => {
    expect(durationInMonths('2027-06-01', '2028-05-31')).toBe(12);
    expect(durationInMonths('2027-05-03', '2029-05-02')).toBe(24);
    expect(durationInMonths('2027-01-31', '2027-02-27')).toBe(1); // to the day before the clamped 28 Feb
    expect(durationInMonths('2027-06-01', '2027-07-15')).toBe(1.5);
    expect(durationInMonths('2027-06-01', '2027-06-01')).toBe(0);
    expect(toThreeSixtyGivingGrant(source(WITHHELD, []), CONFIG, 'http://x').plannedDates).toEqual([{ startDate: '2027-06-01', endDate: '2028-05-31', duration: 12 }]);
  });

  it('shows a terminated grant as terminated, with what was paid, and never the reason', () => {
    const base = source(WITHHELD, []);
    const terminated = toThreeSixtyGivingGrant(
      { ...base, grant: { ...base.grant, paidMinor: 40_00 }, ending: { status: 'terminated', at: '2027-12-15T10:00:00.000Z' } },
      CONFIG,
      'http://x',
    );
    expect(terminated).toMatchObject({ amountAwarded: 100, amountDisbursed: 40 });
    expect(terminated.actualDates).toEqual([
      {
        title: 'Terminated',
        startDate: '2027-06-01',
        endDate: '2027-12-15',
        duration: 6.5,
        description: 'Terminated on 2027-12-15, before the end of its planned period (2028-05-31): EUR 40.00 of EUR 100.00 disbursed; the unspent EUR 60.00 will not be paid.',
      },
    ]);
    const beforeStart = toThreeSixtyGivingGrant({ ...base, ending: { status: 'terminated', at: '2027-05-20T10:00:00.000Z' } }, CONFIG, 'http://x');
    expect(beforeStart.actualDates).toMatchObject([{ startDate: '2027-05-20', endDate: '2027-05-20', duration: 0 }]);
  });

  it('shows a closed grant as closed over its planned period, with what was paid', () => {
    const base = source(WITHHELD, []);
    const closed = toThreeSixtyGivingGrant(
      { ...base, grant: { ...base.grant, paidMinor: 100_00 }, ending: { status: 'closed', at: '2028-07-01T10:00:00.000Z' } },
      CONFIG,
      'http://x',
    );
    expect(closed.actualDates).toEqual([
      { title: 'Closed', startDate: '2027-06-01', endDate: '2028-05-31', duration: 12, description: 'Closed on 2028-07-01 with its final report accepted: EUR 100.00 of EUR 100.00 disbursed.' },
    ]);
    expect(toThreeSixtyGivingGrant(source(WITHHELD, []), CONFIG, 'http://x')).not.toHaveProperty('actualDates');
  });
  it('counts an unspent advance the grantee repaid (or owes back) in the unspent amount of a terminated or closed grant', () => {
    const base = source(WITHHELD, []);
    // EUR 60 paid, the settlement found EUR 20 unspent and the grantee repaid it: the grant cost EUR 40, EUR 60 went back.
    const terminated = toThreeSixtyGivingGrant(
      { ...base, grant: { ...base.grant, paidMinor: 60_00, recovery: { recoveryMinor: 20_00, recovered: true } }, ending: { status: 'terminated', at: '2027-12-15T10:00:00.000Z' } },
      CONFIG,
      'http://x',
    );
    // amountDisbursed is what was paid to the grantee (the schema's "Total amount disbursed (paid)"), repayments aside.
    expect(terminated).toMatchObject({ amountAwarded: 100, amountDisbursed: 60 });
    expect(terminated.actualDates).toMatchObject([
      { description: 'Terminated on 2027-12-15, before the end of its planned period (2028-05-31): EUR 60.00 of EUR 100.00 disbursed, of which EUR 20.00 was repaid; the unspent EUR 60.00 goes back to the programme.' },
    ]);
    const owed = toThreeSixtyGivingGrant(
      { ...base, grant: { ...base.grant, paidMinor: 60_00, recovery: { recoveryMinor: 20_00, recovered: false } }, ending: { status: 'terminated', at: '2027-12-15T10:00:00.000Z' } },
      CONFIG,
      'http://x',
    );
    expect(owed.actualDates).toMatchObject([{ description: expect.stringContaining('of which EUR 20.00 is owed back; the unspent EUR 60.00 goes back to the programme.') }]);
    const closed = toThreeSixtyGivingGrant(
      { ...base, grant: { ...base.grant, paidMinor: 100_00, recovery: { recoveryMinor: 30_00, recovered: true } }, ending: { status: 'closed', at: '2028-07-01T10:00:00.000Z' } },
      CONFIG,
      'http://x',
    );
    expect(closed.actualDates).toMatchObject([
      { description: 'Closed on 2028-07-01 with its final report accepted: EUR 100.00 of EUR 100.00 disbursed, of which EUR 30.00 was repaid; the unspent EUR 30.00 goes back to the programme.' },
    ]);
  });

  it('does not publish a grant the grantee declined before its agreement was signed: it never started', () => {
    const base = source(WITHHELD, []);
    const declined = { ...base.grant, agreementSignedAt: null };
    expect(isPublishedAsGrant(declined, { status: 'terminated', at: '2027-05-20T10:00:00.000Z' })).toBe(false);
    // Signed, then terminated: it ran, and is published with its actual dates.
    expect(isPublishedAsGrant(base.grant, { status: 'terminated', at: '2027-12-15T10:00:00.000Z' })).toBe(true);
    // Awarded and not signed yet: an award in force, published as awarded.
    expect(isPublishedAsGrant(declined, null)).toBe(true);
  });
});
