/**
 * Managing a grant in a real browser. On the board: a problem of the last call does not stay once
 * another is picked, a proposal card says a reviewer recused and one is needed, the action panel
 * shows the consensus and decision recorded (after a 409 too: what the other manager recorded).
 * Then the grant panel (#/portfolio/<grantId>): a grant manager signs the agreement, schedules a
 * tranche (first refused 422: due outside the grant's window; then 409: another manager changed
 * the grant meanwhile), pays it, schedules a report and accepts it once submitted, agrees the
 * budget and reallocates between its lines (a negative change typed as such), each result shown
 * without a reload; a change another manager makes shows by itself (and waits while a form is
 * open); an auditor sees the same grant with no action offered. Then the finances' end: a final
 * financial report settles the grant and its repayment is recorded; closing and terminating ask for
 * a confirmation first; a terminated grant shows what was given back, not what "remains", and
 * French statuses agree with what has them. A mistyped grant address says so.
 */
import type { Browser, Page } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, MANAGER, REVIEWER, reviewAndAgree, screenAndAssign, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectShown, expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

interface GrantBody {
  id: string;
  status: string;
  version: number;
  agreementSignedAt: string | null;
  scheduledMinor: number;
  disbursedMinor: number;
  remainingMinor: number;
  periodEnd: string;
  budget: { lines: { budgetLine: string; amountMinor: number }[]; transferShareBasisPoints: number } | null;
  recovery: { recoveryMinor: number; recovered: boolean } | null;
  tranches: { trancheId: string; amountMinor: number; dueDate: string; status: string; paymentReference: string | null }[];
  reports: { reportId: string; kind: string; dueDate: string; status: string }[];
}

const OTHER_MANAGER = { id: 'gm-karim', role: 'grant-manager' } as const;

