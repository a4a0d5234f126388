/**
 * What the API gained on 2026-12-07 and the console now shows, each met through the real API
 * (seeded over HTTP as the other specs are): a report waived from the grant panel with its reason
 * (offered only on a report the grantee still owes, confirmed, and seen by an auditor too), and the
 * waiver's refusals explained; a reviewer recused by the staff from the board, shown so there and
 * in the auditor's decision dossier (`by`, `recusedBy`); an amount increase above the call's maximum
 * award, the maximum said beside the field and the refusal explained; the call's ceiling per
 * recipient beside its budget, with where it comes from. Read in English, French and Arabic.
 */
import type { Actor } from '@app/platform';
import type { Browser, Page, Route } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, ELIGIBLE, MANAGER, REVIEW, REVIEWER, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectShown, expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

const SECOND_REVIEWER: Actor = { id: 'reviewer-nadia', role: 'reviewer' };

interface ProposalBody {
  status: string;
  reviewers?: { assigned: string[]; recused: string[] };
  award?: { status: string; grantId: string };
}

interface GrantBody {
  status: string;
  version: number;
  amountMinor: number;
  reports: { reportId: string; kind: string; dueDate: string; status: string; waiver?: { reason: string; waivedAt: string } | null }[];
  tranches: { trancheId: string; status: string }[];
}

