/**
 * The funding decision's amount in a real browser: typed in major units of the call's currency
 * (as the board shows amounts), the currency beside the field, converted exactly to the minor
 * units the API keeps (ISO 4217 digits: LBP 2, KWD 3, JPY 0), in the reader's language; an amount
 * with more decimals than the currency has is refused before anything is sent. The board's forms
 * speak the reader's language, not the OpenAPI document's English.
 */
import type { Browser, Page } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, decideAward, MANAGER, reviewAndAgree, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, signIn, watchConsole } from './support/browser';

describe('console in a browser: the decision’s amount, in the call’s currency', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const calls: Record<string, { callId: string; proposalId: string; submittedId: string }> = {};

  beforeAll(async () => {
    world = await startConsoleWorld();
    for (const currency of ['LBP', 'KWD', 'JPY']) {
      const seeded = await seedSubmittedProposals(
        world,
        { decided: `Legal aid for evictions (${currency})`, screened: `Community radio for minorities (${currency})` },
        { currency, callTitle: `Small grants in ${currency}` },
      );
      await reviewAndAgree(world, seeded.proposals.decided);
      calls[currency] = { callId: seeded.callId, proposalId: seeded.proposals.decided, submittedId: seeded.proposals.screened };
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await signIn(page, world.baseUrl, await world.token(MANAGER));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  // Each test starts in English, whatever language a test before it left the page in.
  beforeEach(async () => {
    await page.locator('#language').selectOption('en');
  });

  const open = async (currency: string, which: 'proposalId' | 'submittedId' = 'proposalId') => {
    await page.evaluate((hash) => (location.hash = hash), `#/board/${calls[currency].callId}/${calls[currency][which]}`);
    await page.locator('#actions-heading').waitFor();
  };
  const decided = async (currency: string) =>
    (await world.call<{ decision: { amountMinor?: number } }>(AUDITOR, 'GET', `/audit/decisions/${calls[currency].proposalId}`, undefined, [200, 404])).decision?.amountMinor;

  it('LBP (2 digits), in French: "5 000,02" is sent as 500002, exactly', async () => {
    await page.getByLabel('Language').selectOption('fr');
    await open('LBP');
    const form = page.getByRole('form', { name: 'Enregistrer la décision de financement' });
    await expectText(form.getByTestId('amount-currency'), /^LBP$/);
    await expectText(form, /en LBP, au plus 2 décimales \(par ex\. 50\s000,00\)/);
    await form.getByLabel('Décision *').selectOption({ label: 'Accorder' });
    // 5000.02 × 100 is 500002.00000000006 in floating point: only an exact conversion sends an integer.
    await form.getByLabel('Montant (LBP)').fill('5 000,02');
    await form.getByLabel('Motifs *').fill('Classée première');
    await form.getByLabel('Comité *').fill('Comité des subventions, séance 1');
    await form.getByRole('button', { name: 'Envoyer' }).click();
    await expectText(page.locator('[data-column="awarded"]'), /Legal aid for evictions \(LBP\)/);
    expect(await decided('LBP')).toBe(500_002);
    await expectText(page.getByTestId('budget'), /: 5\s000,02\s£LB engagés/);
    await page.getByLabel('Langue').selectOption('en');
  });

  it('KWD (3 digits): a fourth decimal is refused before anything is sent, then "512.002" is sent as 512002', async () => {
    await open('KWD');
    const form = page.getByRole('form', { name: 'Record the funding decision' });
    await expectText(form.getByTestId('amount-currency'), /^KWD$/);
    await form.getByLabel('Decision *').selectOption({ label: 'Award' });
    await form.getByLabel('Amount (KWD)').fill('512.0021');
    await form.getByLabel('Reasons *').fill('Ranked first');
    await form.getByLabel('Committee *').fill('Grants committee, session 1');
    await form.getByRole('button', { name: 'Submit' }).click();
    await expectText(form.getByTestId('problem'), /Not an amount in KWD: type digits with at most 3 decimal places, e\.g\. 50,000\.000\./);
    expect(await form.getByLabel('Amount (KWD)').getAttribute('aria-invalid')).toBe('true');
    expect(await decided('KWD')).toBeUndefined();
    // 512.002 × 1000 is 512001.99999999994 in floating point.
    await form.getByLabel('Amount (KWD)').fill('512.002');
    await form.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.locator('[data-column="awarded"]'), /Legal aid for evictions \(KWD\)/);
    expect(await decided('KWD')).toBe(512_002);
    await expectText(page.getByTestId('budget'), /KWD\s512\.002 committed/);
  });

  it('JPY (no minor unit): decimals are refused, "5,500,000" is sent as 5500000', async () => {
    await open('JPY');
    const form = page.getByRole('form', { name: 'Record the funding decision' });
    await expectText(form.getByTestId('amount-currency'), /^JPY$/);
    await form.getByLabel('Decision *').selectOption({ label: 'Award' });
    await form.getByLabel('Amount (JPY)').fill('5500000.5');
    await form.getByLabel('Reasons *').fill('Ranked first');
    await form.getByLabel('Committee *').fill('Grants committee, session 1');
    await form.getByRole('button', { name: 'Submit' }).click();
    await expectText(form.getByTestId('problem'), /Not an amount in JPY: type digits with at most 0 decimal places/);
    expect(await decided('JPY')).toBeUndefined();
    await form.getByLabel('Amount (JPY)').fill('5,500,000');
    await form.getByRole('button', { name: 'Submit' }).click();
    await expectText(page.locator('[data-column="awarded"]'), /Legal aid for evictions \(JPY\)/);
    expect(await decided('JPY')).toBe(5_500_000);
  });

  it('an award the call cannot fund: the board says why, and the proposal is back under review', async () => {
    // Three awards of 60,000.00 take 180,000.00 of the 200,000.00 budget: a fourth cannot be funded.
    const full = await seedSubmittedProposals(world, { a: 'Shelter network A', b: 'Shelter network B', c: 'Shelter network C', d: 'Shelter network D' }, { callTitle: 'Small grants, nearly spent' });
    for (const key of ['a', 'b', 'c']) await decideAward(world, full.proposals[key]);
    await reviewAndAgree(world, full.proposals.d);
    await page.evaluate((hash) => (location.hash = hash), `#/board/${full.callId}/${full.proposals.d}`);
    const form = page.getByRole('form', { name: 'Record the funding decision' });
    await form.getByLabel('Decision *').selectOption({ label: 'Award' });
    await form.getByLabel('Amount (EUR)').fill('60,000');
    await form.getByLabel('Reasons *').fill('Ranked fourth');
    await form.getByLabel('Committee *').fill('Grants committee, session 2');
    await form.getByRole('button', { name: 'Submit' }).click();
    await expectText(
      page.getByTestId('award-outcome'),
      /^The award of €60,000\.00 \(.+\) was not funded: the call had €20,000\.00 left\. The proposal is back where it was; decide again\.$/,
    );
    const { award } = await world.call<{ award: { status: string; reason: string } }>(MANAGER, 'GET', `/proposals/${full.proposals.d}`);
    expect(award).toMatchObject({ status: 'funds-unavailable', reason: 'call.budget.exceeded', remainingMinor: 2_000_000 });
    await expectText(page.locator('[data-column="under-review"]'), /Shelter network D/);
    expect(await page.locator('[data-column="awarded"]').textContent()).not.toContain('Shelter network D');
    await page.locator('#language').selectOption('ar');
    await expectText(page.getByTestId('award-outcome'), /^لم تُموَّل المنحة البالغة .+ عاد المقترح إلى حالته السابقة؛ اتخذوا القرار من جديد\.$/);
  });

  it('labels the forms generated from the OpenAPI document in French and Arabic, enum values too', async () => {
    await open('LBP', 'submittedId');
    const english = /Rule|Passed|Note|Reviewer Id|Amount Minor|Summary|Committee|Reasons|Description|minor units/;
    await page.getByLabel('Language').selectOption('fr');
    const screening = page.getByRole('form', { name: 'Contrôler l’éligibilité' });
    await screening.getByLabel('Résultats 1: Règle *', { exact: true }).waitFor();
    await screening.getByLabel('Résultats 1: Satisfaite', { exact: true }).waitFor();
    await screening.getByLabel('Résultats 1: Note *', { exact: true }).waitFor();
    await page.getByLabel('Langue').selectOption('ar');
    const arabic = page.getByRole('form', { name: 'فحص الأهلية' });
    await arabic.getByLabel('النتائج 1: القاعدة *', { exact: true }).waitFor();
    await arabic.getByLabel('النتائج 1: ملاحظة *', { exact: true }).waitFor();
    // Under review (its decision not yet taken): reviewer, consensus and decision forms.
    const another = await seedSubmittedProposals(world, { waiting: 'Minority language schools (LBP)' }, { currency: 'LBP', callTitle: 'Small grants in LBP, second round' });
    await reviewAndAgree(world, another.proposals.waiting);
    await page.evaluate((hash) => (location.hash = hash), `#/board/${another.callId}/${another.proposals.waiting}`);
    const panel = page.locator('aside.panel');
    await panel.getByRole('form', { name: 'تسجيل قرار التمويل' }).waitFor();
    await panel.getByLabel('المراجع *', { exact: true }).waitFor();
    await expectText(panel, /معرّف المستخدم الخاص بالمراجع/);
    await panel.getByLabel('الدرجة *', { exact: true }).waitFor();
    await panel.getByLabel('الملخص *', { exact: true }).waitFor();
    await expectText(panel, /من 0 إلى 100، بمنزلتين عشريتين على الأكثر/);
    await panel.getByLabel('المبلغ (LBP)').waitFor();
    const options = await panel.getByLabel('القرار *').locator('option').allTextContents();
    expect(options).toEqual(['—', 'منح', 'رفض', 'قائمة الاحتياط']);
    await page.getByLabel('اللغة').selectOption('fr');
    await expectText(panel.getByRole('form', { name: 'Enregistrer la décision de financement' }), /Décision/);
    expect(await panel.getByLabel('Décision *').locator('option').allTextContents()).toEqual(['—', 'Accorder', 'Rejeter', 'Liste de réserve']);
    expect(await panel.getByLabel('Comité *').getAttribute('placeholder')).toBe('Comité des subventions, séance du 12 mai 2027');
    expect(english.exec((await panel.textContent()) ?? '')).toBeNull();
    await page.getByLabel('Langue').selectOption('en');
  });

  it('ran without a policy violation or a script error', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
