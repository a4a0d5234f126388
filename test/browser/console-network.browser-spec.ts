/**
 * What the console says when the server cannot be reached, in a real browser: a search that gets no
 * answer is said in the reader's language (French, Arabic), never as the browser's "Failed to
 * fetch", and offers to try again; a command typed on a device that is offline is not sent, and the
 * form says nothing was sent; a command whose answer is lost (the server recorded it, the browser
 * saw the connection fail) says its outcome is unknown, and sent again unchanged it goes with the
 * same Idempotency-Key, so the server records it once and the board shows it — also when the view
 * was read again in between (the server then refuses the key as reused, and the form says the
 * command was recorded the first time: one tranche, never two); a 503 with
 * `Retry-After` says when to try again, and its retry waits that long.
 */
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { type ConsoleWorld, decideAward, MANAGER, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

describe('console in a browser: no answer, offline, a lost answer, a 503 with Retry-After', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let callId: string;
  let lostId: string;
  let offlineId: string;
  let grantId: string;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { lost: 'Legal aid for evictions', offline: 'Community radio for minorities', granted: 'Archive of minority languages' });
    callId = seeded.callId;
    lostId = seeded.proposals.lost;
    offlineId = seeded.proposals.offline;
    await decideAward(world, seeded.proposals.granted);
    grantId = (await world.call<{ award: { grantId: string } }>(MANAGER, 'GET', `/proposals/${seeded.proposals.granted}`)).award.grantId;
    await world.call(MANAGER, 'POST', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] });
    await world.until<{ status: string }>(MANAGER, `/grants/${grantId}`, (g) => g.status === 'active');
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await signIn(page, world.baseUrl, await world.token(MANAGER));
    await page.locator('#call-select').waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const language = (code: string) => page.getByRole('combobox', { name: /Language|Langue|اللغة/ }).selectOption(code);
  const go = (hash: string) => page.evaluate((h) => (location.hash = h), hash);

  it('says a search that got no answer in the reader’s language, never “Failed to fetch”, and tries again', async () => {
    await go('#/audit');
    await page.getByRole('list', { name: 'Results' }).waitFor();
    const isSearch = (url: URL) => url.pathname === '/search';
    await page.route(isSearch, (route) => route.abort('failed'));
    await page.getByLabel('Find a call, proposal or grant by name').fill('evictions');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.locator('main [role="alert"]');
    await expectText(alert, /^No answer came from the server: the network or the server could not be reached, or the answer was lost on the way\. ?Check the connection, then try again\. ?Try again$/);
    expect(await alert.textContent()).not.toMatch(/Failed to fetch|answered 0/);
    await language('fr');
    await expectText(alert, /Aucune réponse du serveur : le réseau ou le serveur n’a pas pu être joint.*Vérifiez la connexion, puis réessayez\./);
    await language('ar');
    await expectText(alert, /لم يصل أي رد من الخادم.*تحقّق من الاتصال، ثم أعد المحاولة\./);
    await screenshot(page, 'console-network-no-answer-ar');
    await language('fr');
    // The server is back: "Réessayer" reads again, and the results show.
    await page.unroute(isSearch);
    await alert.getByRole('button', { name: 'Réessayer' }).click();
    await expectText(page.getByRole('list', { name: 'Résultats' }), /Legal aid for evictions/);
    expect(await page.locator('main [role="alert"]').count()).toBe(0);
    await language('en');
  });

  it('does not send a command while the device is offline, and says nothing was sent; online again, it is sent as typed', async () => {
    const posts: Request[] = [];
    const onRequest = (request: Request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/proposals/${offlineId}/eligibility`)) posts.push(request);
    };
    page.on('request', onRequest);
    try {
      await go(`#/board/${callId}/${offlineId}`);
      const screening = page.getByRole('form', { name: 'Screen eligibility' });
      await screening.getByLabel('Results 1: Rule *', { exact: true }).fill('lead-country-eligible');
      await screening.getByLabel('Results 1: Passed', { exact: true }).check();
      await screening.getByLabel('Results 1: Note *', { exact: true }).fill('Lead based in Lebanon');
      await context.setOffline(true);
      await screening.getByRole('button', { name: 'Submit' }).click();
      const problem = screening.getByTestId('problem');
      await expectText(problem, /^This device is offline: the server could not be reached\. ?Nothing was sent, so nothing was changed\. What you typed is still in the form: send it once the device is connected again\.$/);
      await language('fr');
      await expectText(page.getByRole('form', { name: 'Contrôler l’éligibilité' }).getByTestId('problem'), /Cet appareil est hors ligne.*Rien n’a été envoyé, donc rien n’a été modifié\./);
      await language('en');
      expect(posts).toHaveLength(0);
      expect(await screening.getByLabel('Results 1: Note *', { exact: true }).inputValue()).toBe('Lead based in Lebanon');
      await context.setOffline(false);
      await screening.getByRole('button', { name: 'Submit' }).click();
      await expectText(page.getByTestId('board-recorded'), /^Recorded: Screen eligibility\. The board shows it\.$/);
      expect(posts).toHaveLength(1);
    } finally {
      await context.setOffline(false);
      page.off('request', onRequest);
    }
  });

  it('says a command whose answer was lost may have been recorded; sent again unchanged it goes with the same Idempotency-Key and is recorded once', async () => {
    const keys: (string | undefined)[] = [];
    const isScreening = (url: URL) => url.pathname === `/proposals/${lostId}/eligibility`;
    await page.route(isScreening, async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      if (keys.length === 1) {
        // The server gets the command and records it; its answer never reaches the page.
        const answer = await route.fetch();
        expect(answer.status()).toBe(200);
        await route.abort('failed');
      } else {
        await route.continue();
      }
    });
    try {
      await go(`#/board/${callId}/${lostId}`);
      const screening = page.getByRole('form', { name: 'Screen eligibility' });
      await screening.getByLabel('Results 1: Rule *', { exact: true }).fill('lead-country-eligible');
      await screening.getByLabel('Results 1: Passed', { exact: true }).check();
      await screening.getByLabel('Results 1: Note *', { exact: true }).fill('Lead based in Palestine');
      await screening.getByRole('button', { name: 'Submit' }).click();
      const problem = screening.getByTestId('problem');
      await expectText(problem, /^No answer came from the server.*Whether it was recorded is not known: the server may have recorded it and only its answer been lost\. Sending it again unchanged is safe: it goes with the same Idempotency-Key/);
      expect(await problem.textContent()).not.toMatch(/Failed to fetch|nothing was changed/i);
      await language('fr');
      await expectText(page.getByRole('form', { name: 'Contrôler l’éligibilité' }).getByTestId('problem'), /On ne sait pas si cela a été enregistré.*même clé Idempotency-Key/);
      await language('en');
      await screenshot(page, 'console-network-lost-answer');
      // Sent again as it stands: the same key, and the server answers as it did the first time.
      await screening.getByRole('button', { name: 'Submit' }).click();
      await expectText(page.getByTestId('board-recorded'), /^Recorded: Screen eligibility\. The board shows it\.$/);
      await expectText(page.locator('[data-column="under-review"]'), /Legal aid for evictions/);
    } finally {
      await page.unroute(isScreening);
    }
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^console-[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    const history = await world.call<{ items: { type: string }[] }>(MANAGER, 'GET', `/audit/streams/proposal-${lostId}?limit=500`);
    expect(history.items.filter((event) => event.type === 'EligibilityScreened')).toHaveLength(1);
  });

  it('after a lost answer and the grant read again, the same tranche sent again is not recorded twice, and the form says it was recorded the first time', async () => {
    const keys: (string | undefined)[] = [];
    const isTranche = (url: URL) => url.pathname === `/grants/${grantId}/disbursements`;
    await page.route(isTranche, async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      if (keys.length === 1) {
        const answer = await route.fetch();
        expect(answer.status()).toBe(201);
        await route.abort('failed');
      } else {
        await route.continue();
      }
    });
    const schedule = async () => {
      await page.getByRole('button', { name: 'Schedule a tranche' }).click();
      const tranche = page.getByRole('form', { name: 'Schedule a tranche' });
      await tranche.getByLabel('Amount (EUR) *').fill('15,000');
      await tranche.getByLabel('Due date *').fill('2027-06-01');
      await tranche.getByRole('button', { name: 'Submit' }).click();
      return tranche.getByTestId('problem');
    };
    try {
      await go(`#/portfolio/${grantId}`);
      await page.getByTestId('grant').waitFor();
      await expectText(await schedule(), /Whether it was recorded is not known/);
      // The manager leaves and comes back: the grant is read again (the tranche shows, at a newer version).
      await go('#/portfolio');
      await go(`#/portfolio/${grantId}`);
      await expectText(page.getByTestId('tranches'), /15,000\.00/);
      const problem = await schedule();
      await expectText(problem, /^The server answered 422: Idempotency-Key reused ?This command was recorded when it was first sent, and its answer was lost on the way: the server did not record it a second time\./);
      expect(await problem.textContent()).not.toMatch(/use a new key/);
      await language('fr');
      await expectText(page.getByRole('form', { name: 'Programmer une tranche' }).getByTestId('problem'), /Cette commande a été enregistrée lors de son premier envoi/);
      await language('en');
    } finally {
      await page.unroute(isTranche);
    }
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    const grant = await world.call<{ tranches: { amountMinor: number }[] }>(MANAGER, 'GET', `/grants/${grantId}`);
    expect(grant.tranches.map((t) => t.amountMinor)).toEqual([1_500_000]);
  });

  it('says when to try again after a 503 with Retry-After (in English and Arabic), and its retry waits that long', async () => {
    let served = 0;
    const isRanking = (url: URL) => url.pathname === `/calls/${callId}/ranking`;
    await page.route(isRanking, async (route) => {
      served += 1;
      if (served > 1) return route.continue();
      return route.fulfill({
        status: 503,
        headers: { 'Retry-After': '3', 'Content-Type': 'application/problem+json' },
        body: JSON.stringify({
          type: 'https://grant-ledger.dev/problems/service-unavailable',
          title: 'Service unavailable',
          status: 503,
          detail: 'A service this request needs is unavailable for a moment. Retry after the number of seconds in Retry-After.',
          instance: `/calls/${callId}/ranking`,
        }),
      });
    });
    try {
      await go('#/board');
      await go(`#/board/${callId}`);
      const alert = page.locator('section[aria-labelledby="board-title"] > [role="alert"]');
      await expectText(alert, /^The server is unavailable for a moment\. ?Try again in 3 seconds\./);
      const retry = alert.getByRole('button', { name: 'Try again' });
      expect(await retry.isDisabled()).toBe(true);
      await language('ar');
      await expectText(alert, /الخادم غير متاح لبعض الوقت\..*أعد المحاولة بعد 3 ثوانٍ\./);
      await language('en');
      // Enabled once the wait the server asked for is over, and not before.
      await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid="retry"]')?.disabled, undefined, { timeout: 6000 });
      await retry.click();
      await expectText(page.getByTestId('budget'), /Budget/);
      expect(await alert.count()).toBe(0);
      expect(served).toBe(2);
    } finally {
      await page.unroute(isRanking);
    }
  });

  it('ran without a script error (only the failures the tests caused were logged)', () => {
    expect(problems.filter((problem) => !/Failed to load resource|net::ERR_|status of 422/.test(problem))).toEqual([]);
  });
});
