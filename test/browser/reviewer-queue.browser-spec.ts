/**
 * The reviewer's queue in a real browser: the assigned proposal, blind until this reviewer's own
 * review is in (another reviewer's is hidden), scoring by criterion with the server's refusal of
 * an out-of-range score shown, then the review recorded (confirmed, its form gone) and the other
 * review visible; a conflict of interest declared, confirmed, and the proposal gone from the
 * queue without a reload; durations counted in each language's plural forms.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import type { Actor } from '@app/platform';
import { type ConsoleWorld, MANAGER, REVIEW, REVIEWER, screenAndAssign, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

const OTHER_REVIEWER: Actor = { id: 'reviewer-sana', role: 'reviewer' };

describe('console in a browser: the reviewer’s queue', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let proposalId: string;
  let waterId: string;
  let otherId: string;
  let landId: string;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(
      world,
      {
        housing: 'Housing rights for minorities in informal settlements',
        other: 'Nationality rights for stateless people',
        water: 'Water access for Dom communities',
        land: 'Land titles for Amazigh villages',
      },
      { durationMonths: { water: 2 }, documents: { housing: 'Budget narrative.pdf' } },
    );
    proposalId = seeded.proposals.housing;
    waterId = seeded.proposals.water;
    otherId = seeded.proposals.other;
    landId = seeded.proposals.land;
    await screenAndAssign(world, proposalId);
    await screenAndAssign(world, waterId);
    await world.call(MANAGER, 'POST', `/proposals/${proposalId}/reviewers`, { reviewerId: OTHER_REVIEWER.id });
    await world.call(OTHER_REVIEWER, 'POST', `/proposals/${proposalId}/reviews`, { ...REVIEW, comment: 'Sana: solid but costly' });
    await world.until<{ reviewCount: number }>(MANAGER, `/proposals/${proposalId}`, (p) => p.reviewCount === 1);
    browser = await launchChromium();
    // A narrow screen: the queue must work on a phone too.
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('lists only the proposal assigned to this reviewer, awaiting the review', async () => {
    await signIn(page, world.baseUrl, await world.token(REVIEWER));
    await expectText(page.locator('main'), /Awaiting your review.*Housing rights for minorities/);
    expect(await page.getByRole('link', { name: /Nationality rights/ }).count()).toBe(0);
    await page.getByRole('link', { name: /Housing rights for minorities/ }).click();
    await expectText(page.locator('article'), /Other reviews stay hidden until you submit yours/);
    // What the reviewer scores: the policy issue, the network (roles; the API withholds names), the budget, the documents.
    const facts = page.getByTestId('proposal-facts');
    await expectText(facts, /Policy issue ?housing rights for minorities/);
    await expectText(page.getByTestId('network'), /co-applicant: accepted the terms.*partner: accepted the terms/);
    await expectText(page.getByTestId('budget'), /Community organising and legal aid ?€40,000\.00.*Advocacy and coordination ?€20,000\.00/);
    await expectText(page.getByTestId('documents'), /Budget narrative\.pdf/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download: Budget narrative.pdf' }).click()]);
    expect(download.suggestedFilename()).toBe('Budget narrative.pdf');
    expect((await readFile((await download.path())!)).subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(await page.getByTestId('visible-reviews').count()).toBe(0);
    expect(await page.getByText('Sana: solid but costly').count()).toBe(0);
  });

  it('scores by criterion: an out-of-range score is refused as the server says, then the review is recorded', async () => {
    const form = page.getByRole('form', { name: 'Submit the review' });
    await form.getByLabel('Relevance to the policy issue (0–10)').fill('8');
    await form.getByLabel('Comment on Relevance to the policy issue').fill('Directly addresses evictions');
    await form.getByLabel('Strength of the network (0–10)').fill('11');
    await form.getByLabel('Comment on Strength of the network').fill('Diverse network');
    await form.getByLabel('Recommendation *').selectOption('fund');
    await form.getByLabel('Overall comment').fill('Amal: credible plan');
    await form.getByRole('button', { name: 'Submit the review' }).click();
    await expectText(form.getByRole('alert').first(), /The server answered 4\d\d/);
    expect((await world.call<{ reviewCount: number }>(MANAGER, 'GET', `/proposals/${proposalId}`)).reviewCount).toBe(1);
    await screenshot(page, 'reviewer-refused-score');
    await form.getByLabel('Strength of the network (0–10)').fill('7');
    await form.getByRole('button', { name: 'Submit the review' }).click();
    // Once the read model shows the review: said so, and the form is gone (a second submission could only be refused).
    await expectText(page.getByTestId('queue-notice'), /^Your review of “Housing rights for minorities in informal settlements” is recorded: the proposal is now under Reviewed\.$/);
    expect(await page.getByRole('form', { name: 'Submit the review' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Declare a conflict of interest' }).count()).toBe(0);
    await expectText(page.locator('article'), /Your review of this proposal is recorded\./);
    const proposal = await world.until<{ reviewCount: number; reviews: { reviewerId: string; scores: { criterionId: string; score: number }[] }[] }>(
      MANAGER,
      `/proposals/${proposalId}`,
      (p) => p.reviewCount === 2,
    );
    expect(proposal.reviews.find((review) => review.reviewerId === REVIEWER.id)?.scores).toEqual([
      expect.objectContaining({ criterionId: 'relevance', score: 8 }),
      expect.objectContaining({ criterionId: 'network', score: 7 }),
    ]);
  });

  it('shows the other reviews once this reviewer’s own is in, and moves the proposal to reviewed', async () => {
    await expectText(page.getByTestId('visible-reviews'), /reviewer-sana: relevance 8, network 7 — Fund/);
    await expectText(page.getByTestId('visible-reviews'), /reviewer-amal: relevance 8, network 7 — Fund/);
    await expectText(page.locator('main'), /Reviewed.*Housing rights for minorities/);
    await screenshot(page, 'reviewer-queue');
  });

  it('counts a proposal’s duration in each language’s plural forms', async () => {
    await expectText(page.getByTestId('duration'), /^18 months$/);
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByTestId('duration'), /^18 mois$/);
    await page.getByLabel('Langue').selectOption('ar');
    // Arabic: 11 to 99 take the accusative singular (شهرًا), two the dual (شهران).
    await expectText(page.getByTestId('duration'), /^18 شهرًا$/);
    await page.getByRole('link', { name: /Water access for Dom communities/ }).click();
    await expectText(page.getByTestId('duration'), /^شهران$/);
    await page.getByLabel('اللغة').selectOption('en');
    await expectText(page.getByTestId('duration'), /^2 months$/);
  });

  it('declares a conflict of interest: confirmed, and the proposal leaves the queue without a reload', async () => {
    await expectText(page.locator('main'), /Awaiting your review.*Water access for Dom communities/);
    const conflict = page.getByRole('form', { name: 'Declare a conflict of interest' });
    await conflict.getByLabel('Description *').fill('I advised the lead organisation in 2025');
    await conflict.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('queue-notice'), /^Your conflict of interest on “Water access for Dom communities” is recorded: you are recused, and the proposal has left your queue\.$/);
    expect(await page.getByRole('link', { name: /Water access/ }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Declare a conflict of interest' }).count()).toBe(0);
    expect(await page.evaluate(() => location.hash)).toBe('#/reviews');
    const queue = await world.call<{ items: { proposalId: string }[] }>(REVIEWER, 'GET', '/reviews/assigned');
    expect(queue.items.map((item) => item.proposalId)).toEqual([proposalId]);
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByTestId('queue-notice'), /Votre conflit d’intérêts sur « Water access for Dom communities » est enregistré/);
    await page.getByLabel('Langue').selectOption('en');
    // Its link, opened again (a bookmark, the assignment mail): said plainly, not a bare 404.
    await page.evaluate((id) => (location.hash = `#/reviews/${id}`), waterId);
    await expectText(page.getByTestId('not-in-queue'), /^This proposal is not in your queue: it was not assigned to you, or you declared a conflict of interest on it\.$/);
    expect(await page.getByText(/not found/).count()).toBe(0);
    await page.evaluate(() => (location.hash = '#/reviews'));
    await page.getByRole('link', { name: /Housing rights for minorities/ }).click();
  });

  it('is usable right to left, in Arabic', async () => {
    await page.getByLabel('Language').selectOption('ar');
    // The page sets the document's direction and language after it renders (an effect): wait for it, bounded.
    await page.waitForFunction(() => document.documentElement.lang === 'ar', undefined, { timeout: 5_000 }).catch(() => undefined);
    expect(await page.evaluate(() => [document.documentElement.dir, document.documentElement.lang])).toEqual(['rtl', 'ar']);
    await expectText(page.locator('h2').first(), /قائمة المراجع/);
    await expectText(page.locator('main'), /بانتظار مراجعتك|تمت مراجعتها/);
    await expectText(page.locator('article'), /سُجّلت مراجعتك لهذا المقترح/);
    await page.getByLabel('اللغة').selectOption('en');
  });

  it('a review already sent from another tab: the form gives way to it, not to a refusal', async () => {
    await screenAndAssign(world, otherId);
    await page.goto(`${world.baseUrl}/console/#/reviews/${otherId}`);
    await page.reload();
    const form = page.getByRole('form', { name: 'Submit the review' });
    await form.getByLabel('Relevance to the policy issue (0–10)').fill('6');
    await form.getByLabel('Strength of the network (0–10)').fill('6');
    await form.getByLabel('Recommendation *').selectOption('reserve');
    // Meanwhile the same reviewer's other tab sends a review of this proposal.
    await world.call(REVIEWER, 'POST', `/proposals/${otherId}/reviews`, REVIEW);
    await form.getByRole('button', { name: 'Submit the review' }).click();
    await expectText(page.getByTestId('queue-notice'), /^Your review of “Nationality rights for stateless people” is recorded/);
    expect(await page.getByRole('form', { name: 'Submit the review' }).count()).toBe(0);
    expect(await page.getByText(/already submitted/).count()).toBe(0);
    await expectText(page.locator('article'), /Your review of this proposal is recorded\./);
  });

  it('lists a proposal decided without this reviewer’s review apart, with no form the server would refuse', async () => {
    await screenAndAssign(world, landId);
    await world.call(MANAGER, 'POST', `/proposals/${landId}/reviewers`, { reviewerId: OTHER_REVIEWER.id });
    await world.call(OTHER_REVIEWER, 'POST', `/proposals/${landId}/reviews`, REVIEW);
    await world.call(MANAGER, 'POST', `/proposals/${landId}/consensus`, { score: 40, summary: 'Weak plan' });
    await world.call(MANAGER, 'POST', `/proposals/${landId}/decision`, { decision: 'reject', reasons: 'Below the funding line', committee: 'Grants committee' });
    await world.until<{ status: string }>(MANAGER, `/proposals/${landId}`, (p) => p.status === 'rejected');
    await page.goto(`${world.baseUrl}/console/#/reviews`);
    await page.reload();
    await expectText(page.locator('main'), /Decided without your review.*Land titles for Amazigh villages/);
    await expectText(page.locator('main'), /Awaiting your review.*Reviewed/);
    expect(await page.locator('main').innerText()).not.toMatch(/Awaiting your review\s+Land titles/);
    await page.getByRole('link', { name: /Land titles for Amazigh villages/ }).click();
    await expectText(page.getByTestId('no-longer-open'), /This proposal no longer takes reviews: ?rejected/);
    expect(await page.getByRole('form', { name: 'Submit the review' }).count()).toBe(0);
  });

  it('ran without a policy violation or a script error', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
