import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount, eventsWhere, streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const CALL_BUDGET = 20_000_000;

describe('grants over HTTP', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;
  let auditor: string;
  let lead: string;
  let partner: string;
  let grantee: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
    lead = await scenario.organisation('LB', ['applicant-user']);
    partner = await scenario.organisation('PS');
    grantee = await t.token({ role: 'applicant', id: 'applicant-user', organisationId: lead });
  });

  afterAll(async () => {
    await t.close();
  });

  afterEach(() => t.clock.set(NOW));

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const post = (token: string, path: string, body: object = {}) => t.http.post(path).set(as(token)).send(body);
  const grantAt = (grantId: string, version: number, token = manager) =>
    eventually(async () => {
      const res = await t.http.get(`/grants/${grantId}`).set(as(token));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    });
  const callCommitted = (callId: string, committedMinor: number) =>
    eventually(async () => {
      const res = await t.http.get(`/calls/${callId}`).set(as(manager));
      return res.body.committedMinor === committedMinor ? res.body : undefined;
    });

  /** A published call and an awarded, funded grant under it, as the grants read model shows it. */
  async function awardedGrant(amountMinor = 5_000_000, callOverrides: Record<string, unknown> = {}) {
    const callId = await scenario.publishedCall(callOverrides);
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: amountMinor });
    const grantId = await scenario.award(proposalId, amountMinor);
    const grant = await grantAt(grantId, 0);
    return { callId, proposalId, grantId, grant };
  }

  async function activeGrant(amountMinor = 5_000_000, callOverrides: Record<string, unknown> = {}) {
    const awarded = await awardedGrant(amountMinor, callOverrides);
    await post(manager, `/grants/${awarded.grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);
    return awarded;
  }

  it('runs a grant from award to closure, giving the unspent funds back to the call', async () => {
    const { callId, proposalId, grantId, grant } = await awardedGrant(5_000_000);
    expect(grant).toMatchObject({
      id: grantId, proposalId, callId, granteeOrganisationId: lead, partnerOrganisationIds: [partner], currency: 'EUR',
      status: 'awarded', amountMinor: 5_000_000, scheduledMinor: 0, disbursedMinor: 0, remainingMinor: 5_000_000, overdue: false,
    });
    await callCommitted(callId, 5_000_000);

    const interim = await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-12-31' }).expect(201);
    const final = await post(manager, `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2029-05-31' }).expect(201);
    expect(interim.body).toEqual({ id: grantId, version: 1, reportId: expect.any(String) });
    await post(manager, `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);

    const first = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 2_000_000, dueDate: '2027-06-15' }).expect(201);
    const second = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 2_000_000, dueDate: '2028-01-31', conditionReportId: interim.body.reportId }).expect(201);
    const tooMuch = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_000_001, dueDate: '2028-06-30' }).expect(422);
    expect(tooMuch.body.rule).toBe('grant.disbursement.exceeds-amount');

    await post(manager, `/grants/${grantId}/disbursements/${first.body.trancheId}/payment`, { paymentReference: 'SEPA-0001' }).expect(200);
    const early = await post(manager, `/grants/${grantId}/disbursements/${second.body.trancheId}/payment`, { paymentReference: 'SEPA-0002' }).expect(422);
    expect(early.body.rule).toBe('grant.disbursement.report-not-accepted');

    await post(grantee, `/grants/${grantId}/reports/${interim.body.reportId}/submission`, { summary: 'Hearings held in Beirut and Tripoli.' }).expect(200);
    await post(manager, `/grants/${grantId}/reports/${interim.body.reportId}/acceptance`).expect(200);
    await post(manager, `/grants/${grantId}/disbursements/${second.body.trancheId}/payment`, { paymentReference: 'SEPA-0002' }).expect(200);

    const notYet = await post(manager, `/grants/${grantId}/closure`).expect(422);
    expect(notYet.body.rule).toBe('grant.closure.final-report-not-accepted');
    await post(grantee, `/grants/${grantId}/reports/${final.body.reportId}/submission`, {
      summary: 'Final narrative and financial report.',
    }).expect(200);
    await post(manager, `/grants/${grantId}/reports/${final.body.reportId}/acceptance`).expect(200);
    const closed = await post(manager, `/grants/${grantId}/closure`).expect(200);

    const view = await grantAt(grantId, closed.body.version);
    expect(view).toMatchObject({
      status: 'closed', amountMinor: 5_000_000, scheduledMinor: 4_000_000, disbursedMinor: 4_000_000, remainingMinor: 1_000_000,
      unspentMinor: 1_000_000, nextReportDue: null, overdue: false,
    });
    expect(view.tranches.map((tr: { status: string; paymentReference: string }) => [tr.status, tr.paymentReference])).toEqual([
      ['paid', 'SEPA-0001'],
      ['paid', 'SEPA-0002'],
    ]);
    expect(view.tranches[1].conditionReportId).toBe(interim.body.reportId);
    expect(view.reports.map((r: { kind: string; status: string }) => [r.kind, r.status])).toEqual([
      ['interim', 'accepted'],
      ['final', 'accepted'],
    ]);

    // The unspent 1m goes back to the call: its remaining budget goes up again.
    const call = await callCommitted(callId, 4_000_000);
    expect(call.remainingMinor).toBe(CALL_BUDGET - 4_000_000);
    const released = await eventsWhere(t, 'FundsReleased', 'grantId', grantId);
    expect(released).toHaveLength(1);
    expect(released[0].data).toMatchObject({ amountMinor: 1_000_000, reason: 'Unspent at grant closure' });
    expect(released[0].metadata).toMatchObject({ actorId: 'process-manager:grant-funds', actorRole: 'system' });

    const stored = await streamEvents(t, `grant-${grantId}`);
    expect(stored.find((e) => e.type === 'ReportSubmitted')?.metadata).toMatchObject({ actorId: 'applicant-user', actorRole: 'applicant' });
    expect(stored.find((e) => e.type === 'ReportAccepted')?.metadata).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager' });
  });

  it('refuses to close a grant while a report is still owed, naming it, and appends nothing; terminating still ends it', async () => {
    const { grantId } = await activeGrant(5_000_000);
    const interim = (await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-12-31' }).expect(201)).body.reportId as string;
    const final = (await post(manager, `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2029-05-31' }).expect(201)).body.reportId as string;
    await post(grantee, `/grants/${grantId}/reports/${final}/submission`, { summary: 'Final report.' }).expect(200);
    await post(manager, `/grants/${grantId}/reports/${final}/acceptance`).expect(200);
    const before = await streamEvents(t, `grant-${grantId}`);

    // Until 2026-12-07 the grant closed, and the interim report it never received was dropped without a trace.
    const refused = await post(manager, `/grants/${grantId}/closure`).expect(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 422, rule: 'grant.closure.reports-outstanding' });
    expect(refused.body.detail).toContain(interim);
    // Sent back for revision, it is still owed.
    await post(grantee, `/grants/${grantId}/reports/${interim}/submission`, { summary: 'Interim report.' }).expect(200);
    await post(manager, `/grants/${grantId}/reports/${interim}/revision-request`, { reason: 'Attendance lists missing' }).expect(200);
    expect((await post(manager, `/grants/${grantId}/closure`).expect(422)).body.rule).toBe('grant.closure.reports-outstanding');
    expect(await streamEvents(t, `grant-${grantId}`)).toHaveLength(before.length + 2);

    const terminated = await post(manager, `/grants/${grantId}/termination`, { reason: 'The network will not report' }).expect(200);
    expect(await grantAt(grantId, terminated.body.version)).toMatchObject({ status: 'terminated', unspentMinor: 5_000_000 });
  });

  it('sends a report back for revision and lets the grantee submit it again', async () => {
    const { grantId } = await activeGrant();
    const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'financial', dueDate: '2027-09-30' }).expect(201);
    const path = `/grants/${grantId}/reports/${report.body.reportId}`;
    await post(grantee, `${path}/submission`, { summary: 'Expenses to date.' }).expect(200);
    const sentBack = await post(manager, `${path}/revision-request`, { reason: 'Receipts for travel are missing' }).expect(200);
    // The grantee reads why, in its own view of the grant.
    await grantAt(grantId, sentBack.body.version);
    const asGrantee = (await t.http.get(`/grants/${grantId}`).set(as(grantee)).expect(200)).body;
    expect(asGrantee.reports[0]).toMatchObject({ status: 'revision-requested', revisionRequest: { reason: 'Receipts for travel are missing', requestedAt: expect.any(String) } });
    const resubmitted = await post(grantee, `${path}/submission`, { summary: 'Expenses to date, with receipts.' }).expect(200);
    const view = await grantAt(grantId, resubmitted.body.version);
    expect(view.reports[0]).toMatchObject({ status: 'submitted', revisionRequest: { reason: 'Receipts for travel are missing' } });
  });

  it('filters overdue grants by the clock: a report owed past its due date, not one awaiting review', async () => {
    const { grantId, callId } = await activeGrant();
    const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-06-30' }).expect(201);
    await grantAt(grantId, report.body.version);
    const overdueIds = async () =>
      (await t.http.get(`/grants?overdue=true&callId=${callId}`).set(as(manager)).expect(200)).body.items.map((g: { id: string }) => g.id);

    t.clock.set('2027-06-30T23:59:00Z');
    expect(await overdueIds()).toEqual([]);
    t.clock.set('2027-07-01T00:00:00Z');
    expect(await overdueIds()).toEqual([grantId]);
    const onTime = await t.http.get(`/grants?overdue=false&callId=${callId}`).set(as(manager)).expect(200);
    expect(onTime.body.items).toEqual([]);
    expect((await t.http.get(`/grants/${grantId}`).set(as(manager)).expect(200)).body).toMatchObject({ overdue: true, nextReportDue: '2027-06-30' });

    const submitted = await post(grantee, `/grants/${grantId}/reports/${report.body.reportId}/submission`, { summary: 'Late but complete.' }).expect(200);
    await grantAt(grantId, submitted.body.version);
    expect(await overdueIds()).toEqual([]);
  });

  it('lists the portfolio by status, paged', async () => {
    const { callId, grantId: first } = await activeGrant(1_000_000);
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 1_000_000 });
    const second = await scenario.award(proposalId, 1_000_000);
    await grantAt(second, 0);
    await grantAt(first, 1);

    const active = await t.http.get(`/grants?status=active&callId=${callId}`).set(as(manager)).expect(200);
    expect(active.body.items.map((g: { id: string }) => g.id)).toEqual([first]);
    const page = await t.http.get(`/grants?callId=${callId}&limit=1&offset=1`).set(as(manager)).expect(200);
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.body.items).toHaveLength(1);
    await t.http.get('/grants?status=finished').set(as(manager)).expect(400);
    await t.http.get('/grants?overdue=yes').set(as(manager)).expect(400);
  });

  describe('amendments', () => {
    it('commits an amount increase on the call before the grant records it', async () => {
      const { callId, grantId } = await activeGrant(5_000_000);
      const amended = await post(manager, `/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'Second city added', newAmountMinor: 6_000_000 }).expect(201);
      expect(amended.body).toEqual({ id: grantId, version: expect.any(Number), amendmentId: expect.any(String) });
      const view = await grantAt(grantId, amended.body.version);
      expect(view).toMatchObject({ amountMinor: 6_000_000, awardedAmountMinor: 5_000_000 });
      expect(view.amendments).toEqual([
        expect.objectContaining({ amendmentId: amended.body.amendmentId, kind: 'amount-change', previousAmountMinor: 5_000_000, newAmountMinor: 6_000_000, approvedBy: 'alice' }),
      ]);
      // The grantee reads the amendment, not who on the programme's staff approved it (as on proposals).
      const asGrantee = await t.http.get(`/grants/${grantId}`).set(as(grantee)).expect(200);
      expect(asGrantee.body.amendments).toEqual([expect.objectContaining({ amendmentId: amended.body.amendmentId, approvedBy: null })]);
      const listed = await t.http.get(`/grants?callId=${callId}`).set(as(grantee)).expect(200);
      expect(listed.body.items.flatMap((g: { amendments: { approvedBy: unknown }[] }) => g.amendments.map((a) => a.approvedBy))).toEqual([null]);
      expect(JSON.stringify((await t.http.get(`/grants/${grantId}`).query({ asOf: new Date().toISOString() }).set(as(grantee)).expect(200)).body)).not.toContain('"alice"');
      await callCommitted(callId, 6_000_000);
      const adjustments = await eventsWhere(t, 'CommitmentAdjusted', 'grantId', grantId);
      expect(adjustments.map((e) => (e.data as { changeMinor: number }).changeMinor)).toEqual([1_000_000]);
    });

    it('refuses an increase the call budget cannot cover, writing nothing', async () => {
      // Within the call's maximum award per grant (6,000,000), but another grant holds 4,000,000 of the budget of 9,500,000.
      const { callId, grantId } = await activeGrant(5_000_000, { budgetMinor: 9_500_000, maxAwardMinor: 6_000_000 });
      const otherLead = await scenario.organisation('MA');
      await scenario.award(await scenario.proposalReadyForDecision({ callId, leadOrganisationId: otherLead, partnerOrganisationIds: [partner], requestedMinor: 4_000_000 }), 4_000_000);
      await callCommitted(callId, 9_000_000);
      const before = await eventCount(t);
      const refused = await post(manager, `/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'More hearings', newAmountMinor: 6_000_000 }).expect(422);
      expect(refused.body.rule).toBe('call.budget.exceeded');
      expect(await eventCount(t)).toBe(before);
      const invalid = await post(manager, `/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'Mixed', newAmountMinor: 5_200_000, newPeriodEnd: '2030-01-01' }).expect(422);
      expect(invalid.body.rule).toBe('grant.amendment.invalid');
      expect(await eventCount(t)).toBe(before);
      await callCommitted(callId, 9_000_000);
    });

    it('gives a decrease back to the call, and records extensions and reallocations', async () => {
      const { callId, grantId } = await activeGrant(5_000_000);
      await post(manager, `/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'One partner left the network', newAmountMinor: 4_000_000 }).expect(201);
      await callCommitted(callId, 4_000_000);
      await post(manager, `/grants/${grantId}/amendments`, { kind: 'no-cost-extension', reason: 'Crossings closed', newPeriodEnd: '2030-12-31' }).expect(201);
      await post(manager, `/grants/${grantId}/budget`, { lines: [{ budgetLine: 'Travel', amountMinor: 1_000_000 }, { budgetLine: 'Hearings', amountMinor: 3_000_000 }] }).expect(200);
      const last = await post(manager, `/grants/${grantId}/amendments`, {
        kind: 'budget-reallocation',
        reason: 'Online hearings instead of travel',
        budgetReallocation: [{ budgetLine: 'Travel', changeMinor: -100_000 }, { budgetLine: 'Hearings', changeMinor: 100_000 }],
      }).expect(201);
      const view = await grantAt(grantId, last.body.version);
      expect(view).toMatchObject({ amountMinor: 4_000_000, periodEnd: '2030-12-31' });
      expect(view.amendments.map((a: { kind: string }) => a.kind)).toEqual(['amount-change', 'no-cost-extension', 'budget-reallocation']);
      expect(view.budget.lines).toEqual([{ budgetLine: 'Travel', amountMinor: 900_000 }, { budgetLine: 'Hearings', amountMinor: 3_100_000 }]);
    });

    it('refuses a reallocation that does not move money between lines of the budget, 422, appending nothing', async () => {
      const { grantId } = await activeGrant(5_000_000);
      const reallocate = (budgetReallocation: { budgetLine: string; changeMinor: number }[]) =>
        post(manager, `/grants/${grantId}/amendments`, { kind: 'budget-reallocation', reason: 'r', budgetReallocation });
      const refused = async (budgetReallocation: { budgetLine: string; changeMinor: number }[], rule: string) => {
        const res = await reallocate(budgetReallocation).expect(422);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 422, rule });
        return res;
      };
      const stream = `grant-${grantId}`;
      const streamBefore = (await streamEvents(t, stream)).length;
      const before = await eventCount(t);

      // No budget agreed yet: there are no lines to move money between.
      await refused([{ budgetLine: 'Hearings', changeMinor: 5_000_000 }, { budgetLine: 'Coord', changeMinor: -5_000_000 }], 'grant.budget.not-agreed');
      await post(manager, `/grants/${grantId}/budget`, {
        lines: [{ budgetLine: 'Community hearings', amountMinor: 3_000_000 }, { budgetLine: 'Legal aid', amountMinor: 1_500_000 }, { budgetLine: 'Coordination', amountMinor: 500_000 }],
      }).expect(200);
      const budgeted = (await streamEvents(t, stream)).length;
      expect(budgeted).toBe(streamBefore + 1);
      const eventsBudgeted = await eventCount(t);

      // Lines the budget does not have (the defect's own request), one unknown among known ones, a different spelling.
      const unknown = await refused([{ budgetLine: 'Hearings', changeMinor: 5_000_000 }, { budgetLine: 'Coord', changeMinor: -5_000_000 }], 'grant.amendment.reallocation-unknown-line');
      expect(unknown.body).toMatchObject({ type: 'https://grant-ledger.dev/problems/domain-rule-violation', title: 'Business rule violated', instance: `/grants/${grantId}/amendments` });
      expect(unknown.body.detail).toContain('"Hearings"');
      await refused([{ budgetLine: 'Legal aid', changeMinor: -100_000 }, { budgetLine: 'Travel', changeMinor: 100_000 }], 'grant.amendment.reallocation-unknown-line');
      await refused([{ budgetLine: 'legal aid', changeMinor: -100_000 }, { budgetLine: 'Coordination', changeMinor: 100_000 }], 'grant.amendment.reallocation-unknown-line');
      // The same line twice (+5 / −5), and a blank name.
      await refused([{ budgetLine: 'Legal aid', changeMinor: 5 }, { budgetLine: 'Legal aid', changeMinor: -5 }], 'grant.amendment.reallocation-invalid');
      await refused([{ budgetLine: '   ', changeMinor: 5 }, { budgetLine: 'Legal aid', changeMinor: -5 }], 'grant.amendment.reallocation-invalid');
      // A line left below zero.
      await refused([{ budgetLine: 'Coordination', changeMinor: -500_005 }, { budgetLine: 'Legal aid', changeMinor: 500_005 }], 'grant.amendment.reallocation-overdraws-line');
      expect((await streamEvents(t, stream)).length).toBe(budgeted);
      expect(await eventCount(t)).toBe(eventsBudgeted);
      expect(eventsBudgeted).toBe(before + 1);

      // Between lines of the budget: recorded, and the budget moves.
      const moved = await reallocate([{ budgetLine: 'Coordination', changeMinor: -500_000 }, { budgetLine: 'Legal aid', changeMinor: 500_000 }]).expect(201);
      const view = await grantAt(grantId, moved.body.version);
      expect(view.budget.lines).toEqual([
        { budgetLine: 'Community hearings', amountMinor: 3_000_000 },
        { budgetLine: 'Legal aid', amountMinor: 2_000_000 },
        { budgetLine: 'Coordination', amountMinor: 0 },
      ]);
    });
  });

  it('suspends, reinstates and terminates a grant; termination cancels unpaid tranches and releases the unspent funds', async () => {
    const { callId, grantId } = await activeGrant(5_000_000);
    const tranche = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_500_000, dueDate: '2027-06-15' }).expect(201);
    await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_500_000, dueDate: '2027-12-15' }).expect(201);
    await post(manager, `/grants/${grantId}/disbursements/${tranche.body.trancheId}/payment`, { paymentReference: 'SEPA-7' }).expect(200);
    const suspended = await post(manager, `/grants/${grantId}/suspension`, { reason: 'Interim report missing' }).expect(200);
    expect((await grantAt(grantId, suspended.body.version)).statusReason).toBe('Interim report missing');
    await post(manager, `/grants/${grantId}/suspension`, { reason: 'Again' }).expect(409);
    await post(manager, `/grants/${grantId}/reinstatement`, { reason: 'Report received' }).expect(200);
    const terminated = await post(manager, `/grants/${grantId}/termination`, { reason: 'Lead organisation dissolved' }).expect(200);
    const view = await grantAt(grantId, terminated.body.version);
    expect(view).toMatchObject({ status: 'terminated', disbursedMinor: 1_500_000, scheduledMinor: 1_500_000, unspentMinor: 3_500_000, statusReason: 'Lead organisation dissolved' });
    expect(view.tranches.map((tr: { status: string }) => tr.status)).toEqual(['paid', 'cancelled']);
    await callCommitted(callId, 1_500_000);
    await post(manager, `/grants/${grantId}/closure`).expect(409);
  });

  it('terminates a grant whose agreement is never signed, releasing its whole amount so the call can be cancelled', async () => {
    const { callId, grantId } = await awardedGrant(5_000_000);
    await callCommitted(callId, 5_000_000);
    await post(manager, `/grants/${grantId}/closure`).expect(409);
    const terminated = await post(manager, `/grants/${grantId}/termination`, { reason: 'The grantee declined to sign the agreement' }).expect(200);
    const view = await grantAt(grantId, terminated.body.version);
    expect(view).toMatchObject({ status: 'terminated', disbursedMinor: 0, unspentMinor: 5_000_000, agreementSignedAt: null, statusReason: 'The grantee declined to sign the agreement' });
    await callCommitted(callId, 0);
    await post(manager, `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(409);
    await post(manager, `/calls/${callId}/cancel`, { reason: 'The only grant was declined' }).expect(200);
  });

  describe('cancelling a tranche', () => {
    it('settles a scheduled tranche without paying it, so the grant can close: unspent = amount - paid', async () => {
      const { callId, grantId } = await activeGrant(5_000_000);
      const final = await post(manager, `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2029-05-31' }).expect(201);
      const advance = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 3_000_000, dueDate: '2027-06-15' }).expect(201);
      const balance = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 2_000_000, dueDate: '2029-06-30' }).expect(201);
      await post(manager, `/grants/${grantId}/disbursements/${advance.body.trancheId}/payment`, { paymentReference: 'SEPA-0100' }).expect(200);
      await post(grantee, `/grants/${grantId}/reports/${final.body.reportId}/submission`, { summary: 'Final report.' }).expect(200);
      await post(manager, `/grants/${grantId}/reports/${final.body.reportId}/acceptance`).expect(200);
      const stuck = await post(manager, `/grants/${grantId}/closure`).expect(422);
      expect(stuck.body.rule).toBe('grant.closure.unpaid-tranches');

      const cancelled = await post(manager, `/grants/${grantId}/disbursements/${balance.body.trancheId}/cancellation`, { reason: 'Last activities dropped' }).expect(200);
      expect(cancelled.body).toEqual({ id: grantId, version: expect.any(Number) });
      const view = await grantAt(grantId, cancelled.body.version);
      expect(view).toMatchObject({ status: 'active', amountMinor: 5_000_000, scheduledMinor: 3_000_000, disbursedMinor: 3_000_000, remainingMinor: 2_000_000 });
      expect(view.tranches[1]).toMatchObject({ trancheId: balance.body.trancheId, status: 'cancelled', cancellationReason: 'Last activities dropped', cancelledAt: expect.any(String) });
      const [event] = await eventsWhere(t, 'DisbursementCancelled', 'grantId', grantId);
      expect(event.data).toMatchObject({ trancheId: balance.body.trancheId, amountMinor: 2_000_000, reason: 'Last activities dropped', cancelledBy: 'alice' });
      expect(event.metadata).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager' });

      const closed = await post(manager, `/grants/${grantId}/closure`).expect(200);
      expect(await grantAt(grantId, closed.body.version)).toMatchObject({ status: 'closed', unspentMinor: 2_000_000 });
      await callCommitted(callId, 3_000_000);
    });

    it('refuses a paid tranche, a cancelled one and an unknown one, appending nothing', async () => {
      const { grantId } = await activeGrant(5_000_000);
      const paid = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_000_000, dueDate: '2027-06-15' }).expect(201);
      const open = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_000_000, dueDate: '2027-12-15' }).expect(201);
      await post(manager, `/grants/${grantId}/disbursements/${paid.body.trancheId}/payment`, { paymentReference: 'SEPA-0200' }).expect(200);
      await post(manager, `/grants/${grantId}/disbursements/${open.body.trancheId}/cancellation`, { reason: 'Dropped' }).expect(200);
      const before = (await streamEvents(t, `grant-${grantId}`)).length;

      const alreadyPaid = await post(manager, `/grants/${grantId}/disbursements/${paid.body.trancheId}/cancellation`, { reason: 'Too late' }).expect(422);
      expect(alreadyPaid.body.rule).toBe('grant.disbursement.already-paid');
      const twice = await post(manager, `/grants/${grantId}/disbursements/${open.body.trancheId}/cancellation`, { reason: 'Again' }).expect(422);
      expect(twice.body.rule).toBe('grant.disbursement.cancelled');
      const unknown = await post(manager, `/grants/${grantId}/disbursements/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11/cancellation`, { reason: 'x' }).expect(422);
      expect(unknown.body.rule).toBe('grant.disbursement.tranche-not-found');
      await post(manager, `/grants/${grantId}/disbursements/${open.body.trancheId}/cancellation`, {}).expect(400);
      await post(manager, `/grants/${grantId}/disbursements/${open.body.trancheId}/payment`, { paymentReference: 'SEPA-0201' }).expect(422);
      // Only the programme cancels tranches.
      await post(grantee, `/grants/${grantId}/disbursements/${paid.body.trancheId}/cancellation`, { reason: 'x' }).expect(403);
      await post(auditor, `/grants/${grantId}/disbursements/${paid.body.trancheId}/cancellation`, { reason: 'x' }).expect(403);
      expect(await streamEvents(t, `grant-${grantId}`)).toHaveLength(before);
    });
  });

  describe('who may do what', () => {
    it('lets auditors read every grant and write nothing', async () => {
      const { grantId } = await awardedGrant();
      await t.http.get(`/grants/${grantId}`).set(as(auditor)).expect(200);
      await t.http.get('/grants').set(as(auditor)).expect(200);
      await post(auditor, `/grants/${grantId}/agreement`, { signatories: [{ name: 'A', role: 'B' }] }).expect(403);
      await post(auditor, `/grants/${grantId}/closure`).expect(403);
    });

    it('lets applicants of the grantee read their grant and submit its reports, and nothing else', async () => {
      const { grantId } = await activeGrant();
      const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-12-31' }).expect(201);
      await grantAt(grantId, report.body.version);
      await t.http.get(`/grants/${grantId}`).set(as(grantee)).expect(200);
      const own = await t.http.get('/grants').set(as(grantee)).expect(200);
      expect(own.body.items.every((g: { granteeOrganisationId: string }) => g.granteeOrganisationId === lead)).toBe(true);
      for (const [path, body] of [
        ['agreement', { signatories: [{ name: 'A', role: 'B' }] }],
        ['disbursements', { amountMinor: 1_000, dueDate: '2027-12-31' }],
        ['reports', { kind: 'final', dueDate: '2029-01-31' }],
        [`reports/${report.body.reportId}/acceptance`, {}],
        ['amendments', { kind: 'no-cost-extension', reason: 'x', newPeriodEnd: '2031-01-01' }],
        ['suspension', { reason: 'x' }],
        ['termination', { reason: 'x' }],
        ['closure', {}],
        [`disbursements/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11/cancellation`, { reason: 'x' }],
      ] as const) {
        await post(grantee, `/grants/${grantId}/${path}`, body).expect(403);
      }

    });

    it('hides a grant from applicants of other organisations: 404 on reading it and on submitting its reports, as for no grant at all', async () => {
      const { grantId } = await activeGrant();
      const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-12-31' }).expect(201);
      await grantAt(grantId, report.body.version);
      const partnerApplicant = await t.token({ role: 'applicant', id: 'partner-user', organisationId: partner });
      const missingGrant = '7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11';
      const before = (await streamEvents(t, `grant-${grantId}`)).length;

      await t.http.get(`/grants/${grantId}`).set(as(partnerApplicant)).expect(404);
      expect((await t.http.get('/grants').set(as(partnerApplicant)).expect(200)).body.items).toEqual([]);
      const submit = (id: string, ifMatch?: string) => {
        const req = t.http.post(`/grants/${id}/reports/${report.body.reportId}/submission`).set(as(partnerApplicant));
        return (ifMatch ? req.set('If-Match', ifMatch) : req).send({ summary: 'Not ours to send' });
      };
      const hidden = await submit(grantId).expect(404);
      const absent = await submit(missingGrant).expect(404);
      expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
      // The same answer as for a grant that does not exist, but for the id in it.
      const sameBut = (body: { detail: string; instance: string }, id: string) => ({ ...body, detail: body.detail.replace(id, '<id>'), instance: body.instance.replace(id, '<id>') });
      expect(sameBut(hidden.body, grantId)).toEqual(sameBut(absent.body, missingGrant));
      // A stale If-Match does not give the grant's version away either.
      const hiddenStale = await submit(grantId, '"0"').expect(404);
      expect(hiddenStale.body).not.toHaveProperty('actualVersion');
      expect(await streamEvents(t, `grant-${grantId}`)).toHaveLength(before);
    });

    it('gives partners and reviewers nothing, and needs a token', async () => {
      const { grantId } = await awardedGrant();
      for (const role of ['partner', 'reviewer'] as const) {
        const token = await t.token({ role });
        await t.http.get('/grants').set(as(token)).expect(403);
        await t.http.get(`/grants/${grantId}`).set(as(token)).expect(403);
        await post(token, `/grants/${grantId}/suspension`, { reason: 'x' }).expect(403);
      }
      await t.http.get('/grants').expect(401);
    });
  });

  it('refuses out-of-range numbers with 400 before they reach the database or a decider, appending nothing', async () => {
    const { grantId } = await activeGrant(5_000_000);
    for (const query of ['offset=99999999999999999999', 'offset=9007199254740992', 'offset=-1', 'offset=1e3', 'limit=0', 'limit=201', 'limit=99999999999999999999']) {
      const res = await t.http.get(`/grants?${query}`).set(as(manager)).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([query.split('=')[0]]);
    }
    const lastPage = await t.http.get(`/grants?offset=${Number.MAX_SAFE_INTEGER}&limit=200`).set(as(manager)).expect(200);
    expect(lastPage.body).toMatchObject({ items: [], offset: Number.MAX_SAFE_INTEGER, limit: 200 });

    const before = await eventCount(t);
    for (const amountMinor of [1e300, Number.MAX_SAFE_INTEGER + 1, 0, -1, 2.5, '100']) {
      const res = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor, dueDate: '2027-06-15' }).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['amountMinor']);
    }
    await post(manager, `/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'x', newAmountMinor: 1e300 }).expect(400);
    await post(manager, `/grants/${grantId}/amendments`, {
      kind: 'budget-reallocation',
      reason: 'x',
      budgetReallocation: [{ budgetLine: 'Travel', changeMinor: -1e300 }, { budgetLine: 'Hearings', changeMinor: 1e300 }],
    }).expect(400);
    expect(await eventCount(t)).toBe(before);
  });

  it('refuses a due date outside the grant\'s window and an extension past ten years with 422, appending nothing', async () => {
    const { grantId, grant } = await activeGrant(5_000_000);
    const before = await eventCount(t);
    const tranche = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_000_000, dueDate: '1999-06-15' }).expect(422);
    expect(tranche.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(tranche.body).toMatchObject({ rule: 'grant.date.outside-grant-window', detail: expect.stringContaining('dueDate 1999-06-15 is outside the grant\'s window') });
    const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2099-12-31' }).expect(422);
    expect(report.body.rule).toBe('grant.date.outside-grant-window');
    const extension = await post(manager, `/grants/${grantId}/amendments`, { kind: 'no-cost-extension', reason: 'Typed a year too far', newPeriodEnd: '9999-12-31' }).expect(422);
    expect(extension.body).toMatchObject({ rule: 'grant.amendment.extension-too-long', detail: expect.stringContaining(`from ${grant.periodStart}`) });
    expect(await eventCount(t)).toBe(before);
  });

  it('answers an unknown grant with 404, bad input with 400, and a stale If-Match with 409', async () => {
    await post(manager, '/grants/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11/suspension', { reason: 'x' }).expect(404);
    await t.http.get('/grants/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11').set(as(manager)).expect(404);
    await t.http.get('/grants/not-a-uuid').set(as(manager)).expect(400);
    const { grantId } = await awardedGrant();
    const bad = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 10.5, dueDate: '31/12/2027' }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['amountMinor', 'dueDate']);
    await post(manager, `/grants/${grantId}/agreement`, { signatories: [] }).expect(400);
    const stale = await t.http.post(`/grants/${grantId}/reports`).set(as(manager)).set('If-Match', '"5"').send({ kind: 'interim', dueDate: '2027-12-31' }).expect(409);
    expect(stale.body).toMatchObject({ actualVersion: 0 });
    await t.http.post(`/grants/${grantId}/amendments`).set(as(manager)).set('If-Match', '"5"').send({ kind: 'amount-change', reason: 'x', newAmountMinor: 6_000_000 }).expect(409);
  });

  it('documents every grant route in OpenAPI, with working examples for amendments', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    const paths = Object.keys(res.body.paths).filter((p) => p.startsWith('/grants'));
    expect(paths.sort()).toEqual([
      '/grants',
      '/grants/{id}',
      '/grants/{id}/agreement',
      '/grants/{id}/amendments',
      '/grants/{id}/budget',
      '/grants/{id}/closure',
      '/grants/{id}/disbursements',
      '/grants/{id}/disbursements/{trancheId}/cancellation',
      '/grants/{id}/disbursements/{trancheId}/payment',
      '/grants/{id}/documents',
      '/grants/{id}/documents/{documentId}',
      '/grants/{id}/recovery',
      '/grants/{id}/reinstatement',
      '/grants/{id}/reports',
      '/grants/{id}/reports/{reportId}/acceptance',
      '/grants/{id}/reports/{reportId}/financial-submission',
      '/grants/{id}/reports/{reportId}/revision-request',
      '/grants/{id}/reports/{reportId}/submission',
      '/grants/{id}/reports/{reportId}/waiver',
      '/grants/{id}/suspension',
      '/grants/{id}/termination',
    ]);
    const examples = res.body.paths['/grants/{id}/amendments'].post.requestBody.content['application/json'].examples;
    expect(Object.keys(examples)).toEqual(['no-cost-extension', 'amount-change', 'budget-reallocation']);

    // The examples work as they are: one extension on a fresh grant.
    const { grantId, grant } = await activeGrant();
    await post(manager, `/grants/${grantId}/amendments`, examples['no-cost-extension'].value).expect(201);
    const cancellation = res.body.components.schemas.CancelDisbursementDto.properties.reason.example;
    expect(cancellation).toEqual(expect.any(String));
    // The tranche's example is due 30 days from today, for a grant awarded today. This world's
    // clock is fixed, so here it is due 30 days after this grant's award: the same example.
    const disbursement = res.body.paths['/grants/{id}/disbursements'].post.requestBody.content['application/json'].examples.unconditional.value;
    const inDays = (from: string, days: number) => new Date(Date.parse(`${from.slice(0, 10)}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    expect(disbursement.dueDate).toBe(inDays(new Date().toISOString(), 30));
    const tranche = await post(manager, `/grants/${grantId}/disbursements`, { ...disbursement, dueDate: inDays(grant.awardedAt, 30) }).expect(201);
    await post(manager, `/grants/${grantId}/disbursements/${tranche.body.trancheId}/cancellation`, { reason: cancellation }).expect(200);
    const agreement = res.body.components.schemas.SignAgreementDto.properties.signatories.example;
    const { grantId: other } = await awardedGrant();
    await post(manager, `/grants/${other}/agreement`, { signatories: agreement }).expect(200);
  });
});
