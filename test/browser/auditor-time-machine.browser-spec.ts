/**
 * The auditor's time machine in a real browser: find an awarded proposal by name, drag its timeline
 * back before the decision and see it under review (and the decision among what changed since),
 * read the dossier, verify the ledger (intact), download the evidence bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { Browser, Page } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, CRITERIA, decideAward, MANAGER, REVIEW, REVIEWER, screenAndAssign, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

const SECOND_REVIEWER = { id: 'reviewer-sana', role: 'reviewer' } as const;

describe('console in a browser: the auditor’s time machine', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let proposalId: string;
  let otherId: string;
  let waterId: string;
  let history: { type: string }[];

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, {
      housing: 'Housing rights for minorities in informal settlements',
      other: 'Nationality rights for stateless people',
      water: 'Water access for Dom communities',
    });
    proposalId = seeded.proposals.housing;
    await decideAward(world, proposalId);
    // A conflict declaration appends two events at one instant: the declaration and the recusal.
    otherId = seeded.proposals.other;
    await screenAndAssign(world, otherId);
    await world.call(REVIEWER, 'POST', `/proposals/${otherId}/conflicts`, { description: 'I advised the lead organisation' });
    // A review that did not count: written, then its reviewer recused; another reviewer's decides.
    waterId = seeded.proposals.water;
    await screenAndAssign(world, waterId);
    await world.call(REVIEWER, 'POST', `/proposals/${waterId}/reviews`, REVIEW);
    await world.call(REVIEWER, 'POST', `/proposals/${waterId}/conflicts`, { description: 'My sister works for the lead organisation' });
    await world.call(MANAGER, 'POST', `/proposals/${waterId}/reviewers`, { reviewerId: SECOND_REVIEWER.id });
    await world.call(SECOND_REVIEWER, 'POST', `/proposals/${waterId}/reviews`, { ...REVIEW, recommendation: 'do-not-fund' });
    await world.call(MANAGER, 'POST', `/proposals/${waterId}/consensus`, { score: 40, summary: 'Weak plan' });
    await world.call(MANAGER, 'POST', `/proposals/${waterId}/decision`, { decision: 'reject', reasons: 'Below the funding line', committee: 'Grants committee, session 1' });
    await world.until<{ status: string }>(MANAGER, `/proposals/${waterId}`, (p) => p.status === 'rejected');
    history = (await world.call<{ items: { type: string }[] }>(AUDITOR, 'GET', `/audit/streams/proposal-${proposalId}?limit=500`)).items;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('finds the proposal by part of its name', async () => {
    await signIn(page, world.baseUrl, await world.token(AUDITOR));
    const results = page.getByRole('list', { name: 'Results' });
    // The view opens on the records changed last: both proposals.
    await expectText(results, /Nationality rights/);
    await page.getByLabel('Find a call, proposal or grant by name').fill('informal settle');
    await page.getByRole('button', { name: 'Search' }).click();
    // The proposal and its grant both go by the proposal's title; the other proposal no longer matches.
    await page.waitForFunction(() => !document.querySelector('main ul')?.textContent?.includes('Nationality rights'));
    await expectText(results, /proposal Housing rights.*grant Housing rights|grant Housing rights.*proposal Housing rights/);
    await results.getByRole('link', { name: /^proposal Housing rights/ }).click();
    await page.getByRole('heading', { name: /Housing rights for minorities/ }).waitFor();
  });

  it('shows the timeline with who acted, and the record as it stands now: awarded', async () => {
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li').nth(history.length - 1).waitFor();
    expect(await timeline.locator('li').count()).toBe(history.length);
    await expectText(timeline, /FundingDecisionRecorded/);
    await expectText(timeline, new RegExp(`by grant manager ${MANAGER.id}`));
    await expectText(timeline, /Why: Strong network, clear targets/);
    await page.locator('[data-testid="as-of-record"] [data-field="status"] [data-status="awarded"]').waitFor();
  });

  it('drags the slider back before the decision and sees the proposal under review, the decision among what changed since', async () => {
    const decisionIndex = history.findIndex((event) => event.type === 'FundingDecisionRecorded');
    expect(decisionIndex).toBeGreaterThan(0);
    const target = decisionIndex - 1;
    const slider = page.getByLabel(/As it stood after event/);
    const box = await slider.boundingBox();
    if (!box) throw new Error('slider not laid out');
    const max = history.length - 1;
    // A mouse drag from the thumb (at the end: the latest event) to the target event's position.
    const thumb = 8;
    const xOf = (value: number) => box.x + thumb + ((box.width - 2 * thumb) * value) / max;
    await page.mouse.move(xOf(max), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(xOf(target), box.y + box.height / 2, { steps: 10 });
    await page.mouse.up();
    // The drag lands on the nearest event; the arrow keys settle it exactly (as a keyboard user would).
    for (let value = Number(await slider.inputValue()); value !== target; value = Number(await slider.inputValue())) {
      await slider.press(value > target ? 'ArrowLeft' : 'ArrowRight');
    }
    await expectText(page.getByTestId('slider-value'), new RegExp(`Event ${target + 1} of ${history.length}: ${history[target].type}`));
    await page.locator('[data-testid="as-of-record"] [data-field="status"] [data-status="under-review"]').waitFor();
    await expectText(page.getByTestId('as-of-record'), /The record as it stood on/);
    const changed = page.getByTestId('changed-since');
    await expectText(changed, /FundingDecisionRecorded/);
    await expectText(changed, /Field ?then ?now.*Status ?under review ?awarded/);
    await screenshot(page, 'auditor-time-machine');
  });

  it('goes to a date: before the proposal existed it says so, after its last event it shows it awarded', async () => {
    const date = page.getByLabel('Or pick a date and time (UTC)');
    await date.fill('2020-01-01T00:00:00');
    await expectText(page.getByRole('status').filter({ hasText: 'did not exist' }), /On that date the record did not exist yet/);
    await date.fill('2099-12-31T23:59:59');
    await expectText(page.getByTestId('slider-value'), new RegExp(`Event ${history.length} of ${history.length}: ${history[history.length - 1].type}`));
    await page.locator('[data-testid="as-of-record"] [data-field="status"] [data-status="awarded"]').waitFor();
    expect(await page.getByText('On that date the record did not exist yet').count()).toBe(0);
  });

  it('takes events appended together as one step: the record never stood between them', async () => {
    const other = (await world.call<{ items: { type: string; recordedAt: string }[] }>(AUDITOR, 'GET', `/audit/streams/proposal-${otherId}?limit=500`)).items;
    const declared = other.findIndex((event) => event.type === 'ConflictOfInterestDeclared');
    expect(other[declared + 1]).toMatchObject({ type: 'ReviewerRecused', recordedAt: other[declared].recordedAt });
    // First a record that does not exist: its 404 must not stay on screen over the next record.
    await page.goto(`${world.baseUrl}/console/#/audit/proposal/00000000-0000-4000-8000-000000000000`);
    await expectText(page.getByRole('alert'), /not found/);
    await page.goto(`${world.baseUrl}/console/#/audit/proposal/${otherId}`);
    await page.getByRole('heading', { name: /Nationality rights for stateless people/ }).waitFor();
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li').nth(other.length - 1).waitFor();
    await timeline.locator('li').nth(declared).getByRole('button').click();
    const step = `${declared + 1}–${declared + 2}`;
    await expectText(page.getByTestId('slider-value'), new RegExp(`Event ${step} of ${other.length}: ConflictOfInterestDeclared \\+ ReviewerRecused`));
    await expectText(page.getByText(/As it stood after event/), new RegExp(`As it stood after event ${step} of ${other.length}`));
    // The recusal is not among what changed since: it is part of the step shown.
    const changed = page.getByTestId('changed-since');
    await expectText(changed, /Nothing: this is the latest event/);
    expect(await changed.getByText('ReviewerRecused').count()).toBe(0);
    expect(await page.getByRole('alert').filter({ hasText: /not found/ }).count()).toBe(0);
    await page.goBack();
    await page.goBack();
    await page.getByRole('heading', { name: /Housing rights for minorities/ }).waitFor();
    await page.getByTestId('dossier').waitFor();
  });

  it('reads in the dossier which review did not count, the conflict and the recusal, in the reader’s words', async () => {
    await page.goto(`${world.baseUrl}/console/#/audit/proposal/${waterId}`);
    await page.getByRole('heading', { name: /Water access for Dom communities/ }).waitFor();
    const dossier = page.getByTestId('dossier');
    await expectText(dossier, /Reject/);
    await expectText(page.getByTestId('dossier-reviews'), new RegExp(`${REVIEWER.id}: .*Fund · not counted: the reviewer was recused`));
    await expectText(page.getByTestId('dossier-reviews'), new RegExp(`${SECOND_REVIEWER.id}: .*Do not fund$`));
    expect(await page.getByTestId('not-counted').count()).toBe(1);
    await expectText(page.getByTestId('dossier-conflicts'), new RegExp(`${REVIEWER.id}, .*My sister works for the lead organisation`));
    await expectText(page.getByTestId('dossier-recusals'), new RegExp(REVIEWER.id));
    // The timeline's personal-data markers are said in the reader's language.
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.getByTestId('timeline'), /données personnelles : présentes/);
    await expectText(page.getByTestId('dossier-reviews'), /non comptée : l’évaluateur s’est récusé/);
    await page.getByLabel('Langue').selectOption('en');
    await page.goBack();
    await page.getByRole('heading', { name: /Housing rights for minorities/ }).waitFor();
  });

  it('heads a grant’s record with its proposal’s title, not its id', async () => {
    const { award } = await world.call<{ award: { grantId: string } }>(AUDITOR, 'GET', `/proposals/${proposalId}`);
    await page.goto(`${world.baseUrl}/console/#/audit/grant/${award.grantId}`);
    // The grant's own heading (the proposal's, still on screen as the hash changes, would match the title alone).
    await page.getByRole('heading', { name: /^grant ?Housing rights for minorities in informal settlements$/i }).waitFor();
    expect(await page.locator('#record-title').textContent()).not.toContain(award.grantId);
    await page.goBack();
    await page.getByRole('heading', { name: /^proposal ?Housing rights for minorities/i }).waitFor();
  });

  it('reads the decision dossier', async () => {
    const dossier = page.getByTestId('dossier');
    await expectText(dossier, /Award/);
    expect(await dossier.locator('[data-decision="award"]').count()).toBe(1);
    await expectText(dossier, new RegExp(`Decided by grant manager ${MANAGER.id}`));
    await expectText(dossier, /Reasons: Strong network, clear targets/);
    await expectText(dossier, /reviewer-amal: relevance 8, network 7/);
  });

  it('verifies the ledger: intact', async () => {
    await page.getByRole('button', { name: 'Verify the ledger' }).first().click();
    const verdict = page.getByTestId('verify-result').first();
    await expectText(verdict, /^Intact: \d+ events in \d+ streams/);
    await screenshot(page, 'auditor-verify');
  });

  it('says when newer events wait behind a database transaction still open, and checks them once it has ended', async () => {
    const pool = new Pool({ connectionString: world.t.db.url, max: 1 });
    const open = await pool.connect();
    let committed = false;
    try {
      // A transaction with an id left open (a stuck session): what commits after it began waits behind it.
      await open.query('BEGIN');
      await open.query('SELECT pg_current_xact_id()');
      await world.call(MANAGER, 'POST', '/calls', {
        programme: 'Civic Space and Minority Rights Programme 2027',
        title: 'A call drafted while a transaction stays open',
        description: 'Its events are committed but held back in the log until that transaction ends.',
        currency: 'EUR',
        budgetMinor: 1_000_000,
        minAwardMinor: 100_000,
        maxAwardMinor: 500_000,
        eligibleCountries: ['LB'],
        minPartners: 1,
        criteria: CRITERIA,
        reviewsRequired: 1,
        opensAt: '2027-01-15T00:00:00Z',
        closesAt: '2027-03-31T23:59:59Z',
      });
      await page.getByRole('button', { name: 'Verify the ledger' }).first().click();
      await expectText(page.getByTestId('verify-result').first(), /^Intact: /);
      await expectText(page.getByTestId('verify-held-back'), /^Newer events not checked yet: 1\. They wait behind a database transaction that is still open/);
      await open.query('COMMIT');
      committed = true;
    } finally {
      if (!committed) await open.query('ROLLBACK').catch(() => undefined);
      open.release();
      await pool.end();
    }
    await world.t.db.settled();
    await page.getByRole('button', { name: 'Verify the ledger' }).first().click();
    await expectText(page.getByTestId('verify-result').first(), /^Intact: /);
    expect(await page.getByTestId('verify-held-back').count()).toBe(0);
  });

  it('downloads the evidence bundle, a tar the offline verifier accepts', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the evidence bundle' }).click()]);
    expect(download.suggestedFilename()).toBe(`proposal-${proposalId}.tar`);
    const dir = mkdtempSync(join(tmpdir(), 'console-bundle-'));
    try {
      const file = join(dir, 'bundle.tar');
      await download.saveAs(file);
      execFileSync('tar', ['-xmf', file, '-C', dir]);
      const verified = execFileSync(process.execPath, [join(dir, 'verify-bundle.js'), join(dir, `proposal-${proposalId}.jsonl`)], { encoding: 'utf8', stdio: 'pipe' });
      expect(typeof verified).toBe('string');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expectText(page.getByTestId('bundle-ready'), new RegExp(`proposal-${proposalId}.tar`));
  });

  it('names the first broken link once an event was altered behind the ledger’s back', async () => {
    const consensus = history.findIndex((event) => event.type === 'ConsensusRecorded');
    const pool = new Pool({ connectionString: world.t.db.url, max: 1 });
    try {
      // As a superuser who switches off the append-only triggers: what the chain exists to expose.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('ALTER TABLE events DISABLE TRIGGER USER');
        await client.query(`UPDATE events SET data = jsonb_set(data, '{score}', '99') WHERE stream_id = $1 AND stream_version = $2`, [`proposal-${proposalId}`, consensus]);
        await client.query('ALTER TABLE events ENABLE TRIGGER USER');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
    await page.getByRole('button', { name: 'Verify the ledger' }).first().click();
    await expectText(page.getByTestId('verify-result').first(), new RegExp(`^Broken: \\S+ at proposal-${proposalId} version ${consensus} — `));
    await screenshot(page, 'auditor-verify-broken');
  });

  it('speaks French when asked', async () => {
    await page.getByLabel('Language').selectOption('fr');
    await expectText(page.locator('header'), /Machine à remonter le temps/);
    await expectText(page.locator('main'), /Chronologie/);
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['fr', 'ltr']);
    await page.getByLabel('Langue').selectOption('en');
  });

  it('in Arabic, keeps the slider’s Latin event name and its date apart from the Arabic text (isolated), so neither is scrambled', async () => {
    await page.getByLabel('Language').selectOption('ar');
    const value = page.getByTestId('slider-value');
    // FSI … PDI around the event's name and around its date: without them the date's digits ran into the name.
    await expectText(value, /^الحدث \d+ من \d+: \u2068[A-Za-z+ ]+\u2069، \u2068.+\u2069$/);
    await page.getByLabel('اللغة').selectOption('en');
    await expectText(value, /^Event \d+ of \d+: [A-Za-z]/);
  });

  it('loaded under its content security policy without a violation or a script error', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
