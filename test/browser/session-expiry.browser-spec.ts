/**
 * A token's expiry, in a real browser whose clock is moved on (Playwright's clock; the API's tokens
 * stay valid in real time): the console warns five minutes before (English, then French), signs the
 * tab out at the expiry itself — before any request meets a 401 — and keeps what was typed in the
 * board's decision form on the page only (neither sessionStorage nor localStorage holds it, nor the
 * token), so the same manager signing in again with a new token finds it and sends it. The warning
 * offers to renew the sign-in before it ends; another person signing in, or a sign-out, starts afresh.
 */
import { authConfigFromEnv, signToken, type Actor } from '@app/platform';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type ConsoleWorld, MANAGER, reviewAndAgree, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

const OTHER_MANAGER: Actor = { id: 'gm-yasmine', role: 'grant-manager' };
const REASONS = 'Below the funding line: the budget of Hassan Khalil’s team is not explained';

/** A token valid for `ttl` from now (real time), as `npm run token` signs them. */
const tokenFor = (actor: Actor, ttl: string) => signToken(actor, authConfigFromEnv({}), ttl);

describe('console in a browser: a token’s expiry warned before, and what was typed kept across the sign-in again', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let callId: string;
  let decideId: string;
  let otherId: string;
  const unauthorized: string[] = [];

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { decide: 'Legal aid for evictions', other: 'Community radio for minorities' });
    callId = seeded.callId;
    decideId = seeded.proposals.decide;
    otherId = seeded.proposals.other;
    await reviewAndAgree(world, decideId);
    await reviewAndAgree(world, otherId);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    page.on('response', (response) => {
      if (response.status() === 401) unauthorized.push(response.url());
    });
    // The page's clock starts now and runs on its own; the test moves it on by hours at once.
    await page.clock.install({ time: new Date() });
    await signIn(page, world.baseUrl, await tokenFor(MANAGER, '1h'));
    await page.locator('#call-select').waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const language = (code: string) => page.getByRole('combobox', { name: /Language|Langue|اللغة/ }).selectOption(code);
  const go = (hash: string) => page.evaluate((h) => (location.hash = h), hash);
  const decision = () => page.getByRole('form', { name: 'Record the funding decision' });
  /** When the signed-in token expires (its `exp`, as the console reads it from the tab's storage). */
  const expiresAt = () =>
    page.evaluate(() => {
      const token = sessionStorage.getItem('grant-ledger-console-token') ?? '';
      return (JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number }).exp * 1000;
    });
  const stored = () => page.evaluate(() => JSON.stringify({ session: { ...sessionStorage }, local: { ...localStorage } }));

  it('warns five minutes before the token expires, in the reader’s language, and not before', async () => {
    await go(`#/board/${callId}/${decideId}`);
    await decision().getByLabel('Decision *').selectOption({ label: 'Reject' });
    await decision().getByLabel('Reasons *').fill(REASONS);
    await decision().getByLabel('Committee *').fill('Grants committee, session 3');
    await page.clock.fastForward('50:00');
    await page.waitForTimeout(300);
    expect(await page.getByTestId('expiry-warning').count()).toBe(0);
    await page.clock.fastForward('06:00');
    const warning = page.getByTestId('expiry-warning');
    await expectText(warning, /^Your sign-in ends in [1-4] minutes?\. Send what you are typing before then, or renew the sign-in now with a new token: nothing typed is lost\./);
    expect(await warning.getAttribute('role')).toBe('alert');
    await language('fr');
    await expectText(warning, /^Votre connexion prend fin dans [1-4] minutes?\. Envoyez ce que vous saisissez d’ici là/);
    await language('en');
    await screenshot(page, 'session-expiry-warning');
  });

  it('signs the tab out at the expiry itself, keeps the typed text on the page only, and the same manager finds it after signing in again', async () => {
    await page.clock.fastForward('05:00');
    await expectText(page.getByTestId('sign-in'), /Your sign-in has ended: the token expired\. What you typed is still on this page .*sign in again as grant manager gm-leila to carry on/);
    expect(await page.getByTestId('who').count()).toBe(0);
    expect(await page.getByTestId('views').isHidden()).toBe(true);
    // Signed out before any request met a 401; nothing typed, and no token, in the browser's storage.
    expect(unauthorized).toEqual([]);
    const storage = await stored();
    expect(storage).not.toContain('Hassan Khalil');
    expect(storage).not.toContain('Grants committee');
    expect(storage).not.toContain('grant-ledger-console-token');
    await language('fr');
    await expectText(page.getByTestId('sign-in'), /Votre connexion a pris fin : le jeton a expiré\./);
    await language('en');
    await screenshot(page, 'session-expiry-signed-out');

    await page.getByLabel('Bearer token').fill(await tokenFor(MANAGER, '3h'));
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await expectText(page.getByTestId('who'), /Signed in as grant manager gm-leila/);
    expect(await decision().getByLabel('Reasons *').inputValue()).toBe(REASONS);
    expect(await decision().getByLabel('Committee *').inputValue()).toBe('Grants committee, session 3');
    await decision().getByRole('button', { name: 'Submit' }).click();
    await expectText(page.getByTestId('board-recorded'), /Recorded: Record the funding decision/);
    const decided = await world.call<{ status: string; decision: { reasons: string } }>(MANAGER, 'GET', `/proposals/${decideId}`);
    expect(decided).toMatchObject({ status: 'rejected', decision: { reasons: REASONS } });
  });

  it('renews the sign-in from the warning without losing anything; another manager signing in starts afresh', async () => {
    await go(`#/board/${callId}/${otherId}`);
    await decision().getByLabel('Reasons *').fill('Typed by gm-leila before the renewal');
    // On to four minutes before the 3 h token (signed in the last test) expires, by the page's clock.
    await page.clock.fastForward((await expiresAt()) - (await page.evaluate(() => Date.now())) - 4 * 60_000);
    await page.getByTestId('expiry-warning').getByRole('button', { name: 'Renew the sign-in' }).click();
    await page.getByTestId('sign-in').waitFor();
    // Changing one's mind: back to the work, as it was.
    await page.getByRole('button', { name: 'Back to your work' }).click();
    expect(await decision().getByLabel('Reasons *').inputValue()).toBe('Typed by gm-leila before the renewal');
    await page.getByTestId('expiry-warning').getByRole('button', { name: 'Renew the sign-in' }).click();
    await page.getByLabel('Bearer token').fill(await tokenFor(OTHER_MANAGER, '6h'));
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await expectText(page.getByTestId('who'), /Signed in as grant manager gm-yasmine/);
    // Nothing gm-leila typed is shown to gm-yasmine.
    expect(await decision().getByLabel('Reasons *').inputValue()).toBe('');
  });

  it('signing out clears what was typed', async () => {
    await decision().getByLabel('Reasons *').fill('Typed by gm-yasmine');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').fill(await tokenFor(OTHER_MANAGER, '9h'));
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await expectText(page.getByTestId('who'), /Signed in as grant manager gm-yasmine/);
    expect(await decision().getByLabel('Reasons *').inputValue()).toBe('');
  });

  it('ran without a script error', () => {
    expect(problems).toEqual([]);
  });
});
