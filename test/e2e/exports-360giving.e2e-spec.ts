/**
 * GET /exports/360giving validated against the official 360Giving schemas (draft 2020-12, vendored in
 * test/fixtures/standards/360giving, no network), with withheld and public recipients, amounts in
 * major units, ISO 3166 country names (a Palestinian recipient), a terminated and a closed grant, and
 * the answer before the first award (204: an empty package is not valid 360Giving data).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { organisationDecider, organisationStreamName } from '@app/domain/organisation';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { DURING_WINDOW, GrantScenario, humanContext } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const STANDARDS = join(__dirname, '../fixtures/standards/360giving');

const PRIVATE = {
  leadName: 'Tamazgha Unseen Assembly',
  contactName: 'Idir Wolfenden',
  contactEmail: 'idir.w@private-mail.test',
  contactPhone: '+212 600 111 222',
  signatory: 'Tiziri Okonkwo-Signer',
  paymentReference: 'SEPA-PRIVATE-360-42',
  partnerName: 'Another Unseen Group',
  partnerContactName: 'Someone Private',
  // What the applicant wrote (see GrantScenario.proposalReadyForDecision): it may name the network.
  proposalTitle: 'Nationality rights for stateless children',
  proposalSummary: 'Legal aid and advocacy on birth registration',
  palestinianName: 'Jenin Quiet Circle',
  palestinianContact: 'Hidden Person Jenin',
  terminationReason: 'Misuse of funds reported by Karim Secret-Witness',
};
const PUBLIC_LEAD_NAME = 'Open Civic Rights Network';

function createPartnersTestApp(): Promise<TestApp> {
  return createTestApp({ now: NOW });
}

/** ajv 2020 with the grant schema registered under the URL the package schema refers to it by. */
function threeSixtyGivingValidator() {
  const grantSchema = JSON.parse(readFileSync(join(STANDARDS, '360-giving-schema.json'), 'utf8'));
  const packageSchema = JSON.parse(readFileSync(join(STANDARDS, '360-giving-package-schema.json'), 'utf8'));
  // The published schemas use keywords of their own (codelist, rollUp, …): not strict. They name the
  // 2020-12 meta-schema by its http:// URL, which ajv only knows as https://: Ajv2020 applies 2020-12
  // semantics anyway, so the schemas themselves are not meta-validated.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(grantSchema);
  const referenced: string = packageSchema.properties.grants.items.$ref;
  if (referenced !== grantSchema.$id) ajv.addSchema({ ...grantSchema, $id: referenced });
  return { validatePackage: ajv.compile(packageSchema), validateGrant: ajv.getSchema(grantSchema.$id)! };
}

