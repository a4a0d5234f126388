import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const AMOUNT = 5_000_000;
const BUDGET = [
  { budgetLine: 'Community hearings', amountMinor: 3_000_000 },
  { budgetLine: 'Legal aid', amountMinor: 1_500_000 },
  { budgetLine: 'Coordination', amountMinor: 500_000 },
];

describe('financial reports over HTTP: expenditure per budget line, transfers, final payment or recovery, closure', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;
  let auditor: string;
  let lead: string;
  let partner: string;
  let grantee: string;
  let stranger: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
    lead = await scenario.organisation('LB', ['applicant-user']);
    partner = await scenario.organisation('PS');
    const other = await scenario.organisation('TN', ['other-user']);
    grantee = await t.token({ role: 'applicant', id: 'applicant-user', organisationId: lead });
    stranger = await t.token({ role: 'applicant', id: 'other-user', organisationId: other });
  });

  afterAll(async () => {
    await t.close();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const post = (token: string, path: string, body: object = {}) => t.http.post(path).set(as(token)).send(body);
  const grantAt = (grantId: string, version: number) =>
    eventually(async () => {
      const res = await t.http.get(`/grants/${grantId}`).set(as(manager));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    }, 10_000);
  const committed = (callId: string, committedMinor: number) =>
    eventually(async () => {
      const res = await t.http.get(`/calls/${callId}`).set(as(manager));
      return res.body.committedMinor === committedMinor ? res.body : undefined;
    }, 10_000);

  /**
   * An active grant of EUR 50,000 with its budget agreed (three lines, the programme's 10 % share),
   * an advance of 30,000 paid and a balance of 20,000 scheduled, a final narrative report accepted
   * and a final financial report scheduled.
   */
  async function runningGrant() {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: AMOUNT });
    const grantId = await scenario.award(proposalId, AMOUNT);
    await grantAt(grantId, 0);
    await committed(callId, AMOUNT);
    await post(manager, `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);
    await post(manager, `/grants/${grantId}/budget`, { lines: BUDGET }).expect(200);
    const advance = (await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 3_000_000, dueDate: '2027-02-01' }).expect(201)).body.trancheId as string;
    await post(manager, `/grants/${grantId}/disbursements/${advance}/payment`, { paymentReference: 'SEPA-ADVANCE' }).expect(200);
    const balance = (await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 2_000_000, dueDate: '2028-03-01' }).expect(201)).body.trancheId as string;
    const narrative = (await post(manager, `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2028-01-31' }).expect(201)).body.reportId as string;
    await post(grantee, `/grants/${grantId}/reports/${narrative}/submission`, { summary: 'Hearings held; policy brief sent.' }).expect(200);
    await post(manager, `/grants/${grantId}/reports/${narrative}/acceptance`).expect(200);
    const financial = (await post(manager, `/grants/${grantId}/reports`, { kind: 'financial', dueDate: '2028-01-31' }).expect(201)).body.reportId as string;
    return { callId, grantId, balance, financial };
  }

  const spent = (hearings: number, legalAid: number, coordination: number) => ({
    final: true,
    expenditure: [
      { budgetLine: 'Community hearings', spentMinor: hearings },
      { budgetLine: 'Legal aid', spentMinor: legalAid },
      { budgetLine: 'Coordination', spentMinor: coordination },
    ],
  });

  it('a final financial report through to the final payment and closure: transfers within 10 % of a line pass, beyond it 422', async () => {
    const { callId, grantId, balance, financial } = await runningGrant();

    // Closing needs the final financial report accepted.
    const early = await post(manager, `/grants/${grantId}/closure`).expect(422);
    expect(early.body.rule).toBe('grant.closure.final-financial-report-not-accepted');

    // Coordination (500,000) overspent by 60,000: more than its 10 % (50,000) without an amendment.
    const tooMuch = await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(2_900_000, 1_400_000, 560_000)).expect(422);
    expect(tooMuch.headers['content-type']).toContain('application/problem+json');
    expect(tooMuch.body).toMatchObject({ status: 422, rule: 'grant.financial-report.transfer-exceeds-share' });
    // Not a line of the budget: 422; another organisation's applicant: the grant is not there (404).
    const unknown = await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, { final: true, expenditure: [{ budgetLine: 'Travel', spentMinor: 1 }] }).expect(422);
    expect(unknown.body.rule).toBe('grant.financial-report.expenditure-invalid');
    await post(stranger, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(1, 1, 1)).expect(404);
    await post(auditor, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(1, 1, 1)).expect(403);

    // Within the share: Coordination +50,000, covered by the other lines; 4,900,000 spent in all.
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(2_950_000, 1_400_000, 550_000)).expect(200);
    const accepted = await post(manager, `/grants/${grantId}/reports/${financial}/acceptance`).expect(200);

    // Accepted costs 4,900,000, paid 3,000,000: a final payment of 1,900,000 replaces the balance tranche.
    const view = await grantAt(grantId, accepted.body.version);
    const finalPayment = view.tranches.find((tr: { status: string; trancheId: string }) => tr.status === 'scheduled');
    expect(finalPayment).toMatchObject({ amountMinor: 1_900_000, status: 'scheduled' });
    expect(view.tranches.find((tr: { trancheId: string }) => tr.trancheId === balance)).toMatchObject({ status: 'cancelled' });
    expect(view.budget).toMatchObject({ lines: BUDGET, transferShareBasisPoints: 1_000 });
    expect(view.reports.find((r: { reportId: string }) => r.reportId === financial).financial).toMatchObject({ final: true, totalSpentMinor: 4_900_000 });
    const events = await streamEvents(t, `grant-${grantId}`);
    expect(events.find((e) => e.type === 'FinalPaymentDetermined')?.data).toMatchObject({ acceptedCostsMinor: 4_900_000, paidMinor: 3_000_000, amountMinor: 1_900_000 });

    await post(manager, `/grants/${grantId}/closure`).expect(422); // the final payment is not paid yet
    await post(manager, `/grants/${grantId}/disbursements/${finalPayment.trancheId}/payment`, { paymentReference: 'SEPA-FINAL' }).expect(200);
    const closed = await post(manager, `/grants/${grantId}/closure`).expect(200);
    expect(await grantAt(grantId, closed.body.version)).toMatchObject({ status: 'closed', disbursedMinor: 4_900_000, unspentMinor: 100_000 });
    // The 100,000 not spent goes back to the call.
    await committed(callId, 4_900_000);
  });

  it('a final financial report below what was advanced: the recovery is recorded before closure, and returns to the call', async () => {
    const { callId, grantId, financial } = await runningGrant();
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(1_600_000, 800_000, 200_000)).expect(200);
    const accepted = await post(manager, `/grants/${grantId}/reports/${financial}/acceptance`).expect(200);
    expect((await grantAt(grantId, accepted.body.version)).recovery).toEqual({ recoveryMinor: 400_000, recovered: false });
    const events = await streamEvents(t, `grant-${grantId}`);
    expect(events.find((e) => e.type === 'UnspentAdvanceRecoveryDetermined')?.data).toMatchObject({ acceptedCostsMinor: 2_600_000, paidMinor: 3_000_000, recoveryMinor: 400_000 });

    const outstanding = await post(manager, `/grants/${grantId}/closure`).expect(422);
    expect(outstanding.body.rule).toBe('grant.closure.recovery-outstanding');
    await post(grantee, `/grants/${grantId}/recovery`, { reference: 'SEPA-RETURN-1' }).expect(403);
    await post(manager, `/grants/${grantId}/recovery`, { reference: 'SEPA-RETURN-1' }).expect(200);
    expect((await post(manager, `/grants/${grantId}/recovery`, { reference: 'SEPA-RETURN-1' }).expect(422)).body.rule).toBe('grant.recovery.not-due');
    expect((await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(1, 1, 1)).expect(422)).body.rule).toBe('grant.report.already-accepted');

    const closed = await post(manager, `/grants/${grantId}/closure`).expect(200);
    expect(await grantAt(grantId, closed.body.version)).toMatchObject({ status: 'closed', unspentMinor: 2_400_000, recovery: { recoveryMinor: 400_000, recovered: true } });
    // 3,000,000 paid minus 400,000 recovered: the grant cost 2,600,000; the rest is released to the call.
    await committed(callId, 2_600_000);
  });

  it('the budget is agreed once and sums to the grant amount; a call may set its own transfer share', async () => {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: AMOUNT });
    const grantId = await scenario.award(proposalId, AMOUNT);
    await grantAt(grantId, 0);
    const wrongSum = await post(manager, `/grants/${grantId}/budget`, { lines: [{ budgetLine: 'Everything', amountMinor: AMOUNT - 1 }] }).expect(422);
    expect(wrongSum.body.rule).toBe('grant.budget.invalid');
    await post(manager, `/grants/${grantId}/budget`, { lines: BUDGET, transferShareBasisPoints: 10_001 }).expect(400);
    await post(grantee, `/grants/${grantId}/budget`, { lines: BUDGET }).expect(403);
    const agreed = await post(manager, `/grants/${grantId}/budget`, { lines: BUDGET, transferShareBasisPoints: 2_000 }).expect(200);
    expect((await grantAt(grantId, agreed.body.version)).budget).toMatchObject({ transferShareBasisPoints: 2_000 });
    expect((await post(manager, `/grants/${grantId}/budget`, { lines: BUDGET }).expect(422)).body.rule).toBe('grant.budget.already-agreed');
  });
});
