/**
 * The grant manager's board in a real browser: a call's proposals by status with the budget, then
 * screening, reviewer assignment, consensus and the funding decision through forms generated from
 * the OpenAPI schema, with the server's problem details shown beside the fields; then the grant
 * portfolio with an overdue report.
 */
import type { Browser, Page } from 'playwright-core';
import { CONSOLE_NOW, type ConsoleWorld, MANAGER, REVIEW, REVIEWER, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

describe('console in a browser: the grant manager’s board', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let callId: string;
  let proposalId: string;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { housing: 'Housing rights for minorities in informal settlements', representation: 'Representation of religious minorities in local councils' });
    callId = seeded.callId;
    proposalId = seeded.proposals.housing;
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
  const form = (name: string) => page.getByRole('form', { name });

  it('shows the call’s proposals by status and its budget', async () => {
    await signIn(page, world.baseUrl, await world.token(MANAGER));
    await page.getByLabel('Call', { exact: true }).selectOption(callId);
    await expectText(page.getByTestId('budget'), /Budget €200,000\.00: €0\.00 committed, €200,000\.00 remaining/);
    await expectText(column('submitted'), /Housing rights for minorities.*Representation of religious minorities|Representation of religious minorities.*Housing rights for minorities/);
    await expectText(column('submitted'), /Requested €60,000\.00/);
  });

  it('screens a proposal: the server’s field errors appear beside the fields, then it moves under review', async () => {
    await column('submitted').getByRole('link', { name: /Housing rights/ }).click();
    const screening = form('Screen eligibility');
    await screening.getByRole('button', { name: 'Submit' }).click();
    // Sent empty: 400 with a field error for results.0.rule, shown at that field.
    const rule = screening.getByLabel('Results 1: Rule *', { exact: true });
    await expectText(page.getByTestId('problem').first(), /The server answered 400/);
    await page.waitForFunction(() => document.querySelector('[id$="results-0-rule"]')?.getAttribute('aria-invalid') === 'true');
    await expectText(screening.locator('[id$="results-0-rule-error"]'), /rule/);
    await rule.fill('lead-country-eligible');
    await screening.getByLabel('Results 1: Passed', { exact: true }).check();
    await screening.getByLabel('Results 1: Note *', { exact: true }).fill('Lead organisation based in Palestine');
    await screening.getByRole('button', { name: 'Submit' }).click();
    await expectText(column('under-review'), /Housing rights/);
    expect((await world.call<{ status: string; eligible: boolean }>(MANAGER, 'GET', `/proposals/${proposalId}`)).eligible).toBe(true);
  });

  it('assigns a reviewer and, once reviewed, records the consensus', async () => {
    await form('Assign a reviewer').getByLabel('Reviewer *', { exact: true }).fill(REVIEWER.id);
    await form('Assign a reviewer').getByRole('button', { name: 'Submit' }).click();
    await world.until<{ reviewersAssigned: number }>(MANAGER, `/proposals/${proposalId}`, (p) => p.reviewersAssigned === 1);
    await world.call(REVIEWER, 'POST', `/proposals/${proposalId}/reviews`, REVIEW);
    await world.until<{ reviewCount: number }>(MANAGER, `/proposals/${proposalId}`, (p) => p.reviewCount === 1);
    await page.reload();
    await expectText(form('Assign a reviewer'), /Reviewer/);
    // Meanwhile another manager assigns a second reviewer: the board's copy is now one version behind.
    await world.call({ id: 'gm-karim', role: 'grant-manager' }, 'POST', `/proposals/${proposalId}/reviewers`, { reviewerId: 'reviewer-sana' });
    await world.until<{ reviewersAssigned: number }>(MANAGER, `/proposals/${proposalId}`, (p) => p.reviewersAssigned === 2);
    const consensus = form('Record the consensus');
    await consensus.getByLabel('Score *', { exact: true }).fill('76.5');
    await consensus.getByLabel('Summary *', { exact: true }).fill('Panel agrees on relevance');
    await consensus.getByRole('button', { name: 'Submit' }).click();
    // Sent with If-Match: the version the board showed. Refused, nothing recorded, the board reloads the proposal.
    await expectText(consensus.getByTestId('problem'), /The server answered 409/);
    expect((await world.call<{ consensusScore: number | null }>(MANAGER, 'GET', `/proposals/${proposalId}`)).consensusScore ?? null).toBeNull();
    await consensus.getByRole('button', { name: 'Submit' }).click();
    await expectText(consensus.getByRole('status'), /Done: the server recorded it/);
    await expectText(column('under-review'), /Rank 1 · Consensus 76\.5 · Reviews 1 \(average \d+(\.\d+)?\)/);
  });

  it('decides: a broken rule is shown as the server states it and in the board\'s units, then the award goes through and commits funds', async () => {
    const decision = form('Record the funding decision');
    await decision.getByLabel('Decision *').selectOption({ label: 'Award' });
    // Typed in euros, as the board shows amounts: sent as 9000000 cents.
    await decision.getByLabel('Amount (EUR)').fill('90,000.00');
    await decision.getByLabel('Reasons *').fill('Strong network, clear advocacy targets');
    await decision.getByLabel('Committee *').fill('Grants committee, session 1');
    await decision.getByRole('button', { name: 'Submit' }).click();
    await expectText(decision.getByTestId('problem'), /The server answered 422.*proposal\.award\.(outside-call-range|exceeds-request)/);
    // Said in the board's units too (the server's detail counts cents: "Award 9000000 exceeds the requested 6000000").
    await expectText(decision.getByTestId('problem'), /The award may not be more than the amount requested: €60,000\.00\.|This call awards from €[\d,.]+ to €[\d,.]+\./);
    await screenshot(page, 'grant-manager-problem-details');
    await decision.getByLabel('Amount (EUR)').fill('60,000');
    await decision.getByRole('button', { name: 'Submit' }).click();
    await expectText(column('awarded'), /Housing rights/);
    // The board waits for the award workflow (the call commits the funds) before it shows the
    // outcome: the budget moves without a reload.
    await expectText(page.getByTestId('budget'), /€60,000\.00 committed, €140,000\.00 remaining/);
    const proposal = await world.call<{ status: string; award?: { status: string } }>(MANAGER, 'GET', `/proposals/${proposalId}`);
    expect(proposal).toMatchObject({ status: 'awarded', award: { status: 'awarded' } });
    await screenshot(page, 'grant-manager-board');
  });

  it('lists the grant portfolio with the overdue report first', async () => {
    const { award } = await world.call<{ award: { grantId: string } }>(MANAGER, 'GET', `/proposals/${proposalId}`);
    // Awarded on 2027-02-01 (the API's clock), a report due that day is overdue from the next: the
    // clock moves on ten days (a due date before the award is refused: grant.date.outside-grant-window).
    await world.call(MANAGER, 'POST', `/grants/${award.grantId}/reports`, { kind: 'interim', dueDate: '2027-02-01' });
    world.t.clock.set('2027-02-11T10:00:00.000Z');
    try {
      await world.until<{ overdue: boolean }>(MANAGER, `/grants/${award.grantId}`, (g) => g.overdue);
      await page.getByRole('link', { name: 'Grant portfolio' }).click();
      await page.getByLabel('Only grants with an overdue report').check();
      const card = page.locator('.card.overdue');
      // The grant goes by its proposal's title and names its grantee, both from the grant list itself.
      await expectText(card, /Housing rights for minorities.*Awda Housing Justice · .*Report overdue \(due 1 Feb 2027\)/);
      expect(await page.locator('ul.cards > li').count()).toBe(1);
    } finally {
      world.t.clock.set(CONSOLE_NOW);
    }
  });

  it('labels every control, and can be driven from the keyboard alone', async () => {
    await page.getByRole('link', { name: 'Board' }).click();
    await page.getByLabel('Call', { exact: true }).selectOption(callId);
    await column('submitted').getByRole('link', { name: /Representation/ }).waitFor();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((element) => {
          const control = element as HTMLInputElement;
          const name = (control.labels?.length ? [...control.labels].map((label) => label.textContent).join(' ') : '') || control.getAttribute('aria-label') || (element.tagName === 'BUTTON' ? element.textContent : '');
          return !name?.trim();
        })
        .map((element) => element.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
    // Tab to the other submitted proposal's link and open it with Enter: its screening form appears.
    const link = column('submitted').getByRole('link', { name: /Representation/ });
    for (let i = 0; i < 40 && !(await link.evaluate((element) => element === document.activeElement)); i += 1) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expectText(page.locator('#actions-heading'), /Act on “Representation of religious minorities/);
    await form('Screen eligibility').waitFor();
  });

  it('ran without a policy violation or a script error', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
