/**
 * What the console shows, made readable, in a real browser: the time machine's "fields that
 * differ" by their names in English and French with amounts, dates and nested records as the rest
 * of the console shows them (never raw names or JSON); the page's title per view and record, in the
 * reader's language; a search whose list is cut at 20 says so and how to narrow it; the board names
 * the reviewers assigned to the selected proposal, and its assign form refuses an id the documented
 * pattern does not allow before anything is sent.
 */
import type { Browser, Page, Request } from 'playwright-core';
import { REVIEWER_ID } from '../../apps/api/src/http/validation';
import { AUDITOR, type ConsoleWorld, CRITERIA, decideAward, MANAGER, REVIEWER, screenAndAssign, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectShown, expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

const CALL_TITLE = 'Small grants for issue-based networks';

describe('console in a browser: readable fields, page titles, a cut search, the reviewers assigned', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let callId: string;
  let awardedId: string;
  let assignedId: string;
  let grantId: string;
  /** Whether the API's own document states the reviewer id's pattern (else the test states it: see the assign test). */
  let patternDocumented = false;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { awarded: 'Legal aid for evictions', assigned: 'Community radio for minorities' }, { callTitle: CALL_TITLE });
    callId = seeded.callId;
    awardedId = seeded.proposals.awarded;
    assignedId = seeded.proposals.assigned;
    await decideAward(world, awardedId);
    await screenAndAssign(world, assignedId);
    grantId = (await world.call<{ award: { grantId: string } }>(MANAGER, 'GET', `/proposals/${awardedId}`)).award.grantId;
    // 22 draft calls whose titles share "Civic space call": more than the search shows at once.
    for (let n = 1; n <= 22; n += 1) {
      await world.call(MANAGER, 'POST', '/calls', {
        programme: 'Civic Space and Minority Rights Programme 2027',
        title: `Civic space call ${String(n).padStart(2, '0')}`,
        description: 'A call of the search test.',
        currency: 'EUR',
        budgetMinor: 20_000_000,
        minAwardMinor: 500_000,
        maxAwardMinor: 8_000_000,
        eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
        minPartners: 2,
        criteria: CRITERIA,
        reviewsRequired: 1,
        opensAt: '2027-01-15T00:00:00Z',
        closesAt: '2027-03-31T23:59:59Z',
      });
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await signIn(page, world.baseUrl, await world.token(MANAGER));
    await page.locator('#call-select').waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const language = (code: string) => page.getByRole('combobox', { name: /Language|Langue|اللغة/ }).selectOption(code);
  const go = (hash: string) => page.evaluate((h) => (location.hash = h), hash);
  const title = () => page.title();
  const untilTitle = (expected: string) => page.waitForFunction((text) => document.title === text, expected).then(() => undefined, async () => expect(await title()).toBe(expected));

  it('titles the sign-in and the board by view, call and proposal, in English, French and Arabic', async () => {
    const signInPage = await browser.newPage();
    try {
      await signInPage.goto(`${world.baseUrl}/console/`);
      await signInPage.waitForFunction(() => document.title === 'Sign in — Grant Ledger console');
      await signInPage.getByRole('combobox', { name: 'Language' }).selectOption('ar');
      await signInPage.waitForFunction(() => document.title === 'تسجيل الدخول — وحدة تحكم سجل المنح');
    } finally {
      await signInPage.close();
    }
    await go('#/board');
    await untilTitle('Grant manager’s board — Grant Ledger console');
    await go(`#/board/${callId}`);
    await untilTitle(`${CALL_TITLE} — Board — Grant Ledger console`);
    await go(`#/board/${callId}/${assignedId}`);
    await untilTitle(`Community radio for minorities — ${CALL_TITLE} — Board — Grant Ledger console`);
    await language('fr');
    await untilTitle(`Community radio for minorities — ${CALL_TITLE} — Tableau — Console Grant Ledger`);
    await language('ar');
    // Right to left, the Latin titles are isolated (FSI … PDI), as the page isolates them in <bdi>.
    await untilTitle(`\u2068Community radio for minorities\u2069 — \u2068${CALL_TITLE}\u2069 — اللوحة — وحدة تحكم سجل المنح`);
    await language('en');
    await go('#/portfolio');
    await untilTitle('Grant portfolio — Grant Ledger console');
    await go(`#/portfolio/${grantId}`);
    await untilTitle('Legal aid for evictions — grant — Grant portfolio — Grant Ledger console');
  });

  it('names the reviewers assigned to the selected proposal, with where each review stands', async () => {
    await go(`#/board/${callId}/${assignedId}`);
    const reviewers = page.getByTestId('assigned-reviewers');
    await expectShown(reviewers, /^Reviewers assigned reviewer-amal — review awaited Recuse$/);
    await language('fr');
    await expectShown(reviewers, /^Évaluateurs désignés reviewer-amal — évaluation attendue Récuser$/);
    await language('en');
  });

  it('refuses a reviewer id the documented pattern does not allow before sending it, then assigns a well-formed one and names both', async () => {
    // The pattern comes from the API's OpenAPI document (AssignReviewerDto.reviewerId.pattern). Until
    // the API states its @Matches there, the test adds it to the real document as the validation
    // holds it (REVIEWER_ID), so the console's check is exercised either way.
    await page.route(
      (url) => url.pathname === '/docs-json',
      async (route) => {
        const answer = await route.fetch();
        const document = (await answer.json()) as { components: { schemas: Record<string, { properties: Record<string, { pattern?: string }> }> } };
        const property = document.components.schemas.AssignReviewerDto.properties.reviewerId;
        patternDocumented = property.pattern !== undefined;
        property.pattern ??= REVIEWER_ID.source;
        await route.fulfill({ response: answer, json: document });
      },
    );
    const posts: Request[] = [];
    const onRequest = (request: Request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/proposals/${assignedId}/reviewers`)) posts.push(request);
    };
    page.on('request', onRequest);
    try {
      // A fresh page load, so the console reads the document through the route above.
      await page.reload();
      const assign = page.getByRole('form', { name: 'Assign a reviewer' });
      await assign.getByLabel('Reviewer *').fill('reviewer nadia');
      await assign.getByRole('button', { name: 'Submit' }).click();
      await expectText(assign.getByTestId('problem'), /^Not a reviewer id: the reviewer’s user id as in their token, 1 to 200 characters from A–Z a–z 0–9 \. _ : \| @ - and no spaces \(e\.g\. reviewer-nadia\)\. Nothing was sent\.$/);
      expect(await assign.getByLabel('Reviewer *').getAttribute('aria-invalid')).toBe('true');
      await language('fr');
      await expectText(page.getByRole('form', { name: 'Désigner un évaluateur' }).getByTestId('problem'), /^Pas un identifiant d’évaluateur/);
      await language('en');
      expect(posts).toHaveLength(0);
      await assign.getByLabel('Reviewer *').fill('reviewer-nadia');
      await assign.getByRole('button', { name: 'Submit' }).click();
      await expectText(page.getByTestId('board-recorded'), /^Recorded: Assign a reviewer\./);
      expect(posts).toHaveLength(1);
      await expectShown(page.getByTestId('assigned-reviewers'), /reviewer-amal — review awaited Recuse reviewer-nadia — review awaited Recuse/);
      await screenshot(page, 'console-readability-reviewers');
    } finally {
      page.off('request', onRequest);
      await page.unrouteAll();
    }
    console.info(`AssignReviewerDto.reviewerId.pattern in the API's document: ${patternDocumented ? 'stated' : 'absent (added by the test)'}`);
  });

  it('says when the search’s list is cut at 20, and how to narrow it; a narrower search is not cut', async () => {
    const auditor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const auditorProblems = watchConsole(auditor);
    try {
      await signIn(auditor, world.baseUrl, await world.token(AUDITOR));
      const results = auditor.getByRole('list', { name: 'Results' });
      // Opening: the records changed last, more than 20.
      await results.waitFor();
      await expectText(auditor.getByTestId('search-cut'), /^Only the 20 most recently changed records are shown: type part of a title to find another\.$/);
      await auditor.getByLabel('Find a call, proposal or grant by name').fill('civic space');
      await auditor.getByRole('button', { name: 'Search' }).click();
      await expectText(auditor.getByTestId('search-cut'), /^Only the 20 most recently changed records whose title contains “civic space” are shown, and more match: type more of the title to narrow the list\.$/);
      expect(await results.locator('li').count()).toBe(20);
      await auditor.getByRole('combobox', { name: 'Language' }).selectOption('fr');
      await expectText(auditor.getByTestId('search-cut'), /^Seuls les 20 enregistrements modifiés le plus récemment dont le titre contient « civic space » sont affichés/);
      await auditor.getByRole('combobox', { name: 'Langue' }).selectOption('en');
      await auditor.getByLabel('Find a call, proposal or grant by name').fill('civic space call 0');
      await auditor.getByRole('button', { name: 'Search' }).click();
      await auditor.waitForFunction(() => document.querySelectorAll('main ul.cards li').length === 9);
      expect(await auditor.getByTestId('search-cut').count()).toBe(0);
      expect(auditorProblems).toEqual([]);
    } finally {
      await auditor.close();
    }
  });

  it('shows the fields that differ by their names, with amounts, dates and nested records as the console shows them, in English and French', async () => {
    const history = (await world.call<{ items: { type: string }[] }>(AUDITOR, 'GET', `/audit/streams/proposal-${awardedId}?limit=500`)).items;
    const decided = history.findIndex((event) => event.type === 'FundingDecisionRecorded');
    const auditor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const auditorProblems = watchConsole(auditor);
    try {
      await signIn(auditor, world.baseUrl, await world.token(AUDITOR));
      await auditor.evaluate((hash) => (location.hash = hash), `#/audit/proposal/${awardedId}`);
      const timeline = auditor.getByTestId('timeline');
      await timeline.locator('li').nth(history.length - 1).waitFor();
      await timeline.locator('li').nth(decided - 1).getByRole('button').click();
      const table = auditor.getByTestId('changed-since').locator('table');
      const row = (field: string) => table.locator(`tr[data-field="${field}"]`);
      await expectShown(row('decision'), /^Funding decision — Funding decision: Award; Amount: €60,000\.00; Grant \(id\): [0-9a-f-]{36}; Decided: 1 Feb 2027, 10:00:00 UTC; Reasons: Strong network, clear targets; Decided by: gm-leila; Committee: Grants committee, session 1$/);
      await expectShown(row('status'), /^Status under review awarded$/);
      await expectShown(row('award'), /^Award outcome — Status: awarded; Grant \(id\): [0-9a-f-]{36}; Amount: €60,000\.00/);
      await expectShown(row('updatedAt'), /^Last changed \d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2} UTC \d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2} UTC$/);
      // No raw field name nor JSON anywhere in the table: every row is named in words.
      const text = (await table.innerText()).replace(/\s+/g, ' ');
      expect(text).not.toMatch(/[{}"]|amountMinor|decidedAt|updatedAt|grantId/);
      const names = await table.locator('th[scope="row"]').allTextContents();
      expect(names.length).toBeGreaterThan(3);
      expect(names.filter((name) => /^[a-z][A-Za-z]*$/.test(name))).toEqual([]);
      await screenshot(auditor, 'console-readability-fields');
      await auditor.getByRole('combobox', { name: 'Language' }).selectOption('fr');
      await expectShown(row('decision'), /^Décision de financement — Décision de financement : Accorder ; Montant : 60\s000,00\s€ ;/);
      await expectShown(row('updatedAt'), /^Dernière modification \d{1,2} \S+ \d{4}/);
      expect(auditorProblems).toEqual([]);
    } finally {
      await auditor.close();
    }
  });

  it('titles the time machine, and the record open in it, in English and French', async () => {
    const auditor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(auditor, world.baseUrl, await world.token(AUDITOR));
      await auditor.waitForFunction(() => document.title === 'Time machine — Grant Ledger console');
      await auditor.evaluate((hash) => (location.hash = hash), `#/audit/proposal/${awardedId}`);
      await auditor.waitForFunction(() => document.title === 'Legal aid for evictions — proposal — Time machine — Grant Ledger console');
      await auditor.getByRole('combobox', { name: 'Language' }).selectOption('fr');
      await auditor.waitForFunction(() => document.title === 'Legal aid for evictions — proposition — Machine à remonter le temps — Console Grant Ledger');
    } finally {
      await auditor.close();
    }
  });

  it('titles the reviewer’s queue by the proposal open in it', async () => {
    const reviewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(reviewer, world.baseUrl, await world.token(REVIEWER));
      await reviewer.evaluate((hash) => (location.hash = hash), `#/reviews/${assignedId}`);
      await reviewer.waitForFunction(() => document.title === 'Community radio for minorities — Reviewer’s queue — Grant Ledger console');
    } finally {
      await reviewer.close();
    }
  });

  it('ran without a script error', () => {
    expect(problems).toEqual([]);
  });
});
