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
    // Settled: no other tranche is scheduled beside the final payment.
    const extra = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 100_000, dueDate: '2028-04-01' }).expect(422);
    expect(extra.body.rule).toBe('grant.disbursement.after-settlement');
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

  it('once settled, no money goes out beyond the settlement: a tranche is neither scheduled nor paid, and the grant closes on its accepted costs', async () => {
    // Accepted costs equal to what was paid (30,000): nothing more is owed.
    const { callId, grantId, balance, financial } = await runningGrant();
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(1_800_000, 900_000, 300_000)).expect(200);
    const accepted = await post(manager, `/grants/${grantId}/reports/${financial}/acceptance`).expect(200);
    expect((await grantAt(grantId, accepted.body.version)).tranches.find((tr: { trancheId: string }) => tr.trancheId === balance)).toMatchObject({ status: 'cancelled' });
    const before = (await streamEvents(t, `grant-${grantId}`)).length;
    const extra = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 600_000, dueDate: '2028-04-01' }).expect(422);
    expect(extra.body).toMatchObject({ status: 422, rule: 'grant.disbursement.after-settlement' });
    // Nor is its money amended (until 2026-12-06 the amount was, up and down, and the call's commitment with it).
    const raise = await post(manager, `/grants/${grantId}/amendments`, {
      kind: 'amount-change', reason: 'A third city added', newAmountMinor: 5_500_000,
      budgetLines: [{ budgetLine: 'Community hearings', amountMinor: 3_400_000 }, { budgetLine: 'Legal aid', amountMinor: 1_600_000 }, { budgetLine: 'Coordination', amountMinor: 500_000 }],
    }).expect(422);
    expect(raise.body).toMatchObject({ status: 422, rule: 'grant.amendment.after-settlement' });
    const reallocation = await post(manager, `/grants/${grantId}/amendments`, {
      kind: 'budget-reallocation', reason: 'Hearings moved online', budgetReallocation: [{ budgetLine: 'Community hearings', changeMinor: -100_000 }, { budgetLine: 'Coordination', changeMinor: 100_000 }],
    }).expect(422);
    expect(reallocation.body.rule).toBe('grant.amendment.after-settlement');
    await committed(callId, AMOUNT);
    // The cancelled balance stays unpaid.
    expect((await post(manager, `/grants/${grantId}/disbursements/${balance}/payment`, { paymentReference: 'SEPA-LATE' }).expect(422)).body.rule).toBe('grant.disbursement.cancelled');
    expect((await streamEvents(t, `grant-${grantId}`)).length).toBe(before);
    const closed = await post(manager, `/grants/${grantId}/closure`).expect(200);
    expect(await grantAt(grantId, closed.body.version)).toMatchObject({ status: 'closed', disbursedMinor: 3_000_000, unspentMinor: 2_000_000 });
    await committed(callId, 3_000_000);

    // A recovery owed (15,000 paid, 10,000 accepted in the reviewer's case): no new tranche to offset it either.
    const owing = await runningGrant();
    await post(grantee, `/grants/${owing.grantId}/reports/${owing.financial}/financial-submission`, spent(1_600_000, 800_000, 200_000)).expect(200);
    await post(manager, `/grants/${owing.grantId}/reports/${owing.financial}/acceptance`).expect(200);
    expect((await post(manager, `/grants/${owing.grantId}/disbursements`, { amountMinor: 400_000, dueDate: '2028-04-01' }).expect(422)).body.rule).toBe('grant.disbursement.after-settlement');
    expect((await post(manager, `/grants/${owing.grantId}/closure`).expect(422)).body.rule).toBe('grant.closure.recovery-outstanding');
  });

  it('a recovery owed survives termination: the termination releases it to the call, and the repayment is still recorded', async () => {
    const { callId, grantId, financial } = await runningGrant();
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(1_600_000, 800_000, 200_000)).expect(200);
    await post(manager, `/grants/${grantId}/reports/${financial}/acceptance`).expect(200);
    // 3,000,000 paid, 2,600,000 accepted: 400,000 owed back. The grant cost 2,600,000 whatever happens to it.
    const terminated = await post(manager, `/grants/${grantId}/termination`, { reason: 'Lead organisation dissolved' }).expect(200);
    expect(await grantAt(grantId, terminated.body.version)).toMatchObject({ status: 'terminated', disbursedMinor: 3_000_000, unspentMinor: 2_400_000, recovery: { recoveryMinor: 400_000, recovered: false } });
    await committed(callId, 2_600_000);
    const recovered = await post(manager, `/grants/${grantId}/recovery`, { reference: 'SEPA-RETURN-2' }).expect(200);
    expect(await grantAt(grantId, recovered.body.version)).toMatchObject({ status: 'terminated', unspentMinor: 2_400_000, recovery: { recoveryMinor: 400_000, recovered: true } });
    expect((await post(manager, `/grants/${grantId}/recovery`, { reference: 'SEPA-RETURN-2' }).expect(422)).body.rule).toBe('grant.recovery.not-due');
    await post(manager, `/grants/${grantId}/closure`).expect(409);
    // Released once: the repayment moves nothing more on the call.
    await committed(callId, 2_600_000);
    const releases = (await streamEvents(t, `call-${callId}`)).filter((e) => e.type === 'FundsReleased');
    expect(releases.map((e) => (e.data as { amountMinor: number }).amountMinor)).toEqual([2_400_000]);
  });

  it('the final payment owed holds a termination back (422, nothing appended); once paid, the grant terminates on its accepted costs', async () => {
    const { callId, grantId, financial } = await runningGrant();
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(2_950_000, 1_400_000, 550_000)).expect(200);
    const accepted = await post(manager, `/grants/${grantId}/reports/${financial}/acceptance`).expect(200);
    // Accepted costs 4,900,000, paid 3,000,000: a final payment of 1,900,000 is owed to the grantee.
    const finalPayment = (await grantAt(grantId, accepted.body.version)).tranches.find((tr: { status: string }) => tr.status === 'scheduled');
    expect(finalPayment).toMatchObject({ amountMinor: 1_900_000 });
    const before = await streamEvents(t, `grant-${grantId}`);

    // Until 2026-12-07 this cancelled the final payment and released it to the call: the accepted costs could never be paid.
    const refused = await post(manager, `/grants/${grantId}/termination`, { reason: 'Lead organisation dissolved' }).expect(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 422, rule: 'grant.termination.final-payment-owed' });
    expect(refused.body.detail).toContain(finalPayment.trancheId);
    expect(await streamEvents(t, `grant-${grantId}`)).toHaveLength(before.length);
    await committed(callId, AMOUNT);

    // Paid, the grant may be terminated: nothing is left to cancel, and it cost its accepted costs.
    await post(manager, `/grants/${grantId}/disbursements/${finalPayment.trancheId}/payment`, { paymentReference: 'SEPA-FINAL' }).expect(200);
    const terminated = await post(manager, `/grants/${grantId}/termination`, { reason: 'Lead organisation dissolved' }).expect(200);
    expect(await grantAt(grantId, terminated.body.version)).toMatchObject({ status: 'terminated', disbursedMinor: 4_900_000, unspentMinor: 100_000 });
    expect((await streamEvents(t, `grant-${grantId}`)).slice(before.length).map((e) => e.type)).toEqual(['DisbursementPaid', 'GrantTerminated']);
    await committed(callId, 4_900_000);
  });

  it('an amount change on a grant with a budget carries the new lines, so the budget stays equal to the amount', async () => {
    const { callId, grantId, balance, financial } = await runningGrant();
    // The balance will not be paid as planned: a cut must leave room for the tranches scheduled.
    await post(manager, `/grants/${grantId}/disbursements/${balance}/cancellation`, { reason: 'Replanned with the amendment' }).expect(200);
    const amend = (body: object) => post(manager, `/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'A third city added', ...body });
    const before = (await streamEvents(t, `grant-${grantId}`)).length;
    // Without the new lines: refused, nothing amended, nothing committed.
    expect((await amend({ newAmountMinor: 5_500_000 }).expect(422)).body.rule).toBe('grant.amendment.budget-lines-required');
    // Lines that do not sum to the new amount, or cut a line below what a standing report shows spent.
    expect((await amend({ newAmountMinor: 5_500_000, budgetLines: BUDGET }).expect(422)).body.rule).toBe('grant.budget.invalid');
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, { ...spent(1_000_000, 600_000, 400_000), final: false }).expect(200);
    const belowSpent = await amend({
      newAmountMinor: 4_500_000,
      budgetLines: [
        { budgetLine: 'Community hearings', amountMinor: 2_700_000 },
        { budgetLine: 'Legal aid', amountMinor: 1_500_000 },
        { budgetLine: 'Coordination', amountMinor: 300_000 },
      ],
    }).expect(422);
    expect(belowSpent.body.rule).toBe('grant.amendment.budget-line-below-spent');
    expect((await streamEvents(t, `grant-${grantId}`)).length).toBe(before + 1);
    await committed(callId, AMOUNT);

    const raised = [
      { budgetLine: 'Community hearings', amountMinor: 3_400_000 },
      { budgetLine: 'Legal aid', amountMinor: 1_600_000 },
      { budgetLine: 'Coordination', amountMinor: 500_000 },
    ];
    const amended = await amend({ newAmountMinor: 5_500_000, budgetLines: raised }).expect(201);
    const view = await grantAt(grantId, amended.body.version);
    expect(view).toMatchObject({ amountMinor: 5_500_000, budget: { lines: raised, transferShareBasisPoints: 1_000 } });
    expect(view.amendments.at(-1)).toMatchObject({ kind: 'amount-change', previousAmountMinor: AMOUNT, newAmountMinor: 5_500_000, budgetLines: raised });
    await committed(callId, 5_500_000);
    // The increase can be reported and settled.
    await post(manager, `/grants/${grantId}/reports/${financial}/revision-request`, { reason: 'Report the whole period' }).expect(200);
    await post(grantee, `/grants/${grantId}/reports/${financial}/financial-submission`, spent(3_400_000, 1_600_000, 500_000)).expect(200);
    const accepted = await post(manager, `/grants/${grantId}/reports/${financial}/acceptance`).expect(200);
    const settled = await grantAt(grantId, accepted.body.version);
    expect(settled.tranches.find((tr: { status: string }) => tr.status === 'scheduled')).toMatchObject({ amountMinor: 2_500_000 });

    // A grant without a budget takes no lines with its amount change.
    const other = await scenario.award(
      await scenario.proposalReadyForDecision({ callId: await scenario.publishedCall(), leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: AMOUNT }),
      AMOUNT,
    );
    await grantAt(other, 0);
    const unbudgeted = await post(manager, `/grants/${other}/amendments`, { kind: 'amount-change', reason: 'r', newAmountMinor: 5_500_000, budgetLines: raised }).expect(422);
    expect(unbudgeted.body.rule).toBe('grant.budget.not-agreed');
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
