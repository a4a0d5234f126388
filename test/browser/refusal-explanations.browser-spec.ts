/**
 * The explanations the console gives for the server's newer refusals, each met end to end through
 * the real API (seeded over HTTP as the other specs are) and read in two languages: a reviewer who
 * belongs to an organisation of the network (`proposal.reviewer.affiliated`); an award while a
 * redress request against the reserve-list decision awaits its outcome (`proposal.redress.open`);
 * an award to a network one of whose organisations failed its latest due diligence
 * (`proposal.award.due-diligence-failed`); an award under a cancelled call
 * (`proposal.award.call-cancelled`); closing a grant whose grantee still owes a report
 * (`grant.closure.reports-outstanding`).
 */
import type { Actor } from '@app/platform';
import type { Browser, Page } from 'playwright-core';
import { type ConsoleWorld, ELIGIBLE, MANAGER, reviewAndAgree, decideAward, seedSubmittedProposals, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, screenshot, signIn, watchConsole } from './support/browser';

interface ProposalBody {
  status: string;
  leadOrganisationId: string;
  partners: { organisationId: string }[];
  award?: { grantId: string };
}

interface GrantBody {
  status: string;
  reports: { reportId: string; kind: string; dueDate: string; status: string }[];
}

describe('console in a browser: the server’s refusals explained, in two languages', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let callId: string;
  let cancelledCallId: string;
  let ids: Record<string, string>;
  let grantId: string;

  beforeAll(async () => {
    world = await startConsoleWorld();
    const seeded = await seedSubmittedProposals(world, {
      affiliated: 'Community radio for minorities',
      redress: 'Archive of minority languages',
      diligence: 'Legal aid for evictions',
      granted: 'Housing rights for minorities in informal settlements',
    });
    callId = seeded.callId;
    ids = { ...seeded.proposals };
    const cancelled = await seedSubmittedProposals(world, { cancelled: 'Nationality rights for stateless people' }, { callTitle: 'A call the donor withdrew' });
    cancelledCallId = cancelled.callId;
    ids.cancelled = cancelled.proposals.cancelled;

    // Screened only: a reviewer is assigned next.
    await world.call(MANAGER, 'POST', `/proposals/${ids.affiliated}/eligibility`, ELIGIBLE);
    await world.until<ProposalBody>(MANAGER, `/proposals/${ids.affiliated}`, (p) => p.status === 'under-review');

    // On the reserve list, and the lead requests redress of that decision.
    await reviewAndAgree(world, ids.redress);
    await world.call(MANAGER, 'POST', `/proposals/${ids.redress}/decision`, { decision: 'reserve', reasons: 'Just below the funding line', committee: 'Grants committee, session 1' });
    const reserved = await world.until<ProposalBody>(MANAGER, `/proposals/${ids.redress}`, (p) => p.status === 'reserved');
    const lead: Actor = { id: 'applicant-0', role: 'applicant', organisationId: reserved.leadOrganisationId };
    await world.call(lead, 'POST', `/proposals/${ids.redress}/redress-requests`, { grounds: 'The panel did not read the annex on the archive’s reach' });

    // A grant whose final report is accepted while an interim report is still owed by the grantee.
    await decideAward(world, ids.granted);
    grantId = (await world.call<ProposalBody>(MANAGER, 'GET', `/proposals/${ids.granted}`)).award!.grantId;
    await world.call(MANAGER, 'POST', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.status === 'active');
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2027-09-01' });
    const scheduled = await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.length === 1);
    const final = scheduled.reports[0].reportId;
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${final}/submission`, { summary: 'Hearings held; the network’s policy brief was sent to parliament' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports[0].status === 'submitted');
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports/${final}/acceptance`);
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports[0].status === 'accepted');
    await world.call(MANAGER, 'POST', `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-06-01' });
    await world.until<GrantBody>(MANAGER, `/grants/${grantId}`, (g) => g.reports.length === 2);

    // The call was cancelled after the consensus.
    await reviewAndAgree(world, ids.cancelled);
    await world.call(MANAGER, 'POST', `/calls/${cancelledCallId}/cancel`, { reason: 'Programme funding withdrawn by the donor' });
    await world.until<{ status: string }>(MANAGER, `/calls/${cancelledCallId}`, (c) => c.status === 'cancelled');

    // A partner of the network (the call's three organisations are in every one of its networks) failed its latest due diligence: after the grant's award.
    await reviewAndAgree(world, ids.diligence);
    const diligence = await world.call<ProposalBody>(MANAGER, 'GET', `/proposals/${ids.diligence}`);
    await world.call(MANAGER, 'POST', `/organisations/${diligence.partners[1].organisationId}/due-diligence`, { outcome: 'failed', notes: 'Bank statements do not match the declared budget' });

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
  const form = (name: string) => page.getByRole('form', { name });

  /** Fills the board's decision form with an award of 60,000.00 and sends it. */
  const award = async () => {
    const decision = form('Record the funding decision');
    await decision.getByLabel('Decision *').selectOption({ label: 'Award' });
    await decision.getByLabel('Amount (EUR)').fill('60,000');
    await decision.getByLabel('Reasons *').fill('Strong network, clear targets');
    await decision.getByLabel('Committee *').fill('Grants committee, session 2');
    await decision.getByRole('button', { name: 'Submit' }).click();
    return decision.getByTestId('problem');
  };

  it('explains an affiliated reviewer (proposal.reviewer.affiliated), in English and French', async () => {
    await go(`#/board/${callId}/${ids.affiliated}`);
    const assign = form('Assign a reviewer');
    // applicant-1 is a member user of the network's co-applicant.
    await assign.getByLabel('Reviewer *').fill('applicant-1');
    await assign.getByRole('button', { name: 'Submit' }).click();
    await expectText(assign.getByTestId('problem'), /^The server answered 422: Business rule violated ?This reviewer belongs to an organisation of the network: assign someone else\..*proposal\.reviewer\.affiliated$/);
    await language('fr');
    await expectText(form('Désigner un évaluateur').getByTestId('problem'), /^Le serveur a répondu 422 : Business rule violated ?Cet évaluateur appartient à une organisation du réseau : désignez quelqu’un d’autre\./);
    await language('en');
  });

  it('explains an award while a redress request awaits its outcome (proposal.redress.open), in English and Arabic', async () => {
    await go(`#/board/${callId}/${ids.redress}`);
    const problem = await award();
    await expectText(problem, /^The server answered 422: Business rule violated ?A redress request against the current decision awaits its outcome: record the outcome first, then decide again\..*proposal\.redress\.open$/);
    await language('ar');
    await expectText(form('تسجيل قرار التمويل').getByTestId('problem'), /طلب تظلّم ضد القرار الحالي ينتظر نتيجته: سجّل النتيجة أولاً، ثم اتخذ القرار من جديد\./);
    await screenshot(page, 'refusal-redress-open-ar');
    await language('en');
  });

  it('explains an award to a network that failed its due diligence (proposal.award.due-diligence-failed), in English and French', async () => {
    await go(`#/board/${callId}/${ids.diligence}`);
    const problem = await award();
    await expectText(problem, /^The server answered 422: Business rule violated ?An organisation of the network failed its latest due diligence: no award until a new check passes.*proposal\.award\.due-diligence-failed$/);
    await language('fr');
    await expectText(form('Enregistrer la décision de financement').getByTestId('problem'), /Une organisation du réseau a échoué à sa dernière vérification préalable : aucune attribution/);
    await language('en');
  });

  it('explains an award under a cancelled call (proposal.award.call-cancelled), in English and French', async () => {
    await go(`#/board/${cancelledCallId}/${ids.cancelled}`);
    const problem = await award();
    await expectText(problem, /^The server answered 422: Business rule violated ?This call was cancelled: it awards nothing\..*proposal\.award\.call-cancelled$/);
    await language('fr');
    await expectText(form('Enregistrer la décision de financement').getByTestId('problem'), /Cet appel a été annulé : il n’attribue rien\./);
    await language('en');
  });

  it('explains closing a grant whose grantee still owes a report (grant.closure.reports-outstanding), in English and French', async () => {
    await go(`#/portfolio/${grantId}`);
    await page.getByTestId('grant').waitFor();
    await page.getByRole('button', { name: 'Close the grant' }).click();
    const closing = form('Close the grant');
    await closing.getByRole('button', { name: 'Submit' }).click();
    await closing.getByRole('button', { name: 'Close the grant: confirm' }).click();
    await expectText(closing.getByTestId('problem'), /^The server answered 422: Business rule violated ?A grant closes once every scheduled report is submitted and accepted, or waived, and the grantee still owes one \(see the reports\)\. A report the grantee will not deliver is waived \(Waive this report, with the reason\); a waiver settles no money\..*grant\.closure\.reports-outstanding$/);
    await language('fr');
    await expectText(form('Clore la subvention').getByTestId('problem'), /Une subvention se clôt une fois chaque rapport prévu soumis et accepté, ou dispensé, et le bénéficiaire en doit encore un .*une dispense ne règle aucun argent\./);
    await language('en');
    expect((await world.call<GrantBody>(MANAGER, 'GET', `/grants/${grantId}`)).status).toBe('active');
  });

  it('ran without a script error (only the refusals asked for)', () => {
    expect(problems.filter((problem) => !/status of 422/.test(problem))).toEqual([]);
  });
});
