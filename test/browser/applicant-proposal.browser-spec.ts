/**
 * A proposal in the applicant's view, in a real browser, seeded through the HTTP API: the lead's
 * member reads its draft, edits it (a form generated from the OpenAPI document, the amount typed in
 * French number style) and is told in French why a revision was refused; submits it after a
 * confirmation, is told in Arabic why the submission was refused (a partner has not accepted), and
 * submits once it has; answers a clarification request. A partner's member reads the draft without
 * any form; a mistyped address is said in words. No 403 or 404, no script error.
 */
import type { Actor } from '@app/platform';
import type { Browser, Page } from 'playwright-core';
import { type ConsoleWorld, MANAGER, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, signIn, watchConsole } from './support/browser';

describe('console in a browser: a proposal in the applicant’s view', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let organisations: string[];
  let submittedId: string;
  let draftId: string;
  const problems: string[][] = [];
  const refused: string[] = [];
  const applicant = (index: number): Actor => ({ id: `applicant-${index}`, role: 'applicant', organisationId: organisations[index] });

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { housing: 'Housing rights for minorities in informal settlements' });
    submittedId = seeded.proposals.housing;
    const proposal = await world.call<{ leadOrganisationId: string; partners: { organisationId: string }[] }>(MANAGER, 'GET', `/proposals/${submittedId}`);
    organisations = [proposal.leadOrganisationId, ...proposal.partners.map((p) => p.organisationId)];
    ({ id: draftId } = await world.call<{ id: string }>(applicant(0), 'POST', '/proposals', {
      callId: seeded.callId,
      partners: [
        { organisationId: organisations[1], role: 'co-applicant' },
        { organisationId: organisations[2], role: 'partner' },
      ],
      title: 'Legal aid for stateless children',
      summary: 'Birth registration clinics run by the network.',
      policyIssue: 'statelessness',
      requestedMinor: 2_500_050,
      currency: 'EUR',
      budgetLines: [
        { label: 'Legal clinics', amountMinor: 2_000_050 },
        { label: 'Outreach', amountMinor: 500_000 },
      ],
      durationMonths: 12,
    }));
    await world.call(applicant(1), 'POST', `/proposals/${draftId}/partners/${organisations[1]}/acceptance`, { mandateStatement: 'Board decision', termsVersion: 1 });
    await world.until<{ partners: { status: string }[] }>(applicant(0), `/proposals/${draftId}`, (p) => p.partners.filter((x) => x.status === 'accepted').length === 1);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function signedIn(actor: Actor): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(10_000);
    problems.push(watchConsole(page));
    page.on('response', (response) => [403, 404].includes(response.status()) && refused.push(`${actor.id}: ${response.request().method()} ${response.url()} ${response.status()}`));
    await signIn(page, world.baseUrl, await world.token(actor));
    await expectText(page.locator('main h2').first(), /My organisation’s proposals and grants/);
    return page;
  }

  it('lets the lead read and edit its draft, with a refused revision explained in French', async () => {
    const page = await signedIn(applicant(0));
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('link', { name: 'Legal aid for stateless children' }).click();
    const article = page.getByTestId('applicant-proposal-page');
    await expectText(article, /brouillon · 25\s000,50\s€ · 12 mois · menée par votre organisation/);
    await expectText(page.getByTestId('proposal-facts'), /AppelSmall grants for issue-based networks \(clôture le 31 mars 2027\).*statelessness/);
    await expectText(page.getByTestId('partners-waiting'), /Partenaires n’ayant pas encore accepté les conditions actuelles : 1\./);
    // The amount alone: the budget lines no longer add up, said in French beside the server's rule.
    await page.getByLabel('Montant demandé (EUR)').fill('30 000,00');
    await page.getByRole('button', { name: 'Enregistrer les modifications du brouillon' }).click();
    await expectText(page.getByTestId('problem').first(), /Les lignes du budget doivent totaliser le montant demandé\..*proposal\.budget\.sum-mismatch/);
    await page.getByLabel('Montant demandé (EUR)').fill('');
    await page.getByLabel('Titre', { exact: true }).fill('Legal aid and birth registration for stateless children');
    await page.getByRole('button', { name: 'Enregistrer les modifications du brouillon' }).click();
    await expectText(page.getByTestId('proposal-notice'), /Vos modifications du brouillon ont été enregistrées\./);
    await expectText(page.locator('#proposal-title'), /^Legal aid and birth registration for stateless children$/);
    const saved = await world.call<{ title: string; requestedMinor: number }>(MANAGER, 'GET', `/proposals/${draftId}`);
    expect(saved).toMatchObject({ title: 'Legal aid and birth registration for stateless children', requestedMinor: 2_500_050 });
    await page.getByLabel('Langue').selectOption('en');
    await page.close();
  });

  it('submits after a confirmation, a refusal explained in Arabic while a partner has not accepted', async () => {
    const page = await signedIn(applicant(0));
    await page.getByLabel('Language').selectOption('ar');
    await page.evaluate((id) => (location.hash = `#/applicant/proposal/${id}`), draftId);
    const submit = page.getByTestId('submit-proposal');
    await submit.getByRole('button', { name: 'تقديم المقترح' }).click();
    await expectText(submit.getByTestId('confirm'), /هل تريد تقديم هذا المقترح الآن؟/);
    await submit.getByTestId('confirm').getByRole('button').first().click();
    await expectText(submit.getByTestId('problem'), /لم يقبل جميع الشركاء الشروط الحالية.*proposal\.partners\.sign-off-missing/);
    expect((await world.call<{ status: string }>(MANAGER, 'GET', `/proposals/${draftId}`)).status).toBe('draft');

    const { termsVersion } = await world.call<{ termsVersion: number }>(applicant(0), 'GET', `/proposals/${draftId}`);
    await world.call(applicant(2), 'POST', `/proposals/${draftId}/partners/${organisations[2]}/acceptance`, { mandateStatement: 'General assembly', termsVersion });
    await world.until<{ partners: { status: string }[] }>(applicant(0), `/proposals/${draftId}`, (p) => p.partners.every((x) => x.status === 'accepted'));
    await page.reload();
    await expectText(page.getByTestId('applicant-proposal-page'), /Legal aid and birth registration/);
    expect(await page.getByTestId('partners-waiting').count()).toBe(0);
    await page.getByTestId('submit-proposal').getByRole('button', { name: 'تقديم المقترح' }).click();
    await page.getByTestId('submit-proposal').getByTestId('confirm').getByRole('button').first().click();
    await expectText(page.getByTestId('proposal-notice'), /قُدّم المقترح: أصبح محتواه مجمّدًا الآن\./);
    expect(await page.getByTestId('draft-actions').count()).toBe(0);
    expect((await world.call<{ status: string }>(MANAGER, 'GET', `/proposals/${draftId}`)).status).toBe('submitted');
    await page.getByLabel('اللغة').selectOption('en');
    await page.close();
  });

  it('lets the lead answer an open clarification request', async () => {
    await world.call(MANAGER, 'POST', `/proposals/${submittedId}/clarification-requests`, { questions: ['Which courts will the clinics cover?'] });
    await world.until<{ clarifications: unknown[] }>(applicant(0), `/proposals/${submittedId}`, (p) => p.clarifications.length === 1);
    const page = await signedIn(applicant(0));
    await page.getByRole('link', { name: 'Housing rights for minorities in informal settlements' }).click();
    const form = page.getByTestId('clarification');
    await expectText(form, /The programme team asked for a clarification on 1 Feb 2027.*Which courts will the clinics cover\?/);
    await form.getByLabel('Your answer *').fill('The first-instance courts of Beirut and Saida.');
    await form.getByRole('button', { name: 'Send the answer' }).click();
    await expectText(page.getByTestId('proposal-notice'), /Your answer was sent to the programme team\./);
    await expectText(page.getByTestId('clarifications-answered'), /Which courts will the clinics cover\?.*The first-instance courts of Beirut and Saida\..*answered on 1 Feb 2027/);
    expect(await page.getByTestId('clarification').count()).toBe(0);
    const after = await world.call<{ clarifications: { answer: string | null }[] }>(MANAGER, 'GET', `/proposals/${submittedId}`);
    expect(after.clarifications[0].answer).toBe('The first-instance courts of Beirut and Saida.');
    await page.close();
  });

  it('shows a partner’s member the proposal without a form, and a mistyped address in words', async () => {
    const page = await signedIn(applicant(1));
    await page.getByRole('link', { name: 'Housing rights for minorities in informal settlements' }).click();
    await expectText(page.getByTestId('applicant-proposal-page'), /your organisation is a partner/);
    expect(await page.locator('form').count()).toBe(0);
    expect(await page.getByTestId('submit-proposal').count()).toBe(0);
    await page.evaluate(() => (location.hash = '#/applicant/proposal/not-an-id'));
    await expectText(page.getByTestId('not-yours'), /No proposal of your organisation has this address\./);
    await page.close();
  });

  it('met no script error (the refusals above apart), and no 403 or 404', () => {
    // The browser logs each refused command (the 422s asked for above); nothing else.
    expect(problems.flat().filter((problem) => !/status of 422/.test(problem))).toEqual([]);
    expect(refused).toEqual([]);
  });
});
