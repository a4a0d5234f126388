/**
 * What the console does with what a person types and reads, in a real browser, on a call in KWD
 * (three decimals). An amount typed in English and sent after switching to French is sent as typed
 * (fifteen hundred, never 1.5), in the tranche, budget and decision forms alike, and the form says
 * the amounts were shown again in French style. The budget form's amount hints are the console's
 * words in major units (not the API's "Minor units…"), and a budget that does not add up is
 * explained in the grant's money. A long unbroken title stays inside its board column (English and
 * Arabic); on a 360 px phone the grant panel does not scroll sideways and its amounts stay whole.
 * User text is isolated (<bdi>). An action on the board is confirmed in a notice that takes the
 * focus. A double click sends a review once and fetches the evidence bundle once.
 */
import type { Browser, Page, Request } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, decideAward, MANAGER, REVIEWER, reviewAndAgree, screenAndAssign, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectShown, expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

interface GrantBody {
  status: string;
  amountMinor: number;
  budget: { lines: { budgetLine: string; amountMinor: number }[] } | null;
  tranches: { amountMinor: number; dueDate: string }[];
}

const LONG_TITLE = `Networks${'x'.repeat(192)}`;

describe('console in a browser: typed amounts, hints, long text and confirmations', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let callId: string;
  let grantId: string;
  let decideId: string;
  let longId: string;
  let reviewId: string;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(
      world,
      { granted: 'Legal aid for evictions', decide: 'Community radio for minorities', long: LONG_TITLE, review: 'Archive of minority languages' },
      { currency: 'KWD', callTitle: 'Small grants in KWD' },
    );
    callId = seeded.callId;
    decideId = seeded.proposals.decide;
    longId = seeded.proposals.long;
    reviewId = seeded.proposals.review;
    await decideAward(world, seeded.proposals.granted);
    await reviewAndAgree(world, decideId);
    await screenAndAssign(world, reviewId);
    grantId = (await world.call<{ award: { grantId: string } }>(MANAGER, 'GET', `/proposals/${seeded.proposals.granted}`)).award.grantId;
    // Signed: the grant is active, so a tranche may be scheduled.
    await world.call(MANAGER, 'POST', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.status === 'active');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await signIn(page, world.baseUrl, await world.token(MANAGER));
    await page.locator('#call-select').waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const form = (name: string | RegExp) => page.getByRole('form', { name });
  const grantNow = () => world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`);
  const openGrant = async () => {
    await page.evaluate((hash) => (location.hash = hash), `#/portfolio/${grantId}`);
    await page.getByTestId('grant').waitFor();
    await expectText(page.locator('#grant-title'), /Legal aid for evictions/);
  };
  const language = (code: string) => page.getByRole('combobox', { name: /Language|Langue|اللغة/ }).selectOption(code);

  it('sends a tranche typed in English as typed after switching to French: 1,500 KWD, never 1.5', async () => {
    await openGrant();
    await page.getByRole('button', { name: 'Schedule a tranche' }).click();
    const tranche = form('Schedule a tranche');
    await tranche.getByLabel('Amount (KWD) *').fill('1,500');
    await tranche.getByLabel('Due date *').fill('2027-06-01');
    await language('fr');
    const french = form('Programmer une tranche');
    // Shown again in French style, the same value; and the form says so.
    await expectText(french.getByTestId('amounts-restyled'), /Les montants saisis sont affichés/);
    expect((await french.getByLabel('Montant (KWD) *').inputValue()).replace(/\s/g, ' ')).toBe('1 500');
    await french.getByRole('button', { name: 'Envoyer' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Enregistré : Programmer une tranche/);
    expect((await grantNow()).tranches.map((t) => t.amountMinor)).toEqual([1_500_000]);
    await language('en');
  });

  it('hints the budget’s amounts in KWD (major units), explains a budget that does not add up in KWD, and sends lines typed before a switch as typed', async () => {
    await page.getByRole('button', { name: 'Agree the budget' }).click();
    const budget = form('Agree the budget');
    const amountHint = budget.locator('[id$="lines-0-amountMinor-hint"]');
    await expectText(amountHint, /^In KWD, with at most 3 decimal places \(e\.g\. 50,000\.000\); the lines add up to the grant’s amount$/);
    await expectText(budget.locator('[id$="lines-0-budgetLine-hint"]'), /never published/);
    expect(await budget.textContent()).not.toMatch(/Minor units|Free text/);
    await budget.getByLabel('Budget lines 1: Budget line *', { exact: true }).fill('Hearings');
    await budget.getByLabel('Budget lines 1: Amount (KWD) *', { exact: true }).fill('4,000');
    await budget.getByRole('button', { name: 'Add' }).click();
    await budget.getByLabel('Budget lines 2: Budget line *', { exact: true }).fill('Legal aid');
    await budget.getByLabel('Budget lines 2: Amount (KWD) *', { exact: true }).fill('1,000');
    await budget.getByRole('button', { name: 'Submit' }).click();
    await expectText(budget.getByTestId('problem'), /The lines add up to KWD\s5,000\.000, not to the grant’s amount of KWD\s6,000\.000\./);
    await budget.getByLabel('Budget lines 2: Amount (KWD) *', { exact: true }).fill('2,000');
    // In French the hint is French, and the lines typed in English are sent as typed.
    await language('fr');
    const french = form('Convenir du budget');
    await expectText(french.locator('[id$="lines-0-amountMinor-hint"]'), /^En KWD, au plus 3 décimales/);
    await french.getByRole('button', { name: 'Envoyer' }).click();
    await expectText(page.getByTestId('grant-recorded'), /Enregistré : Convenir du budget/);
    expect((await grantNow()).budget?.lines).toEqual([
      { budgetLine: 'Hearings', amountMinor: 4_000_000 },
      { budgetLine: 'Legal aid', amountMinor: 2_000_000 },
    ]);
    await language('en');
  });

  it('keeps the grant panel inside a 360 px phone: no sideways scroll, amounts never wrapped mid-number', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await openGrant();
      await expectShown(page.getByTestId('tranches'), /KWD\s1,500\.000/);
      await expectShown(page.getByTestId('budget'), /Hearings/);
      const widths = await page.evaluate(() => ({ document: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth }));
      await screenshot(page, 'console-input-grant-360');
      expect(widths.document).toBeLessThanOrEqual(widths.viewport);
      // Each amount and date in a table is one line: "KWD 1,500.000", never "KWD 1,500 / .000".
      const wrapped = await page.evaluate(() =>
        [...document.querySelectorAll('td.num')]
          .filter((cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size > 1;
          })
          .map((cell) => cell.textContent),
      );
      expect(wrapped).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('sends a decision’s amount typed in English as typed after switching to French', async () => {
    await page.evaluate((hash) => (location.hash = hash), `#/board/${callId}/${decideId}`);
    const decision = form('Record the funding decision');
    await decision.getByLabel('Decision *').selectOption({ label: 'Award' });
    await decision.getByLabel('Amount (KWD)').fill('5,000');
    await decision.getByLabel('Reasons *').fill('Strong network');
    await decision.getByLabel('Committee *').fill('Grants committee, session 2');
    await language('fr');
    const french = form('Enregistrer la décision de financement');
    await expectText(french.getByTestId('amounts-restyled'), /Les montants saisis/);
    await french.getByRole('button', { name: 'Envoyer' }).click();
    const decided = await world.until<{ decision?: { amountMinor?: number } }>(MANAGER, `/proposals/${decideId}`, (p) => p.decision !== undefined && p.decision !== null);
    expect(decided.decision?.amountMinor).toBe(5_000_000);
    await language('en');
  });

  it('keeps a card with a 200-character unbroken title inside its column, in English and in Arabic, its title isolated', async () => {
    await page.evaluate((hash) => (location.hash = hash), `#/board/${callId}`);
    const column = page.locator('[data-column="submitted"]');
    const card = column.locator('li.card', { hasText: 'Networksxxx' });
    await card.waitFor();
    // The title is user text: isolated from what is around it.
    expect(await card.locator('a > bdi').textContent()).toBe(LONG_TITLE);
    for (const code of ['en', 'ar']) {
      await language(code);
      await page.waitForFunction((dir) => document.documentElement.dir === dir, code === 'ar' ? 'rtl' : 'ltr');
      const boxes = await page.evaluate(() => {
        const box = (element: Element | null) => element!.getBoundingClientRect();
        const columnBox = box(document.querySelector('[data-column="submitted"]'));
        const cardBox = box(document.querySelector('[data-column="submitted"] li.card'));
        const next = box(document.querySelector('[data-column="under-review"]'));
        const title = document.querySelector('[data-column="submitted"] li.card a')!;
        return {
          column: { left: columnBox.left, right: columnBox.right },
          card: { left: cardBox.left, right: cardBox.right },
          title: { left: box(title).left, right: box(title).right, scroll: title.scrollWidth, client: (title as HTMLElement).offsetWidth },
          next: { left: next.left, right: next.right, top: next.top },
          columnTop: columnBox.top,
        };
      });
      await screenshot(page, `console-input-long-title-${code}`);
      expect(boxes.card.left).toBeGreaterThanOrEqual(boxes.column.left - 0.5);
      expect(boxes.card.right).toBeLessThanOrEqual(boxes.column.right + 0.5);
      expect(boxes.title.left).toBeGreaterThanOrEqual(boxes.card.left - 0.5);
      expect(boxes.title.right).toBeLessThanOrEqual(boxes.card.right + 0.5);
      // The next column (same row) does not overlap this one.
      if (Math.abs(boxes.next.top - boxes.columnTop) < 1) expect(boxes.next.left >= boxes.column.right - 0.5 || boxes.next.right <= boxes.column.left + 0.5).toBe(true);
    }
    await language('en');
    await expectText(page.locator('#board-title'), /Grant manager’s board/);
  });

  it('confirms an action taken on the board by keyboard in a notice that takes the focus', async () => {
    await page.evaluate((hash) => (location.hash = hash), `#/board/${callId}/${longId}`);
    const screening = form('Screen eligibility');
    await screening.getByLabel('Results 1: Rule *', { exact: true }).fill('lead-country-eligible');
    await screening.getByLabel('Results 1: Passed', { exact: true }).check();
    await screening.getByLabel('Results 1: Note *', { exact: true }).fill('Lead based in Palestine');
    // The note is a text area (up to 2,000 characters: Enter is a new line there); the keyboard submits from the button.
    await screening.getByRole('button', { name: 'Submit' }).press('Enter');
    const notice = page.getByTestId('board-recorded');
    await expectText(notice, /^Recorded: Screen eligibility\. The board shows it\.$/);
    expect(await notice.getAttribute('role')).toBe('status');
    await expectText(page.locator('[data-column="under-review"]'), /Networksxxx/);
    await form('Assign a reviewer').waitFor();
    // The form that had the focus is gone: the focus is on the notice, not lost to <body>.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('board-recorded');
    // The action heading isolates the title too.
    expect(await page.locator('#actions-heading bdi').textContent()).toBe(LONG_TITLE);
  });

  it('sends a review once when its button is double-clicked', async () => {
    const reviewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const reviewerProblems = watchConsole(reviewer);
    const posts: Request[] = [];
    reviewer.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/proposals/${reviewId}/reviews`)) posts.push(request);
    });
    try {
      await signIn(reviewer, world.baseUrl, await world.token(REVIEWER));
      await reviewer.evaluate((hash) => (location.hash = hash), `#/reviews/${reviewId}`);
      const review = reviewer.getByRole('form', { name: 'Submit the review' });
      await review.getByLabel('Relevance to the policy issue (0–10)').fill('8');
      await review.getByLabel('Strength of the network (0–10)').fill('7');
      await review.getByLabel('Recommendation *').selectOption('fund');
      await review.getByRole('button', { name: 'Submit the review' }).dblclick();
      await expectText(reviewer.getByTestId('queue-notice'), /Archive of minority languages/);
      await reviewer.waitForTimeout(300);
      expect(posts).toHaveLength(1);
      expect(reviewerProblems).toEqual([]);
    } finally {
      await reviewer.close();
    }
  });

  it('fetches the evidence bundle once when its button is double-clicked', async () => {
    const auditor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const auditorProblems = watchConsole(auditor);
    const bundles: Request[] = [];
    auditor.on('request', (request) => {
      if (request.url().endsWith('/bundle')) bundles.push(request);
    });
    try {
      await signIn(auditor, world.baseUrl, await world.token(AUDITOR));
      await auditor.evaluate((hash) => (location.hash = hash), `#/audit/proposal/${decideId}`);
      const button = auditor.getByRole('button', { name: 'Download the evidence bundle' });
      await button.dblclick();
      await expectText(auditor.getByTestId('bundle-ready'), /\.tar/);
      await auditor.waitForTimeout(500);
      expect(bundles).toHaveLength(1);
      expect(auditorProblems).toEqual([]);
    } finally {
      await auditor.close();
    }
  });

  it('ran without a script error', () => {
    // The one refusal asked for: the budget that did not add up (422).
    expect(problems.filter((problem) => !/status of 422/.test(problem))).toEqual([]);
  });
});
