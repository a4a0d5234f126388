/**
 * The applicant's view, in a real browser, seeded through the HTTP API: a member user of an
 * organisation lands on its organisation's proposals (led or joined) and grants, statuses in words,
 * amounts in the console's money format, dates; a member of an invited organisation answers the
 * invitation (accepts with its mandate in Arabic, or refuses after a confirmation), and the API
 * shows the answer. No page meets a 403 or 404, and no script error occurs.
 */
import type { Actor } from '@app/platform';
import type { Browser, Page } from 'playwright-core';
import { type ConsoleWorld, decideAward, MANAGER, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, signIn, watchConsole } from './support/browser';

describe('console in a browser: the applicant’s organisation, its proposals, grants and invitations', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let organisations: string[];
  let awardedId: string;
  let draftId: string;
  const problems: string[][] = [];
  /** Every answer of the API with status 403 or 404, across the pages of this file: expected none. */
  const refused: string[] = [];
  const applicant = (index: number): Actor => ({ id: `applicant-${index}`, role: 'applicant', organisationId: organisations[index] });

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { housing: 'Housing rights for minorities in informal settlements' });
    awardedId = seeded.proposals.housing;
    const proposal = await world.call<{ leadOrganisationId: string; partners: { organisationId: string }[] }>(MANAGER, 'GET', `/proposals/${awardedId}`);
    organisations = [proposal.leadOrganisationId, ...proposal.partners.map((p) => p.organisationId)];
    await decideAward(world, awardedId);
    await world.until<{ total: number }>(MANAGER, '/grants', (list) => list.total === 1);
    // A draft of the same lead, inviting the two others: their invitations wait for an answer.
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
    await world.until<{ items: unknown[] }>(applicant(1), '/partner-invitations', (list) => list.items.length === 1);
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
    return page;
  }

  it('lands the lead’s member on its proposals and grants, in English and in French', async () => {
    const page = await signedIn(applicant(0));
    await expectText(page.locator('main h2').first(), /My organisation’s proposals and grants/);
    expect(await page.evaluate(() => location.hash)).toBe('#/applicant');
    expect(await page.getByRole('navigation', { name: 'main' }).getByRole('link').allTextContents()).toEqual(['My organisation']);
    const proposals = page.getByTestId('applicant-proposal');
    await expectText(page.getByTestId('applicant-proposals'), /Legal aid for stateless children draft.*led by your organisation · €25,000.50 requested · drafted on 1 Feb 2027/);
    await expectText(page.getByTestId('applicant-proposals'), /Housing rights for minorities in informal settlements awarded.*Call: Small grants for issue-based networks · led by your organisation · €60,000.00 requested · submitted on 1 Feb 2027/);
    expect(await proposals.count()).toBe(2);
    await expectText(page.getByTestId('applicant-grant'), /Housing rights for minorities in informal settlements awarded€0.00 disbursed of €60,000.00 · 1 Feb 2027 to 31 Jul 2028/);
    // Nothing waits for the lead's answer: no invitations section at all.
    expect(await page.getByTestId('applicant-invitations').count()).toBe(0);
    // Each record is a link to its page in this view.
    expect(await page.getByRole('link', { name: 'Legal aid for stateless children' }).getAttribute('href')).toBe(`#/applicant/proposal/${draftId}`);

    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.locator('main h2').first(), /Propositions et subventions de mon organisation/);
    await expectText(page.getByTestId('applicant-proposals'), /Legal aid for stateless children brouillon.*menée par votre organisation · 25\s000,50\s€ demandés · rédigée le 1 févr\. 2027/);
    await expectText(page.getByTestId('applicant-grants'), /accordée0,00\s€ versés sur 60\s000,00\s€ · du 1 févr\. 2027 au 31 juil\. 2028/);
    expect(await page.title()).toMatch(/^Propositions et subventions de mon organisation — /);
    await page.getByLabel('Langue').selectOption('en');
    await page.close();
  });

  it('shows a partner’s member the invitation with its terms and records its acceptance, in Arabic', async () => {
    const page = await signedIn(applicant(1));
    await page.getByLabel('Language').selectOption('ar');
    await expectText(page.getByTestId('applicant-invitations'), /دعوات بانتظار ردّك/);
    const card = page.getByTestId('invitation');
    await expectText(card, /Legal aid for stateless children.*منظمتك مدعوة بصفة «co-applicant».*statelessness/);
    await expectText(card.getByTestId('invitation-budget'), /Legal clinics.*Outreach/);
    // The partner's own view lists the awarded proposal it joined, as partner.
    await expectText(page.getByTestId('applicant-proposals'), /Housing rights for minorities in informal settlements.*منظمتك شريكة فيها/);
    await card.getByLabel('تفويض منظمتك للانضمام إلى الشبكة *').fill('قرار مجلس الإدارة، ٣ شباط');
    await card.getByRole('button', { name: 'قبول الدعوة' }).click();
    await expectText(page.getByTestId('invitation-answered'), /سُجّل قبول منظمتك لـ«Legal aid for stateless children»/);
    expect(await page.getByTestId('invitation').count()).toBe(0);
    const draft = await world.call<{ partners: { organisationId: string; status: string }[] }>(MANAGER, 'GET', `/proposals/${draftId}`);
    expect(draft.partners.find((p) => p.organisationId === organisations[1])?.status).toBe('accepted');
    await page.getByLabel('اللغة').selectOption('en');
    await page.close();
  });

  it('asks before a refusal, and records it', async () => {
    const page = await signedIn(applicant(2));
    const card = page.getByTestId('invitation');
    await expectText(card, /Legal aid for stateless children.*Your organisation is invited as “partner”.*€25,000.50 requested · 12 months/);
    await card.getByRole('button', { name: 'Refuse the invitation' }).click();
    await expectText(card.getByTestId('confirm'), /no longer be listed in this network/);
    await card.getByRole('button', { name: 'Not now' }).click();
    expect(await card.getByTestId('confirm').count()).toBe(0);
    await card.getByRole('button', { name: 'Refuse the invitation' }).click();
    await card.getByRole('button', { name: 'Refuse the invitation: confirm' }).click();
    await expectText(page.getByTestId('invitation-answered'), /Your organisation’s refusal of “Legal aid for stateless children” was recorded/);
    const draft = await world.call<{ partners: { organisationId: string }[] }>(MANAGER, 'GET', `/proposals/${draftId}`);
    expect(draft.partners.map((p) => p.organisationId)).not.toContain(organisations[2]);
    await page.close();
  });

  it('met no script error, and no 403 or 404', () => {
    expect(problems.flat()).toEqual([]);
    expect(refused).toEqual([]);
  });
});