describe('console in a browser: managing a grant', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let callId: string;
  let housingId: string;
  let grantId: string;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { housing: 'Housing rights for minorities in informal settlements', representation: 'Representation of religious minorities in local councils' });
    callId = seeded.callId;
    housingId = seeded.proposals.housing;
    await reviewAndAgree(world, housingId);
    // The only reviewer of the other proposal declares a conflict: it needs another reviewer.
    await screenAndAssign(world, seeded.proposals.representation);
    await world.call(REVIEWER, 'POST', `/proposals/${seeded.proposals.representation}/conflicts`, { description: 'I advised the lead organisation in 2025' });
    await world.until<{ reviewersRecused: number }>(MANAGER, `/proposals/${seeded.proposals.representation}`, (p) => p.reviewersRecused === 1);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const column = (status: string) => page.locator(`[data-column="${status}"]`);
  const form = (name: string | RegExp) => page.getByRole('form', { name });
  const fact = (field: string) => page.locator(`[data-testid="grant-facts"] [data-field="${field}"] dd`);
  const grantNow = () => world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`);

  it('clears the last call’s problem once another call is picked', async () => {
    await signIn(page, world.baseUrl, await world.token(MANAGER));
    await page.locator('#call-select').waitFor();
    await page.evaluate(() => (location.hash = '#/board/not-a-uuid'));
    await expectText(page.locator('section[aria-labelledby="board-title"] > .problem'), /The server answered 400/);
    await page.getByLabel('Call', { exact: true }).selectOption(callId);
    await expectText(column('under-review'), /Housing rights/);
    expect(await page.locator('section[aria-labelledby="board-title"] > .problem').count()).toBe(0);
  });

  it('says on a card how many reviewers are assigned and recused, and that one is needed', async () => {
    const card = column('under-review').locator('li', { hasText: 'Representation of religious minorities' });
    await expectText(card, /Reviewers 1 \(1 recused\) · needs a reviewer/);
    const housing = column('under-review').locator('li', { hasText: 'Housing rights' });
    await expectText(housing, /Reviewers 1/);
    expect(await housing.getByTestId('needs-reviewer').count()).toBe(0);
  });

  it('shows the consensus recorded, and after a 409 what the other manager recorded, then awards', async () => {
    await column('under-review').getByRole('link', { name: /Housing rights/ }).click();
    await expectText(page.getByTestId('recorded-so-far'), /^Consensus recorded: 76 · no decision recorded yet$/);
    // Meanwhile another manager records a new consensus: the board's copy is one version behind.
    await world.call(OTHER_MANAGER, 'POST', `/proposals/${housingId}/consensus`, { score: 81.5, summary: 'Panel met again' });
    await world.until<{ consensusScore: number }>(MANAGER, `/proposals/${housingId}`, (p) => p.consensusScore === 81.5);
    const decision = form('Record the funding decision');
    await decision.getByLabel('Decision *').selectOption({ label: 'Award' });
    await decision.getByLabel('Amount (EUR)').fill('60,000');
    await decision.getByLabel('Reasons *').fill('Strong network, clear advocacy targets');
    await decision.getByLabel('Committee *').fill('Grants committee, session 1');
    await decision.getByRole('button', { name: 'Submit' }).click();
    await expectText(decision.getByTestId('problem'), /The server answered 409/);
    // The panel now says what the other manager recorded, before the second submit.
    await expectText(page.getByTestId('recorded-so-far'), /^Consensus recorded: 81\.5 · no decision recorded yet$/);
    await decision.getByRole('button', { name: 'Submit' }).click();
    await expectText(column('awarded'), /Housing rights/);
    await expectText(page.getByTestId('recorded-so-far'), /^Consensus recorded: 81\.5 · Decision: award of €60,000\.00 \(1 Feb 2027\)$/);
    const { award } = await world.call<{ award: { grantId: string; status: string } }>(MANAGER, 'GET', `/proposals/${housingId}`);
    expect(award.status).toBe('awarded');
    grantId = award.grantId;
  });

  it('opens the awarded proposal’s grant from the board: its state, and only the actions its status allows', async () => {
    await page.getByTestId('manage-grant').click();
    expect(await page.evaluate(() => location.hash)).toBe(`#/portfolio/${grantId}`);
    await expectText(page.locator('#grant-title'), /Grant “Housing rights for minorities in informal settlements”/);
    await expectText(page.getByTestId('grant-status'), /^awarded$/);
    await expectText(fact('awardedAmount'), /^€60,000\.00$/);
    await expectText(fact('scheduled'), /^€0\.00$/);
    await expectText(fact('paid'), /^€0\.00$/);
    await expectText(fact('remaining'), /^€60,000\.00$/);
    await expectText(fact('agreement'), /not signed yet/);
    await expectShown(page.getByTestId('tranches'), /Nothing here yet/);
    const actions = page.locator('.action-list button');
    expect(await actions.allTextContents()).toEqual(['Sign the agreement', 'Schedule a report', 'Amend the grant', 'Terminate the grant', 'Agree the budget']);
    await expectShown(page.getByTestId('budget'), /No budget agreed yet/);
  });

  it('signs the agreement: the grant shows it active, signed, without a reload', async () => {
    await page.getByRole('button', { name: 'Sign the agreement' }).click();
    const agreement = form('Sign the agreement');
    await agreement.getByLabel('Signatories 1: Name *', { exact: true }).fill('Rania Haddad');
    await agreement.getByLabel('Signatories 1: Role *', { exact: true }).fill('Director, lead organisation');
    await agreement.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Sign the agreement/);
    await expectText(page.getByTestId('grant-status'), /^active$/);
    await expectText(fact('agreement'), /signed 1 Feb 2027/);
    expect(await page.locator('.action-list button').allTextContents()).toEqual([
      'Schedule a tranche', 'Schedule a report', 'Amend the grant', 'Suspend the grant', 'Terminate the grant', 'Close the grant', 'Agree the budget',
    ]);
    const grant = await grantNow();
    expect(grant.status).toBe('active');
    expect(grant.agreementSignedAt).not.toBeNull();
  });

  it('schedules a tranche: a date outside the grant’s window is refused 422 and said; a 409 reloads the grant; then it is scheduled', async () => {
    await page.getByRole('button', { name: 'Schedule a tranche' }).click();
    const tranche = form('Schedule a tranche');
    // Typed in euros, sent as cents.
    await tranche.getByLabel('Amount (EUR) *').fill('20,000');
    await tranche.getByLabel('Due date *').fill('2026-01-15');
    await tranche.getByRole('button', { name: 'Submit' }).click();
    // The window's last day, a year after the period ends, is named (not the period's end).
    const { periodEnd, tranches } = await grantNow();
    const lastDay = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${Number(periodEnd.slice(0, 4)) + 1}${periodEnd.slice(4)}T00:00:00Z`));
    await expectText(tranche.getByTestId('problem'), new RegExp(`The server answered 422.*Due dates fall from 1 Feb 2027 .* to ${lastDay} \\(a year after the period ends\\).*grant\\.date\\.outside-grant-window`));
    expect(tranches).toEqual([]);
    await screenshot(page, 'grant-management-422');

    // Meanwhile another manager schedules a report: the panel's grant is one version behind.
    const before = (await grantNow()).version;
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/reports`, { kind: 'financial', dueDate: '2027-12-15' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.version > before);
    await tranche.getByLabel('Due date *').fill('2027-03-01');
    await tranche.getByRole('button', { name: 'Submit' }).click();
    await expectText(tranche.getByTestId('problem'), /The server answered 409/);
    // The grant as it now is: the other manager's report shows, and nothing was scheduled.
    await expectShown(page.getByTestId('reports'), /financial.*15 Dec 2027.*scheduled/);
    expect((await grantNow()).tranches).toEqual([]);

    await tranche.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Schedule a tranche/);
    await expectShown(page.getByTestId('tranches').locator('tbody tr').first(), /€20,000\.00 1 Mar 2027 scheduled/);
    await expectText(fact('scheduled'), /^€20,000\.00$/);
    await expectText(fact('paid'), /^€0\.00$/);
    const grant = await grantNow();
    expect(grant.tranches).toEqual([expect.objectContaining({ amountMinor: 2_000_000, dueDate: '2027-03-01', status: 'scheduled' })]);
  });

  it('pays the tranche from its row: paid, with its reference; the amounts move', async () => {
    const row = page.getByTestId('tranches').locator('tbody tr').first();
    await row.getByRole('button', { name: /Record the payment/ }).click();
    const payment = form(/Record the payment: €20,000\.00 due 1 Mar 2027/);
    await payment.getByLabel('Payment reference *').fill('SEPA-2027-000123');
    await payment.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Record the payment: €20,000\.00 due 1 Mar 2027/);
    await expectShown(row, /€20,000\.00 1 Mar 2027 paid paid .* reference SEPA-2027-000123/);
    await expectText(fact('paid'), /^€20,000\.00$/);
    await expectText(fact('remaining'), /^€40,000\.00$/);
    expect(await row.getByRole('button').count()).toBe(0);
    const grant = await grantNow();
    expect(grant).toMatchObject({ disbursedMinor: 2_000_000, remainingMinor: 4_000_000 });
    expect(grant.tranches[0]).toMatchObject({ status: 'paid', paymentReference: 'SEPA-2027-000123' });
  });

  it('a tranche paid by another manager while its payment form is open: the form goes, the conflict is said over the grant as it now stands', async () => {
    const { version } = await grantNow();
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/disbursements`, { amountMinor: 500_000, dueDate: '2027-04-01' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.version > version);
    await page.reload();
    const row = page.getByTestId('tranches').locator('tbody tr').nth(1);
    await expectShown(row, /€5,000\.00 1 Apr 2027 scheduled/);
    await row.getByRole('button', { name: /Record the payment/ }).click();
    const payment = form(/Record the payment: €5,000\.00 due 1 Apr 2027/);
    await payment.getByLabel('Payment reference *').fill('SEPA-MINE');
    const trancheId = (await grantNow()).tranches[1].trancheId;
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/disbursements/${trancheId}/payment`, { paymentReference: 'SEPA-THEIRS' });
    await payment.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.locator('[data-testid="grant"] > .problem'), /The server answered 409/);
    expect(await form(/Record the payment/).count()).toBe(0);
    await expectShown(row, /€5,000\.00 1 Apr 2027 paid .* reference SEPA-THEIRS/);
    expect((await grantNow()).tranches[1]).toMatchObject({ status: 'paid', paymentReference: 'SEPA-THEIRS' });
  });

  it('schedules a report: it shows with its kind, due date and status, and as the next report due', async () => {
    await page.getByRole('button', { name: 'Schedule a report' }).click();
    const report = form('Schedule a report');
    await report.getByLabel('Kind *').selectOption({ label: 'Interim' });
    await report.getByLabel('Due date *').fill('2027-08-01');
    await report.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Schedule a report/);
    await expectShown(page.getByTestId('reports'), /interim 1 Aug 2027 scheduled/);
    await expectText(fact('nextReport'), /^1 Aug 2027$/);
    const grant = await grantNow();
    expect(grant.reports).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'interim', dueDate: '2027-08-01', status: 'scheduled' })]));
    await screenshot(page, 'grant-management-panel');
  });

  it('accepts a submitted report from its row', async () => {
    const interim = (await grantNow()).reports.find((r) => r.kind === 'interim');
    if (!interim) throw new Error('no interim report');
    // The grantee submits it (here the programme on its behalf); the panel shows it once reloaded.
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${interim.reportId}/submission`, { summary: 'Six community hearings held' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.reportId === interim.reportId && r.status === 'submitted'));
    await page.reload();
    const row = page.locator(`[data-report="${interim.reportId}"]`);
    await expectShown(row, /interim 1 Aug 2027 submitted/);
    await row.getByRole('button', { name: /Accept the report/ }).click();
    await form(/Accept the report: interim report due 1 Aug 2027/).getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Accept the report: interim report due 1 Aug 2027/);
    await expectShown(row, /interim 1 Aug 2027 accepted .*accepted 1 Feb 2027/);
    expect((await grantNow()).reports.find((r) => r.reportId === interim.reportId)?.status).toBe('accepted');
  });

  it('agrees the budget: its lines show, with the share a line may take from the others', async () => {
    await page.getByRole('button', { name: 'Agree the budget' }).click();
    const budget = form('Agree the budget');
    await budget.getByLabel('Budget lines 1: Budget line *', { exact: true }).fill('Community hearings');
    await budget.getByLabel('Budget lines 1: Amount (EUR) *', { exact: true }).fill('40,000');
    await budget.getByRole('button', { name: 'Add' }).click();
    await budget.getByLabel('Budget lines 2: Budget line *', { exact: true }).fill('Legal aid');
    await budget.getByLabel('Budget lines 2: Amount (EUR) *', { exact: true }).fill('20,000');
    await budget.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Agree the budget/);
    await expectShown(page.getByTestId('budget'), /Community hearings €40,000\.00 Legal aid €20,000\.00 .*up to 10% of the line/);
    expect(await page.locator('.action-list button').allTextContents()).not.toContain('Agree the budget');
    expect((await grantNow()).budget?.lines).toEqual([
      { budgetLine: 'Community hearings', amountMinor: 4_000_000 },
      { budgetLine: 'Legal aid', amountMinor: 2_000_000 },
    ]);
  });

  it('reallocates between the lines, money taken typed with a minus; changes that do not add up to zero are explained', async () => {
    await page.getByRole('button', { name: 'Amend the grant' }).click();
    const amend = form('Amend the grant');
    await amend.getByLabel('Kind *').selectOption({ label: 'Budget reallocation' });
    await amend.getByLabel('Reason *').fill('Hearings moved online');
    const lines = amend.locator('fieldset').filter({ has: page.locator('legend', { hasText: /^Budget reallocation$/ }) });
    await lines.getByRole('button', { name: 'Add' }).click();
    await lines.getByRole('button', { name: 'Add' }).click();
    await amend.getByLabel('Budget reallocation 1: Budget line *', { exact: true }).fill('Community hearings');
    await amend.getByLabel('Budget reallocation 1: Change (EUR) *', { exact: true }).fill('-1,500');
    await amend.getByLabel('Budget reallocation 2: Budget line *', { exact: true }).fill('Legal aid');
    await amend.getByLabel('Budget reallocation 2: Change (EUR) *', { exact: true }).fill('1,000');
    await amend.getByRole('button', { name: 'Submit' }).click();
    await expectText(amend.getByTestId('problem'), /The server answered 422.*its changes add up to zero.*grant\.amendment\.reallocation-changes-amount/);
    expect((await grantNow()).budget?.lines[0].amountMinor).toBe(4_000_000);

    await amend.getByLabel('Budget reallocation 2: Change (EUR) *', { exact: true }).fill('+1,500');
    await amend.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Amend the grant/);
    await expectShown(page.getByTestId('budget'), /Community hearings €38,500\.00 Legal aid €21,500\.00/);
    await expectShown(page.getByTestId('amendments'), /budget reallocation Community hearings: -€1,500\.00 Legal aid: \+€1,500\.00 Hearings moved online/);
    expect((await grantNow()).budget?.lines).toEqual([
      { budgetLine: 'Community hearings', amountMinor: 3_850_000 },
      { budgetLine: 'Legal aid', amountMinor: 2_150_000 },
    ]);
  });

  it('shows a change another manager made without a reload; while a form is open, the change waits for the reader', async () => {
    // No form open: the panel reads the grant again by itself (every 10 s).
    let { version } = await grantNow();
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-10-01' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.version > version);
    // The panel's timer fires every 10 s: wait up to two of its rounds.
    await expectText(page.getByTestId('grant-changed'), /Someone else changed this grant: it is shown as it is now/, 20_000);
    await expectShown(page.getByTestId('reports'), /interim 1 Oct 2027 scheduled/);

    // A form open: the reader's form stays, and the newer grant is offered.
    await page.getByRole('button', { name: 'Schedule a tranche' }).click();
    await form('Schedule a tranche').getByLabel('Amount (EUR) *').fill('1,000');
    ({ version } = await grantNow());
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-11-01' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.version > version);
    // Coming back to the tab reads it at once.
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await expectText(page.getByTestId('grant-changed'), /while your form was open: sending it now would be refused as a conflict/);
    expect(await page.getByTestId('reports').textContent()).not.toContain('1 Nov 2027');
    expect(await form('Schedule a tranche').getByLabel('Amount (EUR) *').inputValue()).toBe('1,000');
    await page.getByRole('button', { name: 'Show the grant as it is now' }).click();
    await expectShown(page.getByTestId('reports'), /interim 1 Nov 2027 scheduled/);
    expect(await form('Schedule a tranche').count()).toBe(0);
  }, 30_000);

  it('labels every control of the panel, and reads right to left in Arabic', async () => {
    await page.getByRole('button', { name: 'Schedule a tranche' }).click();
    await form('Schedule a tranche').waitFor();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('main input, main select, main textarea, main button')]
        .filter((element) => {
          const control = element as HTMLInputElement;
          const name = (control.labels?.length ? [...control.labels].map((label) => label.textContent).join(' ') : '') || control.getAttribute('aria-label') || (element.tagName === 'BUTTON' ? element.textContent : '');
          return !name?.trim();
        })
        .map((element) => element.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
    await page.getByLabel('Language').selectOption('ar');
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await expectText(page.locator('#grant-title'), /^المنحة «Housing rights/);
    await expectShown(page.getByTestId('tranches').locator('caption'), /^دفعات الصرف$/);
    await form('جدولة دفعة').getByLabel('تاريخ الاستحقاق *').waitFor();
    await page.getByLabel('اللغة').selectOption('en');
  });

  it('shows an auditor the grant from the portfolio, read only', async () => {
    const auditor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const auditorProblems = watchConsole(auditor);
    await signIn(auditor, world.baseUrl, await world.token(AUDITOR));
    await auditor.getByRole('link', { name: 'Grant portfolio' }).click();
    await auditor.getByRole('link', { name: 'Housing rights for minorities in informal settlements' }).click();
    expect(await auditor.evaluate(() => location.hash)).toBe(`#/portfolio/${grantId}`);
    await expectText(auditor.getByTestId('grant-status'), /^active$/);
    await expectText(auditor.locator('[data-testid="grant-facts"] [data-field="paid"] dd'), /^€25,000\.00$/);
    await expectShown(auditor.getByTestId('tranches'), /€20,000\.00 1 Mar 2027 paid/);
    await expectShown(auditor.getByTestId('reports'), /interim 1 Aug 2027 accepted/);
    await expectText(auditor.getByTestId('read-only'), /Read only/);
    expect(await auditor.locator('main button').count()).toBe(0);
    expect(await auditor.locator('main form').count()).toBe(0);
    await auditor.close();
    expect(auditorProblems.filter((p) => /Content Security Policy|Refused to|Uncaught|403/i.test(p))).toEqual([]);
  });

  it('the final financial report settles the grant: the tranche still scheduled is cancelled, the unspent advance owed until its repayment is recorded', async () => {
    let { version } = await grantNow();
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/disbursements`, { amountMinor: 100_000, dueDate: '2027-09-01' });
    ({ version } = await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.version > version));
    // The grantee reports €20,000 spent of the €25,000 paid (here the programme on its behalf).
    await world.call(OTHER_MANAGER, 'POST', `/grants/${grantId}/reports`, { kind: 'financial', dueDate: '2027-12-31' });
    const financial = await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.version > version && g.reports.some((r) => r.dueDate === '2027-12-31'));
    const reportId = financial.reports.find((r) => r.dueDate === '2027-12-31')!.reportId;
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reportId}/financial-submission`, {
      final: true,
      expenditure: [
        { budgetLine: 'Community hearings', spentMinor: 1_500_000 },
        { budgetLine: 'Legal aid', spentMinor: 500_000 },
      ],
    });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.reportId === reportId && r.status === 'submitted'));
    await page.reload();
    const row = page.locator(`[data-report="${reportId}"]`);
    await row.getByRole('button', { name: /Accept the report/ }).click();
    await form(/Accept the report: financial report due 31 Dec 2027/).getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Accept the report/);
    await expectText(fact('recovery'), /^€5,000\.00, not repaid yet$/);
    await expectShown(page.getByTestId('tranches'), /€1,000\.00 1 Sept? 2027 cancelled/);
    // Settled: no other tranche is offered (the server refuses one); no final payment is owed, so a termination still is.
    const offered = await page.locator('.action-list button').allTextContents();
    expect(offered).not.toContain('Schedule a tranche');
    expect(offered).toContain('Terminate the grant');

    ({ version } = await grantNow());
    await page.getByRole('button', { name: 'Record the repayment' }).click();
    const repayment = form('Record the repayment');
    await repayment.getByLabel('Repayment reference *').fill('SEPA-RETURN-2028-0001');
    await repayment.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Record the repayment/);
    await expectText(fact('recovery'), /^€5,000\.00, repaid$/);
    expect(await page.locator('.action-list button').allTextContents()).not.toContain('Record the repayment');
    const grant = await grantNow();
    expect(grant.version).toBeGreaterThan(version);
    expect(grant.recovery).toEqual({ recoveryMinor: 500_000, recovered: true });
  });

  it('closing and terminating ask for a confirmation; a terminated grant shows what was given back, in French too', async () => {
    // Closing: confirmed, then refused 422 (no final report), said in words.
    await page.getByRole('button', { name: 'Close the grant' }).click();
    const closing = form('Close the grant');
    await closing.getByRole('button', { name: 'Submit' }).click();
    await expectText(closing.getByTestId('confirm'), /Closing cannot be undone/);
    await closing.getByRole('button', { name: 'Close the grant: confirm' }).click();
    await expectText(closing.getByTestId('problem'), /The server answered 422.*A grant closes once a final report is scheduled and every final report is accepted.*grant\.closure\.final-report-not-accepted/);

    // Terminating: "Not now" sends nothing; confirmed, it is recorded.
    const before = await grantNow();
    await page.getByRole('button', { name: 'Terminate the grant' }).click();
    const termination = form('Terminate the grant');
    // The form knows the reason's limit from the OpenAPI document: nothing longer can be typed, so nothing is confirmed and then refused.
    expect(await termination.getByLabel('Reason *').getAttribute('maxlength')).toBe('2000');
    await termination.getByLabel('Reason *').fill('The network dissolved');
    await termination.getByRole('button', { name: 'Submit' }).click();
    await expectText(termination.getByTestId('confirm'), /Terminating cannot be undone: no tranche is paid after it/);
    await termination.getByRole('button', { name: 'Not now' }).click();
    expect(await termination.getByTestId('confirm').count()).toBe(0);
    expect((await grantNow()).version).toBe(before.version);
    await termination.getByRole('button', { name: 'Submit' }).click();
    await termination.getByRole('button', { name: 'Terminate the grant: confirm' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Recorded: Terminate the grant/);
    await expectText(page.getByTestId('grant-status'), /^terminated$/);
    // The amount less what was paid net of the repayment: 60,000 − (25,000 − 5,000).
    await expectText(fact('unspent'), /^€40,000\.00$/);
    expect(await fact('remaining').count()).toBe(0);
    expect((await grantNow()).status).toBe('terminated');

    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByTestId('grant-status'), /^résiliée$/);
    await expectShown(page.getByTestId('tranches'), /1 000,00 €.*annulée/);
    await expectShown(page.getByTestId('tranches'), /20 000,00 €.*versée/);
    await page.getByLabel('Langue').selectOption('en');
  });

  it('a mistyped grant address says no grant has it, and asks the API nothing', async () => {
    const asked: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('not-a-grant')) asked.push(request.url());
    });
    await page.evaluate(() => {
      location.hash = '#/portfolio/not-a-grant';
    });
    await expectText(page.getByTestId('grant-not-found'), /No grant has this address/);
    expect(asked).toEqual([]);
    await page.evaluate((id) => {
      location.hash = `#/portfolio/${id}`;
    }, '00000000-0000-4000-8000-000000000000');
    await expectText(page.getByTestId('grant-not-found'), /No grant has this address/);
  });

  it('ran without a policy violation or a script error', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
