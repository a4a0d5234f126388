/**
 * Managing a grant in a real browser. On the board: a problem of the last call does not stay once
 * another is picked, a proposal card says a reviewer recused and one is needed, the action panel
 * shows the consensus and decision recorded (after a 409 too: what the other manager recorded).
 * Then the grant panel (#/portfolio/<grantId>): a grant manager signs the agreement, schedules a
 * tranche (first refused 422: due outside the grant's window; then 409: another manager changed
 * the grant meanwhile), pays it, schedules a report and accepts it once submitted, each result
 * shown without a reload; an auditor sees the same grant with no action offered.
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
    expect(await actions.allTextContents()).toEqual(['Sign the agreement', 'Schedule a report', 'Amend the grant', 'Terminate the grant']);
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
      'Schedule a tranche', 'Schedule a report', 'Amend the grant', 'Suspend the grant', 'Terminate the grant', 'Close the grant',
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
    await expectText(tranche.getByTestId('problem'), /The server answered 422.*Due dates fall from 1 Feb 2027 .* to a year after the period ends.*grant\.date\.outside-grant-window/);
    expect((await grantNow()).tranches).toEqual([]);
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

  it('ran without a policy violation or a script error', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