describe('console in a browser: report waivers, staff recusals, the call’s maximum award and ceiling per recipient', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let auditor: Page;
  let problems: string[];
  let auditorProblems: string[];
  let callId: string;
  let usdCallId: string;
  let proposalId: string;
  let grantId: string;
  /** Report ids by due date. */
  const reports: Record<string, string> = {};

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { granted: 'Housing rights for minorities in informal settlements' });
    callId = seeded.callId;
    proposalId = seeded.proposals.granted;
    usdCallId = (await seedSubmittedProposals(world, { usd: 'Archive of minority languages' }, { currency: 'USD', callTitle: 'A call in dollars' })).callId;

    // Two reviewers: reviewer-nadia declares a conflict (recused by herself), reviewer-amal reviews; then the award.
    await world.call(MANAGER, 'POST', `/proposals/${proposalId}/eligibility`, ELIGIBLE);
    await world.call(MANAGER, 'POST', `/proposals/${proposalId}/reviewers`, { reviewerId: REVIEWER.id });
    await world.call(MANAGER, 'POST', `/proposals/${proposalId}/reviewers`, { reviewerId: SECOND_REVIEWER.id });
    await world.until<ProposalBody>(MANAGER, `/proposals/${proposalId}`, (p) => p.reviewers?.assigned.length === 2);
    await world.call(SECOND_REVIEWER, 'POST', `/proposals/${proposalId}/conflicts`, { description: 'My cousin chairs the lead organisation' });
    await world.call(REVIEWER, 'POST', `/proposals/${proposalId}/reviews`, REVIEW);
    await world.call(MANAGER, 'POST', `/proposals/${proposalId}/consensus`, { score: 76, summary: 'Panel agrees' });
    await world.until<{ consensusScore: number | null }>(MANAGER, `/proposals/${proposalId}`, (p) => p.consensusScore === 76);
    await world.call(MANAGER, 'POST', `/proposals/${proposalId}/decision`, { decision: 'award', amountMinor: 6_000_000, reasons: 'Strong network, clear targets', committee: 'Grants committee, session 1' });
    const awarded = await world.until<ProposalBody>(MANAGER, `/proposals/${proposalId}`, (p) => p.status === 'awarded' && p.award?.status === 'awarded');
    grantId = awarded.award!.grantId;

    // An active grant with three interim reports owed, a tranche payable once the first is accepted, and a final report submitted.
    await world.call(MANAGER, 'POST', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.status === 'active');
    for (const [kind, dueDate] of [['interim', '2027-05-01'], ['interim', '2027-06-01'], ['interim', '2027-07-01'], ['final', '2027-09-01']]) {
      await world.call(MANAGER, 'POST', `/grants/${grantId}/reports`, { kind, dueDate });
      const grant = await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.dueDate === dueDate));
      reports[dueDate] = grant.reports.find((r) => r.dueDate === dueDate)!.reportId;
    }
    await world.call(MANAGER, 'POST', `/grants/${grantId}/disbursements`, { amountMinor: 1_000_000, dueDate: '2027-06-15', conditionReportId: reports['2027-05-01'] });
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reports['2027-09-01']}/submission`, { summary: 'Hearings held; the policy brief was sent to parliament' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.tranches.length === 1 && g.reports.some((r) => r.status === 'submitted'));

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await signIn(page, world.baseUrl, await world.token(MANAGER));
    await page.locator('#call-select').waitFor();
    auditor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    auditor.setDefaultTimeout(10_000);
    auditorProblems = watchConsole(auditor);
    await signIn(auditor, world.baseUrl, await world.token(AUDITOR));
    await auditor.getByRole('link', { name: 'Grant portfolio' }).waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const language = (code: string) => page.getByRole('combobox', { name: /Language|Langue|اللغة/ }).selectOption(code);
  const go = (target: Page, hash: string) => target.evaluate((h) => (location.hash = h), hash);
  const form = (name: string | RegExp) => page.getByRole('form', { name });
  const reportRow = (target: Page, dueDate: string) => target.locator(`[data-report="${reports[dueDate]}"]`);
  const grantNow = () => world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`);
  const focusedTestId = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));

  it('offers a waiver only on a report the grantee still owes, waives one with its reason after confirming, and shows it waived with its reason and time', async () => {
    await go(page, `#/portfolio/${grantId}`);
    await page.getByTestId('grant').waitFor();
    // A submitted report is reviewed, not waived.
    const submitted = reportRow(page, '2027-09-01');
    await submitted.getByRole('button', { name: /^Accept the report/ }).waitFor();
    expect(await submitted.getByRole('button', { name: /Waive/ }).count()).toBe(0);
    const owed = reportRow(page, '2027-05-01');
    await owed.getByRole('button', { name: /^Waive this report: interim report due 1 May 2027$/ }).click();
    const waiver = form(/^Waive this report: interim report due 1 May 2027$/);
    const reason = waiver.getByLabel('Reason *');
    // The OpenAPI document's maxLength: at most 2,000 characters can be typed.
    expect(await reason.getAttribute('maxlength')).toBe('2000');
    await reason.fill('The grantee organisation was dissolved by court order');
    await waiver.getByRole('button', { name: 'Submit' }).click();
    // Confirmed first: a waiver settles no money.
    await expectText(waiver.getByTestId('confirm'), /cannot be undone.*It settles no money: a tranche payable only once this report is accepted is cancelled with it/);
    await waiver.getByRole('button', { name: 'Waive this report: interim report due 1 May 2027: confirm' }).click();
    await expectText(page.getByTestId('grant-recorded'), /^Recorded: Waive this report: interim report due 1 May 2027\. The grant below shows it\.$/);
    expect(await focusedTestId()).toBe('grant-recorded');
    await expectText(owed.locator('[data-status]'), /^waived$/);
    await expectShown(owed.getByTestId('report-waiver'), /^waived \d{1,2} \w{3} 2027, \d{2}:\d{2}:\d{2} UTC: The grantee organisation was dissolved by court order$/);
    expect(await owed.getByRole('button').count()).toBe(0);
    // The tranche payable once that report was accepted was cancelled with it.
    await expectShown(page.getByTestId('tranches'), /€10,000\.00 15 Jun 2027 cancelled/);
    const grant = await grantNow();
    expect(grant.reports.find((r) => r.reportId === reports['2027-05-01'])).toMatchObject({ status: 'waived', waiver: { reason: 'The grantee organisation was dissolved by court order' } });
    expect(grant.tranches[0].status).toBe('cancelled');
    await language('fr');
    await expectText(owed.locator('[data-status]'), /^dispensé$/);
    await expectShown(owed.getByTestId('report-waiver'), /^dispensé le \d{1,2} .+ 2027, \d{2}:\d{2}:\d{2} UTC : The grantee organisation was dissolved by court order$/);
    await language('ar');
    await expectText(owed.locator('[data-status]'), /^مُعفى منه$/);
    await expectText(owed.getByTestId('report-waiver'), /^أُعفي منه في .+: The grantee organisation was dissolved by court order$/);
    await screenshot(page, 'report-waived-ar');
    await language('en');
  });

  it('shows an auditor the waived report with its reason, read only', async () => {
    await go(auditor, `#/portfolio/${grantId}`);
    await auditor.getByTestId('grant').waitFor();
    const owed = reportRow(auditor, '2027-05-01');
    await expectText(owed.locator('[data-status]'), /^waived$/);
    await expectShown(owed.getByTestId('report-waiver'), /: The grantee organisation was dissolved by court order$/);
    expect(await auditor.locator('main button').count()).toBe(0);
  });

  /**
   * The console sends a waiver with `If-Match` of the grant it shows, so a report another manager
   * changed meanwhile answers 409 and the grant is read again: the waiver's own refusals come only
   * when the grant's version still matched. The test drops `If-Match` so the server judges the
   * report as it now is, and reads the explanations the panel gives.
   */
  it('explains the waiver’s refusals (grant.report.already-submitted, already-accepted, already-waived) in three languages', async () => {
    const withoutIfMatch = (route: Route) => {
      const headers = { ...route.request().headers() };
      delete headers['if-match'];
      return route.continue({ headers });
    };
    await page.route('**/grants/*/reports/*/waiver', withoutIfMatch);
    try {
      await go(page, `#/portfolio/${grantId}`);
      const problem = page.locator('#grant-action').getByTestId('problem');
      // Submitted meanwhile.
      await reportRow(page, '2027-06-01').getByRole('button', { name: /^Waive this report/ }).click();
      let waiver = form(/^Waive this report: interim report due 1 Jun 2027$/);
      await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reports['2027-06-01']}/submission`, { summary: 'Six hearings held' });
      await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.reportId === reports['2027-06-01'] && r.status === 'submitted'));
      await waiver.getByLabel('Reason *').fill('The grantee stopped answering');
      await waiver.getByRole('button', { name: 'Submit' }).click();
      await waiver.getByRole('button', { name: /: confirm$/ }).click();
      await expectText(problem, /^The server answered 422: Business rule violated ?The grantee has submitted this report: review it first \(accept it, or send it back for revision\), then waive it if it is still not coming\..*grant\.report\.already-submitted$/);
      await language('fr');
      await expectText(problem, /Le bénéficiaire a soumis ce rapport : examinez-le d’abord/);
      await language('ar');
      await expectText(problem, /قدّمت الجهة المستفيدة هذا التقرير: راجعه أولاً/);
      await language('en');

      // Then accepted meanwhile: the same form sent again.
      await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reports['2027-06-01']}/acceptance`);
      await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.reportId === reports['2027-06-01'] && r.status === 'accepted'));
      await waiver.getByRole('button', { name: 'Submit' }).click();
      await waiver.getByRole('button', { name: /: confirm$/ }).click();
      await expectText(problem, /^The server answered 422: Business rule violated ?This report was accepted already: there is nothing left to waive\..*grant\.report\.already-accepted$/);
      await language('fr');
      await expectText(problem, /Ce rapport a déjà été accepté : il n’y a plus rien à dispenser\./);
      await language('ar');
      await expectText(problem, /قُبل هذا التقرير من قبل: لم يبق ما يُعفى منه\./);
      await language('en');

      // Waived meanwhile by another manager.
      await go(page, '#/portfolio');
      await go(page, `#/portfolio/${grantId}`);
      await reportRow(page, '2027-07-01').getByRole('button', { name: /^Waive this report/ }).click();
      waiver = form(/^Waive this report: interim report due 1 Jul 2027$/);
      await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reports['2027-07-01']}/waiver`, { reason: 'Merged into the final report' });
      await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.reportId === reports['2027-07-01'] && r.status === 'waived'));
      await waiver.getByLabel('Reason *').fill('Merged into the final report');
      await waiver.getByRole('button', { name: 'Submit' }).click();
      await waiver.getByRole('button', { name: /: confirm$/ }).click();
      await expectText(problem, /^The server answered 422: Business rule violated ?This report was waived already \(see the reports\)\..*grant\.report\.already-waived$/);
      await language('fr');
      await expectText(problem, /Ce rapport a déjà fait l’objet d’une dispense \(voir les rapports\)\./);
      await language('ar');
      await expectText(problem, /أُعفي من هذا التقرير من قبل \(انظر التقارير\)\./);
      await language('en');
    } finally {
      await page.unroute('**/grants/*/reports/*/waiver', withoutIfMatch);
    }
  });

  it('says the call’s maximum award beside the new amount, and explains an increase above it (grant.amendment.exceeds-call-maximum), in three languages', async () => {
    await go(page, '#/portfolio');
    await go(page, `#/portfolio/${grantId}`);
    await page.getByRole('button', { name: 'Amend the grant' }).click();
    const amend = form('Amend the grant');
    const newAmount = amend.getByLabel('New amount (EUR)');
    const note = amend.getByTestId('field-note');
    await expectText(note, /^The call awards at most €80,000\.00 per grant: an increase may not go above it\.$/);
    // The note is read with the field.
    expect((await newAmount.getAttribute('aria-describedby'))?.split(' ')).toContain(await note.getAttribute('id'));
    await amend.getByLabel('Kind *').selectOption({ label: 'Amount change' });
    await newAmount.fill('90,000');
    await amend.getByLabel('Reason *').fill('Second phase of hearings');
    await amend.getByRole('button', { name: 'Submit' }).click();
    await expectText(amend.getByTestId('problem'), /^The server answered 422: Business rule violated ?An increase may not take the grant above its call’s maximum award per grant, €80,000\.00: ask for less\..*grant\.amendment\.exceeds-call-maximum$/);
    await language('fr');
    await expectText(page.locator('#grant-action').getByTestId('field-note'), /^L’appel accorde au plus 80\s000,00\s€ par subvention/);
    await expectText(form('Modifier la subvention').getByTestId('problem'), /au-delà du montant maximal par subvention de son appel, 80\s000,00\s€ : demandez moins\./);
    await language('ar');
    await expectText(page.locator('#grant-action').getByTestId('problem'), /لا يجوز أن ترفع الزيادة المنحة فوق الحد الأقصى للمنحة الواحدة في دعوتها، .*80,000\.00/);
    await screenshot(page, 'amendment-call-maximum-ar');
    await language('en');
    expect((await grantNow()).amountMinor).toBe(6_000_000);
  });

  it('shows the call’s ceiling per recipient beside its budget, with where it comes from', async () => {
    await go(page, `#/board/${callId}`);
    const ceiling = page.getByTestId('recipient-ceiling');
    await expectText(ceiling, /^Ceiling per recipient: €10,000,000\.00 \(the default ceiling\)$/);
    await language('fr');
    await expectText(ceiling, /^Plafond par bénéficiaire : 10\s000\s000,00\s€ \(plafond par défaut\)$/);
    await language('ar');
    await expectText(ceiling, /^السقف لكل جهة مستفيدة: .*10,000,000\.00.* \(السقف الافتراضي\)$/);
    await language('en');
    await go(page, `#/board/${usdCallId}`);
    await expectText(ceiling, /^Ceiling per recipient: US\$10,000,000\.00 \(set by this call\)$/);
  });

  it('recuses a reviewer from the board with a reason, after confirming, and shows them recused by the staff', async () => {
    await go(page, `#/board/${callId}/${proposalId}`);
    const reviewers = page.getByTestId('assigned-reviewers');
    await expectShown(reviewers, /^Reviewers assigned reviewer-amal — review submitted Recuse reviewer-nadia — recused \(conflict of interest declared\): their review does not count$/);
    await reviewers.getByRole('button', { name: 'Recuse reviewer-amal' }).click();
    const recusal = form('Recuse reviewer-amal');
    // The reviewer is the one the button stood beside: only the reason is asked, and it is mandatory.
    expect(await recusal.getByLabel(/Reviewer/).count()).toBe(0);
    await recusal.getByLabel('Reason *').fill('A complaint showed a family tie with the lead organisation');
    await recusal.getByRole('button', { name: 'Submit' }).click();
    await expectText(recusal.getByTestId('confirm'), /A recusal cannot be undone: reviewer-amal’s review no longer counts/);
    await recusal.getByRole('button', { name: 'Recuse reviewer-amal: confirm' }).click();
    await expectText(page.getByTestId('board-recorded'), /^Recorded: Recuse reviewer-amal\. The board shows it\.$/);
    expect(await focusedTestId()).toBe('board-recorded');
    await expectShown(reviewers, /^Reviewers assigned reviewer-amal — recused by the programme staff: their review does not count reviewer-nadia — recused \(conflict of interest declared\): their review does not count$/);
    expect(await reviewers.getByRole('button').count()).toBe(0);
    const proposal = await world.call<ProposalBody>(MANAGER, 'GET', `/proposals/${proposalId}`);
    expect(proposal.reviewers?.recused).toEqual(expect.arrayContaining([REVIEWER.id, SECOND_REVIEWER.id]));
    await language('fr');
    await expectShown(reviewers, /reviewer-amal — récusé par l’équipe du programme : son évaluation ne compte pas/);
    await language('ar');
    await expectShown(reviewers, /reviewer-amal — نحّاه فريق البرنامج: لا تُحتسب مراجعته/);
    await screenshot(page, 'staff-recusal-ar');
    await language('en');
  });

  it('shows the auditor who made each recusal in the decision dossier (by the reviewer or by the staff, and who), in three languages', async () => {
    await go(auditor, `#/audit/proposal/${proposalId}`);
    const recusals = auditor.getByTestId('dossier-recusals');
    await expectShown(recusals, /reviewer-nadia, .* UTC · by the reviewer, after declaring a conflict \(reviewer-nadia\)/);
    await expectShown(recusals, /reviewer-amal, .* UTC · by the staff \(gm-leila\) · reason: A complaint showed a family tie with the lead organisation · after the decision/);
    expect(await recusals.locator('[data-by="staff"]').count()).toBe(1);
    const auditorLanguage = (code: string) => auditor.getByRole('combobox', { name: /Language|Langue|اللغة/ }).selectOption(code);
    await auditorLanguage('fr');
    await expectShown(recusals, /reviewer-amal, .* · par l’équipe \(gm-leila\) · motif : A complaint showed a family tie/);
    await expectShown(recusals, /reviewer-nadia, .* · par l’évaluateur, après avoir déclaré un conflit \(reviewer-nadia\)/);
    await auditorLanguage('ar');
    await expectShown(recusals, /reviewer-amal, .* · من قبل الفريق \(gm-leila\)/);
    await auditorLanguage('en');
  });

  it('ran without a script error (only the refusals asked for)', () => {
    expect(problems.filter((problem) => !/status of 422/.test(problem))).toEqual([]);
    expect(auditorProblems).toEqual([]);
  });
});
