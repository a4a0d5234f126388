/**
 * A grant in the applicant's view, in a real browser, seeded through the HTTP API: the grantee's
 * member reads its grant — amounts, period, agreement — and its reports: one overdue, one sent back
 * with the programme's reason, one waived with its reason, a financial one said to be sent
 * elsewhere; sends the overdue narrative report with a document (uploaded first: a file of a
 * refused type is explained and nothing is sent), then the revised one in Arabic. The API shows
 * both submitted. No 403 or 404, no script error.
 */
import type { Actor } from '@app/platform';
import type { Browser, Page } from 'playwright-core';
import { type ConsoleWorld, decideAward, MANAGER, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, signIn, watchConsole } from './support/browser';

type GrantBody = { reports: { reportId: string; kind: string; dueDate: string; status: string; submittedAt?: string | null }[]; version: number };

describe('console in a browser: a grant in the applicant’s view', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let grantId: string;
  let applicant: Actor;
  const reports: Record<string, string> = {};
  const problems: string[][] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { housing: 'Housing rights for minorities in informal settlements' });
    const proposalId = seeded.proposals.housing;
    const proposal = await world.call<{ leadOrganisationId: string }>(MANAGER, 'GET', `/proposals/${proposalId}`);
    applicant = { id: 'applicant-0', role: 'applicant', organisationId: proposal.leadOrganisationId };
    await decideAward(world, proposalId);
    ({ grantId } = (await world.call<{ award: { grantId: string } }>(MANAGER, 'GET', `/proposals/${proposalId}`)).award);
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, () => true);
    await world.call(MANAGER, 'POST', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Director', role: 'Lead organisation' }] });
    for (const [key, kind, dueDate] of [['march', 'interim', '2027-03-01'], ['june', 'interim', '2027-06-01'], ['september', 'interim', '2027-09-01'], ['money', 'financial', '2027-12-15']]) {
      ({ reportId: reports[key] } = await world.call<{ reportId: string }>(MANAGER, 'POST', `/grants/${grantId}/reports`, { kind, dueDate }));
    }
    await world.call(applicant, 'POST', `/grants/${grantId}/reports/${reports.june}/submission`, { summary: 'Two hearings held' });
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reports.june}/revision-request`, { reason: 'Add the minutes of both hearings' });
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${reports.september}/waiver`, { reason: 'Merged into the final report' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.some((r) => r.status === 'waived') && g.reports.some((r) => r.status === 'revision-requested'));
    // The programme's clock moves past the first report's due date: it is overdue.
    world.t.clock.set('2027-03-05T10:00:00.000Z');
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(10_000);
    problems.push(watchConsole(page));
    page.on('response', (response) => [403, 404].includes(response.status()) && refused.push(`${response.request().method()} ${response.url()} ${response.status()}`));
    await signIn(page, world.baseUrl, await world.token(applicant));
    await expectText(page.locator('main h2').first(), /My organisation’s proposals and grants/);
    return page;
  }
  const report = (page: Page, key: string) => page.locator(`[data-report="${reports[key]}"]`);

  it('shows the grant and its reports: overdue, sent back with the reason, waived with the reason, financial elsewhere', async () => {
    const page = await signedIn();
    await expectText(page.getByTestId('applicant-grant'), /Report overdue \(due 1 Mar 2027\)/);
    await page.getByTestId('applicant-grant').getByRole('link').click();
    await expectText(page.locator('#grant-title'), /^Housing rights for minorities in informal settlements$/);
    await expectText(page.getByTestId('grant-facts'), /Amount of the grant€60,000.00Paid so far€0.00Period1 Feb 2027 to 31 Jul 2028Grant agreementsigned on 1 Feb 2027/);
    await expectText(report(page, 'march'), /Interim scheduled.*overdue: it was due on 1 Mar 2027/);
    await expectText(report(page, 'june'), /revision requested.*due on 1 Jun 2027.*Sent back for a revision on 1 Feb 2027: Add the minutes of both hearings/);
    await expectText(report(page, 'september'), /waived.*Waived on 1 Feb 2027: Merged into the final report\. Nothing is owed for this report\./);
    expect(await report(page, 'september').getByTestId('report-form').count()).toBe(0);
    await expectText(report(page, 'money'), /not sent from this console yet/);
    expect(await report(page, 'money').getByTestId('report-form').count()).toBe(0);
    expect(await page.title()).toMatch(/^Housing rights for minorities in informal settlements — Grant — /);
    await page.close();
  });

  it('sends the overdue report with a document; a file of a refused type is explained first', async () => {
    const page = await signedIn();
    await page.evaluate((id) => (location.hash = `#/applicant/grant/${id}`), grantId);
    const march = report(page, 'march');
    await march.getByLabel('What the work achieved in this period *').fill('Six community hearings held in Beirut and Saida.');
    await march.getByLabel('Documents (optional)').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plain text notes') });
    await march.getByRole('button', { name: 'Send the report' }).click();
    await expectText(march.getByTestId('problem'), /This kind of file is not accepted: send a PDF, an image \(PNG, JPEG\) or an office document\..*notes\.txt/);
    expect((await world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`)).reports.find((r) => r.reportId === reports.march)?.status).toBe('scheduled');
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
    await march.getByLabel('Documents (optional)').setInputFiles({ name: 'hearings.pdf', mimeType: 'application/pdf', buffer: pdf });
    await march.getByRole('button', { name: 'Send the report' }).click();
    await expectText(page.getByTestId('grant-notice'), /Your report due on 1 Mar 2027 was sent to the programme team\./);
    await expectText(report(page, 'march'), /submitted.*submitted on 5 Mar 2027/);
    expect(await report(page, 'march').getByTestId('report-form').count()).toBe(0);
    const documents = await world.call<{ items: { documentId: string; name: string | null }[] }>(MANAGER, 'GET', `/grants/${grantId}/documents`);
    expect(documents.items.map((d) => d.name)).toEqual(['hearings.pdf']);
    const grant = await world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`);
    expect(grant.reports.find((r) => r.reportId === reports.march)?.status).toBe('submitted');
    await page.close();
  });

  it('sends the revised report in Arabic', async () => {
    const page = await signedIn();
    await page.getByLabel('Language').selectOption('ar');
    await page.evaluate((id) => (location.hash = `#/applicant/grant/${id}`), grantId);
    const june = report(page, 'june');
    await expectText(june, /أُعيد للمراجعة في .*: Add the minutes of both hearings/);
    await june.getByLabel('ما حققه العمل خلال هذه الفترة *').fill('عُقدت جلستا استماع؛ المحاضر مرفقة في التقرير النهائي.');
    await june.getByRole('button', { name: 'إرسال التقرير المعدّل' }).click();
    await expectText(page.getByTestId('grant-notice'), /أُرسل تقريرك المستحق في .* إلى فريق البرنامج\./);
    const grant = await world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`);
    expect(grant.reports.find((r) => r.reportId === reports.june)?.status).toBe('submitted');
    await page.getByLabel('اللغة').selectOption('en');
    await page.close();
  });

  it('met no script error (the refused file apart), and no 403 or 404', () => {
    expect(problems.flat().filter((problem) => !/status of 415/.test(problem))).toEqual([]);
    expect(refused).toEqual([]);
  });
});
