/**
 * The console by role, in a real browser: each role lands on a view it can use and is offered only
 * those (partner systems are told at sign-in that the console has none for them; applicants land on
 * their own view, applicant-home.browser-spec.ts); a view
 * or an action the API would refuse the role is not offered, so no request of the page answers 403;
 * a hash for a view the role cannot use says so. Roles, record fields and the sign-in reasons in
 * French and Arabic; a token that expired before a reload signs the tab out saying why.
 */
import type { Actor } from '@app/platform';
import type { Browser, Page } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, MANAGER, REVIEWER, screenAndAssign, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, signIn, watchConsole } from './support/browser';

const ADMIN: Actor = { id: 'admin-rania', role: 'admin' };
const PARTNER: Actor = { id: 'partner-feed', role: 'partner' };

describe('console in a browser: what each role is offered', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let proposalId: string;
  const problems: string[][] = [];
  /** Every answer of the API with status 403, across the pages of this file: expected none. */
  const forbidden: string[] = [];

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, { housing: 'Housing rights for minorities in informal settlements' });
    proposalId = seeded.proposals.housing;
    await screenAndAssign(world, proposalId);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  /** A fresh tab (its own sessionStorage) signed in with the actor's token. */
  async function signedIn(actor: Actor): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems.push(watchConsole(page));
    page.on('response', (response) => response.status() === 403 && forbidden.push(`${actor.role}: ${response.request().method()} ${response.url()}`));
    await signIn(page, world.baseUrl, await world.token(actor));
    return page;
  }
  const navigation = (page: Page) => page.getByRole('navigation', { name: 'main' }).getByRole('link').allTextContents();
  const hashOf = (page: Page) => page.evaluate(() => location.hash);

  it('tells a partner system at sign-in that the console has no view for it, in its language, and asks nothing of the API', async () => {
    const page = await signedIn(PARTNER);
    await expectText(page.getByRole('alert'), /This console has no view for the role “partner”: it serves auditors, grant managers, admins, reviewers and applicants/);
    expect(await page.getByLabel('Bearer token').count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'main' }).count()).toBe(0);
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByRole('alert'), /Cette console n’a pas de vue pour le rôle « partenaire »/);
    // Not kept: a reload shows the sign-in, not a view.
    await page.reload();
    expect(await page.getByLabel('Jeton (bearer)').count()).toBe(1);
    await page.getByLabel('Langue').selectOption('en');
    await page.close();
  });

  it('tells a partner system the same, in Arabic', async () => {
    const page = await signedIn(PARTNER);
    await page.getByLabel('Language').selectOption('ar');
    await expectText(page.getByRole('alert'), /لا تتضمن هذه الوحدة واجهة لدور «شريك»/);
    await page.getByLabel('اللغة').selectOption('en');
    await page.close();
  });

  it('lands a reviewer on the review queue, offers only it, and says a board hash is not for their role', async () => {
    const page = await signedIn(REVIEWER);
    await expectText(page.locator('main h2').first(), /Reviewer’s queue/);
    expect(await hashOf(page)).toBe('#/reviews');
    expect(await navigation(page)).toEqual(['Review queue']);
    await expectText(page.getByTestId('who'), /^Signed in as reviewer reviewer-amal$/);
    for (const hash of ['#/board', `#/audit/proposal/${proposalId}`, '#/portfolio']) {
      await page.evaluate((next) => (location.hash = next), hash);
      await expectText(page.getByTestId('not-for-role'), /This view is not available for your role \(reviewer\)\. ?Go to Review queue/);
    }
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByTestId('who'), /^Connecté : évaluateur reviewer-amal$/);
    await expectText(page.getByTestId('not-for-role'), /Cette vue n’est pas disponible pour votre rôle \(évaluateur\)/);
    await page.getByLabel('Langue').selectOption('ar');
    await expectText(page.getByTestId('who'), /^متصل بصفة مراجع reviewer-amal$/);
    await page.getByLabel('اللغة').selectOption('en');
    await page.getByRole('link', { name: 'Go to Review queue' }).click();
    await expectText(page.locator('main'), /Awaiting your review.*Housing rights for minorities/);
    await page.close();
  });

  it('lands an auditor on the time machine, with verify and the evidence bundle, and no board', async () => {
    const page = await signedIn(AUDITOR);
    await expectText(page.locator('main h2').first(), /The auditor’s time machine/);
    expect(await hashOf(page)).toBe('#/audit');
    expect(await navigation(page)).toEqual(['Time machine', 'Grant portfolio']);
    await page.evaluate((id) => (location.hash = `#/audit/proposal/${id}`), proposalId);
    await page.getByRole('heading', { name: /Housing rights for minorities/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Verify the ledger' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Download the evidence bundle' }).count()).toBe(1);
    await page.evaluate(() => (location.hash = '#/board'));
    await expectText(page.getByTestId('not-for-role'), /This view is not available for your role \(auditor\)/);
    await page.close();
  });

  it('lands a grant manager on the board; the time machine offers neither verify nor the bundle, which the API refuses them', async () => {
    const page = await signedIn(MANAGER);
    await expectText(page.locator('main h2').first(), /Grant manager’s board/);
    expect(await hashOf(page)).toBe('#/board');
    expect(await navigation(page)).toEqual(['Board', 'Time machine', 'Grant portfolio']);
    await page.getByRole('link', { name: 'Time machine' }).click();
    await expectText(page.locator('main'), /Results/);
    await page.evaluate((id) => (location.hash = `#/audit/proposal/${id}`), proposalId);
    await page.getByTestId('timeline').locator('li').first().waitFor();
    await page.locator('[data-testid="as-of-record"] [data-field="status"]').waitFor();
    expect(await page.getByRole('button', { name: 'Verify the ledger' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Download the evidence bundle' }).count()).toBe(0);
    await page.evaluate(() => (location.hash = '#/reviews'));
    await expectText(page.getByTestId('not-for-role'), /This view is not available for your role \(grant manager\)\. ?Go to Board/);
    await page.close();
  });

  it('offers an admin verify (which answers) but not the bundle, for auditors only', async () => {
    const page = await signedIn(ADMIN);
    expect(await hashOf(page)).toBe('#/board');
    await page.evaluate((id) => (location.hash = `#/audit/proposal/${id}`), proposalId);
    await page.getByTestId('timeline').locator('li').first().waitFor();
    expect(await page.getByRole('button', { name: 'Download the evidence bundle' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Verify the ledger' }).click();
    await expectText(page.getByTestId('verify-result'), /^Intact: \d+ events/);
    await page.close();
  });

  it('labels the record’s fields in the reader’s language, not with the API’s field names', async () => {
    const page = await signedIn(AUDITOR);
    await page.evaluate((id) => (location.hash = `#/audit/proposal/${id}`), proposalId);
    const record = page.getByTestId('as-of-record');
    await record.locator('[data-field="status"]').waitFor();
    const raw = ['title', 'status', 'version', 'consensusScore', 'reviewCount', 'reviewersAssigned', 'updatedAt'];
    const labels = () => record.locator('dt').allTextContents();
    expect(await labels()).toEqual(expect.arrayContaining(['Title', 'Status', 'Version', 'Reviews submitted', 'Reviewers assigned', 'Last changed']));
    await page.getByLabel('Language').selectOption('fr');
    await expectText(record, /L’enregistrement aujourd’hui/);
    expect(await labels()).toEqual(expect.arrayContaining(['Titre', 'Statut', 'Version', 'Évaluations reçues', 'Évaluateurs désignés', 'Dernière modification']));
    expect((await labels()).filter((label) => raw.includes(label))).toEqual([]);
    await page.getByLabel('Langue').selectOption('ar');
    await expectText(record, /السجل الآن/);
    expect(await labels()).toEqual(expect.arrayContaining(['العنوان', 'الحالة', 'الإصدار', 'المراجعات المقدَّمة', 'المراجعون المعيَّنون', 'آخر تغيير']));
    expect((await labels()).filter((label) => raw.includes(label))).toEqual([]);
    // The timeline names the actor's role in words too.
    await expectText(page.getByTestId('timeline'), /بواسطة مدير المنح gm-leila/);
    await page.getByLabel('اللغة').selectOption('en');
    await page.close();
  });

  it('after a reload with a token that expired meanwhile, signs the tab out saying why', async () => {
    const page = await signedIn(AUDITOR);
    await expectText(page.locator('main h2').first(), /The auditor’s time machine/);
    // The same tab's token, as it is once its expiry has passed (the console reads `exp`; the API would refuse it).
    const expired = await page.evaluate(() => {
      const encode = (value: object) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const token = `${encode({ alg: 'ES256', typ: 'JWT' })}.${encode({ sub: 'auditor-omar', role: 'auditor', exp: Math.floor(Date.now() / 1000) - 60 })}.c2ln`;
      sessionStorage.setItem('grant-ledger-console-token', token);
      return token;
    });
    expect(expired.split('.')).toHaveLength(3);
    await page.reload();
    await expectText(page.getByRole('alert'), /The API refused the token \(expired or not valid here\): sign in again/);
    expect(await page.getByLabel('Bearer token').count()).toBe(1);
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByRole('alert'), /L’API a refusé le jeton \(expiré ou non valable ici\)/);
    await page.getByLabel('Langue').selectOption('en');
    // The expired token was dropped: a second reload is a plain sign-in.
    expect(await page.evaluate(() => sessionStorage.getItem('grant-ledger-console-token'))).toBeNull();
    await page.close();
  });

  it('no page met a 403, a policy violation or a script error', () => {
    expect(forbidden).toEqual([]);
    expect(problems.flat().filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