describe('360Giving export', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;
  let partner: string;
  let lead: string;
  let partnerOrg: string;
  let publicLead: string;
  let paidGrant: string;
  let unpaidGrant: string;
  let publicGrant: string;
  let palestinian: string;
  let terminatedGrant: string;
  let closedGrant: string;
  let lbpGrant: string;
  let tndGrant: string;
  let beforeFirstAward: { status: number; text: string; type: string | undefined; body: unknown };

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function registerOrganisation(
    name: string,
    country: string,
    contact: { name: string; email: string; phone?: string },
    publicationConsent?: 'public' | 'withheld',
  ): Promise<string> {
    const organisationId = randomUUID();
    await scenario.executor.execute(
      organisationDecider,
      organisationStreamName(organisationId),
      organisationId,
      {
        type: 'RegisterOrganisation',
        data: { organisationId, name, country, legalStatus: 'unregistered-group', focusGroups: ['Amazigh people'], contactPerson: contact, memberUserIds: [], publicationConsent },
        now: DURING_WINDOW,
      },
      humanContext('admin-user', 'admin'),
    );
    return organisationId;
  }

  async function awarded(amountMinor: number, leadOrganisationId = lead, currency = 'EUR'): Promise<string> {
    // The configured ceiling per recipient is in EUR: a call in another currency states its own.
    const callId = await scenario.publishedCall({ currency, ...(currency === 'EUR' ? {} : { recipientCeilingMinor: 1_000_000_000 }) });
    const proposalId = await draftedIn(currency, () =>
      scenario.proposalReadyForDecision({ callId, leadOrganisationId, partnerOrganisationIds: [partnerOrg], requestedMinor: amountMinor }),
    );
    const grantId = await scenario.award(proposalId, amountMinor);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set(as(manager))).status === 200 ? true : undefined));
    return grantId;
  }

  /**
   * GrantScenario drafts every proposal in EUR, and a proposal must be in its call's currency: while
   * `run` prepares one, its DraftProposal command is given `currency`.
   */
  async function draftedIn<T>(currency: string, run: () => Promise<T>): Promise<T> {
    if (currency === 'EUR') return run();
    const executor = scenario.executor;
    const execute = executor.execute.bind(executor) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(executor, {
      execute: (decider: unknown, stream: string, id: string, command: { type: string; data: object }, ...rest: unknown[]) =>
        execute(decider, stream, id, command.type === 'DraftProposal' ? { ...command, data: { ...command.data, currency } } : command, ...rest),
    });
    try {
      return await run();
    } finally {
      delete (executor as { execute?: unknown }).execute;
    }
  }

  beforeAll(async () => {
    t = await createPartnersTestApp();
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    partner = await t.token({ role: 'partner', id: 'transparency-portal' });
    const empty = await t.http.get('/exports/360giving').set(as(partner));
    beforeFirstAward = { status: empty.status, text: empty.text, type: empty.headers['content-type'], body: empty.body };
    lead = await registerOrganisation(PRIVATE.leadName, 'MA', { name: PRIVATE.contactName, email: PRIVATE.contactEmail, phone: PRIVATE.contactPhone });
    partnerOrg = await registerOrganisation(PRIVATE.partnerName, 'TN', { name: PRIVATE.partnerContactName, email: 'someone@private-mail.test' });
    publicLead = await registerOrganisation(PUBLIC_LEAD_NAME, 'LB', { name: 'Public Person Contact', email: 'contact@open-civic.test' }, 'public');
    paidGrant = await awarded(5_000_050);
    unpaidGrant = await awarded(1_234_567);
    publicGrant = await awarded(750_000, publicLead);
    await t.http.post(`/grants/${paidGrant}/agreement`).set(as(manager)).send({ signatories: [{ name: PRIVATE.signatory, role: 'Director' }] }).expect(200);
    const tranche = await t.http.post(`/grants/${paidGrant}/disbursements`).set(as(manager)).send({ amountMinor: 2_000_025, dueDate: '2027-06-15' }).expect(201);
    await t.http.post(`/grants/${paidGrant}/disbursements/${tranche.body.trancheId}/payment`).set(as(manager)).send({ paymentReference: PRIVATE.paymentReference }).expect(200);
    await eventually(async () => ((await t.http.get(`/grants/${paidGrant}`).set(as(manager))).body.disbursedMinor === 2_000_025 ? true : undefined));

    // A Palestinian lead whose grant is terminated after one of two tranches was paid.
    palestinian = await registerOrganisation(PRIVATE.palestinianName, 'PS', { name: PRIVATE.palestinianContact, email: 'jenin@private-mail.test' });
    terminatedGrant = await awarded(3_000_000, palestinian);
    await signAndPay(terminatedGrant, 1_000_000);
    await t.http.post(`/grants/${terminatedGrant}/disbursements`).set(as(manager)).send({ amountMinor: 2_000_000, dueDate: '2028-03-15' }).expect(201);
    t.clock.set('2027-11-20T10:00:00Z');
    await t.http.post(`/grants/${terminatedGrant}/termination`).set(as(manager)).send({ reason: PRIVATE.terminationReason }).expect(200);
    await statusIs(terminatedGrant, 'terminated');

    // A grant run to closure: final report accepted, 2,000,000 of 2,500,000 paid, the balance cancelled.
    t.clock.set(NOW);
    closedGrant = await awarded(2_500_000);
    const final = await t.http.post(`/grants/${closedGrant}/reports`).set(as(manager)).send({ kind: 'final', dueDate: '2029-05-31' }).expect(201);
    await signAndPay(closedGrant, 2_000_000);
    const balance = await t.http.post(`/grants/${closedGrant}/disbursements`).set(as(manager)).send({ amountMinor: 500_000, dueDate: '2029-06-30' }).expect(201);
    const grantee = await t.token({ role: 'applicant', id: 'applicant-user', organisationId: lead });
    t.clock.set('2029-05-20T10:00:00Z');
    await t.http.post(`/grants/${closedGrant}/reports/${final.body.reportId}/submission`).set(as(grantee)).send({ summary: 'Final report.' }).expect(200);
    await t.http.post(`/grants/${closedGrant}/reports/${final.body.reportId}/acceptance`).set(as(manager)).expect(200);
    await t.http.post(`/grants/${closedGrant}/disbursements/${balance.body.trancheId}/cancellation`).set(as(manager)).send({ reason: 'Activities completed under budget' }).expect(200);
    t.clock.set('2029-06-10T10:00:00Z');
    await t.http.post(`/grants/${closedGrant}/closure`).set(as(manager)).expect(200);
    await statusIs(closedGrant, 'closed');
    t.clock.set(NOW);

    // Currencies whose ISO 4217 exponent is not Intl's display digits (LBP: 2, Intl 0), or is 3 (TND).
    lbpGrant = await awarded(7_654_321, lead, 'LBP');
    tndGrant = await awarded(3_000_505, lead, 'TND');
    await signAndPay(tndGrant, 1_250_125);
    await eventually(async () => ((await t.http.get(`/grants/${tndGrant}`).set(as(manager))).body.disbursedMinor === 1_250_125 ? true : undefined));
  });

  async function signAndPay(grantId: string, amountMinor: number): Promise<void> {
    await t.http.post(`/grants/${grantId}/agreement`).set(as(manager)).send({ signatories: [{ name: PRIVATE.signatory, role: 'Director' }] }).expect(200);
    const tranche = await t.http.post(`/grants/${grantId}/disbursements`).set(as(manager)).send({ amountMinor, dueDate: '2027-06-15' }).expect(201);
    await t.http.post(`/grants/${grantId}/disbursements/${tranche.body.trancheId}/payment`).set(as(manager)).send({ paymentReference: PRIVATE.paymentReference }).expect(200);
  }

  const statusIs = (grantId: string, status: string) =>
    eventually(async () => ((await t.http.get(`/grants/${grantId}`).set(as(manager))).body.status === status ? true : undefined));

  afterAll(async () => {
    await t.close();
  });

  it('validates against the official 360Giving package and grant schemas', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const { validatePackage, validateGrant } = threeSixtyGivingValidator();
    expect(validatePackage(res.body) ? null : validatePackage.errors).toBeNull();
    for (const grant of res.body.grants) expect(validateGrant(grant) ? null : validateGrant.errors).toBeNull();
    expect(res.body.grants).toHaveLength(7);
  });

  it('answers 204 No Content before the first award: an empty package would fail the package schema (minItems 1)', () => {
    expect(beforeFirstAward).toMatchObject({ status: 204, text: '', type: undefined });
    const { validatePackage } = threeSixtyGivingValidator();
    expect(validatePackage({ version: '1.4', grants: [] })).toBe(false);
  });

  it('names beneficiary countries by their ISO 3166 English short names: "Palestine, State of"', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const grant = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${terminatedGrant}`);
    expect(grant.beneficiaryLocation).toEqual([
      { name: 'Palestine, State of', countryCode: 'PS' },
      { name: 'Tunisia', countryCode: 'TN' },
    ]);
    const publicOne = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${publicGrant}`);
    expect(publicOne.beneficiaryLocation).toEqual([
      { name: 'Lebanon', countryCode: 'LB' },
      { name: 'Tunisia', countryCode: 'TN' },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('Palestinian Territories');
  });

  it('gives the planned duration in months', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    for (const grant of res.body.grants) {
      // Awarded on 2027-05-03 for the proposal's 24 months.
      expect(grant.plannedDates).toEqual([{ startDate: '2027-05-03', endDate: '2029-05-02', duration: 24 }]);
    }
  });

  it('shows a terminated grant as terminated, with the amount actually disbursed, and never the reason', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const grant = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${terminatedGrant}`);
    const { validateGrant } = threeSixtyGivingValidator();
    expect(validateGrant(grant) ? null : validateGrant.errors).toBeNull();
    expect(grant).toMatchObject({ amountAwarded: 30_000, amountDisbursed: 10_000 });
    expect(grant.actualDates).toEqual([
      {
        title: 'Terminated',
        startDate: '2027-05-03',
        endDate: '2027-11-20',
        duration: 6.6,
        description: 'Terminated on 2027-11-20, before the end of its planned period (2029-05-02): EUR 10000.00 of EUR 30000.00 disbursed; the unspent EUR 20000.00 will not be paid.',
      },
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/Misuse|Karim/);
  });

  it('shows a closed grant as closed over its period, with the amount actually disbursed', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const grant = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${closedGrant}`);
    const { validateGrant } = threeSixtyGivingValidator();
    expect(validateGrant(grant) ? null : validateGrant.errors).toBeNull();
    expect(grant).toMatchObject({ amountAwarded: 25_000, amountDisbursed: 20_000 });
    expect(grant.actualDates).toEqual([
      {
        title: 'Closed',
        startDate: '2027-05-03',
        endDate: '2029-05-02',
        duration: 24,
        description: 'Closed on 2029-06-10 with its final report accepted: EUR 20000.00 of EUR 25000.00 disbursed; the unspent EUR 5000.00 will not be paid.',
      },
    ]);
    // Grants still running carry no actualDates.
    for (const running of [paidGrant, unpaidGrant, publicGrant]) {
      expect(res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${running}`)).not.toHaveProperty('actualDates');
    }
  });

  it('exports amounts in major units, award and planned dates, programme and beneficiary countries', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const paid = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${paidGrant}`);
    const unpaid = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${unpaidGrant}`);
    expect(paid).toMatchObject({
      currency: 'EUR',
      amountAwarded: 50_000.5,
      amountAppliedFor: 50_000.5,
      amountDisbursed: 20_000.25,
      awardDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      plannedDates: [{ startDate: expect.any(String), endDate: expect.any(String) }],
      title: 'Grant under "Small grants for issue-based networks"',
      description:
        'Awarded under Civic Space and Minority Rights Programme 2027: Small grants for issue-based networks. The recipient is withheld to protect the people it works with.',
      fundingOrganization: [{ id: '360G-grantledger-funder', name: 'Grant Ledger programme' }],
      fromOpenCall: 'Yes',
      dataSource: expect.stringMatching(/^http:\/\/.+\/exports\/360giving$/),
    });
    expect(paid.beneficiaryLocation).toEqual([
      { name: 'Morocco', countryCode: 'MA' },
      { name: 'Tunisia', countryCode: 'TN' },
    ]);
    expect(unpaid).toMatchObject({ amountAwarded: 12_345.67, amountDisbursed: 0 });
  });

  it('exports amounts by the currency\'s ISO 4217 exponent: LBP in hundredths (Intl shows none), TND in thousandths', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const grantOf = (grantId: string) => res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${grantId}`);
    expect(grantOf(lbpGrant)).toMatchObject({ currency: 'LBP', amountAwarded: 76_543.21, amountAppliedFor: 76_543.21, amountDisbursed: 0 });
    expect(grantOf(tndGrant)).toMatchObject({ currency: 'TND', amountAwarded: 3_000.505, amountAppliedFor: 3_000.505, amountDisbursed: 1_250.125 });
    const { validateGrant } = threeSixtyGivingValidator();
    for (const grant of [grantOf(lbpGrant), grantOf(tndGrant)]) expect(validateGrant(grant) ? null : validateGrant.errors).toBeNull();
  });

  it('withholds recipients by default: a stable pseudonymous id in our 360G namespace, no name, contact or internal id', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const grantOf = (grantId: string) => res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${grantId}`);
    const recipients = [paidGrant, unpaidGrant].map((grantId) => grantOf(grantId).recipientOrganization);
    expect(recipients[0]).toEqual([{ id: expect.stringMatching(/^360G-grantledger-withheld-[0-9a-f]{32}$/), name: 'Withheld recipient' }]);
    expect(recipients[1]).toEqual(recipients[0]); // the same grantee, the same pseudonym
    const feed = await t.http.get('/feed?types=grant.awarded').set(as(partner)).expect(200);
    expect(`360G-grantledger-${feed.body.items[0].data.recipient.id}`).toBe(recipients[0][0].id);
  });

  it('never publishes a withheld recipient\'s name, its partners\' names or the applicant\'s title and summary anywhere in the export', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const json = JSON.stringify(res.body);
    for (const value of [...Object.values(PRIVATE), lead, partnerOrg, palestinian, 'alice', 'committee-chair']) {
      expect(json).not.toContain(value);
    }
    // Every string in every grant is either generated or written by the programme team.
    for (const grant of res.body.grants) {
      expect(grant.title).toBe('Grant under "Small grants for issue-based networks"');
      expect(grant.beneficiaryLocation.every((l: { name: string; countryCode: string }) => /^[A-Z]{2}$/.test(l.countryCode))).toBe(true);
    }
  });

  it('names a recipient that chose to be public, and still withholds its withheld partner and the applicant\'s text', async () => {
    const res = await t.http.get('/exports/360giving').set(as(partner)).expect(200);
    const grant = res.body.grants.find((g: { id: string }) => g.id === `360G-grantledger-${publicGrant}`);
    expect(grant.recipientOrganization).toEqual([{ id: `360G-grantledger-${publicLead}`, name: PUBLIC_LEAD_NAME }]);
    expect(grant.description).toBe(
      'Awarded under Civic Space and Minority Rights Programme 2027: Small grants for issue-based networks. ' +
        `Awarded to ${PUBLIC_LEAD_NAME}; partners in its network are withheld to protect the people they work with.`,
    );
    const { validateGrant } = threeSixtyGivingValidator();
    expect(validateGrant(grant) ? null : validateGrant.errors).toBeNull();
    expect(JSON.stringify(grant)).not.toMatch(/Public Person Contact|contact@open-civic/);
  });

  it('is for partners and the programme team: applicants and reviewers get 403', async () => {
    for (const role of ['admin', 'grant-manager', 'auditor'] as const) {
      await t.http.get('/exports/360giving').set(as(await t.token({ role }))).expect(200);
    }
    await t.http.get('/exports/360giving').set(as(await t.token({ role: 'applicant', organisationId: lead }))).expect(403);
    await t.http.get('/exports/360giving').set(as(await t.token({ role: 'reviewer' }))).expect(403);
  });
});
