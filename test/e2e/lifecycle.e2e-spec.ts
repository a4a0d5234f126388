import type { AddressInfo } from 'node:net';
import { playProgramme, type DemoResult } from '../../scripts/demo/programme';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';

/**
 * The whole story over real HTTP: the demo programme (call, organisations, network proposals,
 * screening, blind review with a conflict, consensus, decisions, awards through the process manager,
 * agreements, tranches, reports) and one grant walked to closure.
 */
describe('grant lifecycle over HTTP (the demo programme)', () => {
  let t: TestApp;
  let result: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ now: new Date().toISOString() });
    t.clock.set(new Date()); // the demo uses real dates: keep the server's clock with it
    await new Promise<void>((resolve) => t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    result = await playProgramme({ baseUrl: `http://127.0.0.1:${port}`, token: (actor) => t.token(actor), log: (line) => lines.push(line), closeFirstGrant: true });
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  const manager = () => t.token({ role: 'grant-manager', id: 'auditing-manager' });

  it('walks a proposal from draft to a closed grant, releasing the unspent funds to the call', async () => {
    const token = await manager();
    const grant = await eventually(async () => {
      const res = await t.http.get(`/grants/${result.grants.housing}`).set('Authorization', `Bearer ${token}`);
      return res.body.status === 'closed' ? res.body : undefined;
    });
    expect(grant).toMatchObject({ status: 'closed', amountMinor: 6_000_000, disbursedMinor: 5_400_000 });
    const call = await eventually(async () => {
      const res = await t.http.get(`/calls/${result.callId}`).set('Authorization', `Bearer ${token}`);
      return res.body.committedMinor === 6_000_000 * 0.9 + 7_500_000 ? res.body : undefined;
    });
    expect(call.remainingMinor).toBe(15_000_000 - 5_400_000 - 7_500_000);

    const stored = [...(await streamEvents(t, `proposal-${result.proposals.housing}`)), ...(await streamEvents(t, `grant-${result.grants.housing}`))];
    const types = stored.map((e) => e.type);
    for (const step of ['ProposalDrafted', 'ProposalSubmitted', 'EligibilityScreened', 'ReviewerAssigned', 'ReviewSubmitted', 'ConsensusRecorded', 'FundingDecisionRecorded',
      'GrantAwarded', 'GrantAgreementSigned', 'DisbursementScheduled', 'DisbursementPaid', 'ReportSubmitted', 'ReportAccepted', 'GrantClosed']) {
      expect(types).toContain(step);
    }
  });

  it('ranks the proposals by consensus and keeps the rejected and reserved ones out of the portfolio', async () => {
    const token = await manager();
    const ranking = await t.http.get(`/calls/${result.callId}/ranking`).set('Authorization', `Bearer ${token}`).expect(200);
    const ids = ranking.body.items.map((item: { proposalId?: string; id?: string }) => item.proposalId ?? item.id);
    expect(ids[0]).toBe(result.proposals.nationality);
    expect(ids[ids.length - 1]).toBe(result.proposals.representation);
    const grants = await t.http.get(`/grants?callId=${result.callId}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(grants.body.items).toHaveLength(2);
  });

  it('recorded the declared conflict: the recused reviewer did not count', async () => {
    const stored = await streamEvents(t, `proposal-${result.proposals.nationality}`);
    const reviewersOf = (type: string) => stored.filter((e) => e.type === type).map((e) => (e.data as { reviewerId: string }).reviewerId);
    expect(reviewersOf('ConflictOfInterestDeclared')).toEqual(['demo-reviewer-amal']);
    expect(reviewersOf('ReviewerRecused')).toEqual(['demo-reviewer-amal']);
    expect(reviewersOf('ReviewSubmitted').sort()).toEqual(['demo-reviewer-sana', 'demo-reviewer-youssef']);
  });

  it('recorded a partner declining, every listed partner accepting before submission, and a redress request rejected with reasons', async () => {
    const stored = await streamEvents(t, `proposal-${result.proposals.representation}`);
    const types = stored.map((e) => e.type);
    expect(types.indexOf('PartnerInvitationDeclined')).toBeGreaterThan(0);
    expect(types.filter((type) => type === 'PartnerInvitationAccepted')).toHaveLength(2);
    expect(types.lastIndexOf('PartnerInvitationAccepted')).toBeLessThan(types.indexOf('ProposalSubmitted'));
    expect(types.slice(-2)).toEqual(['RedressRequested', 'RedressOutcomeRecorded']);
    expect(stored[stored.length - 1].data).toMatchObject({ outcome: 'rejected' });
    expect(lines.join('\n')).toMatch(/declined the invitation/);
    expect(lines.join('\n')).toMatch(/redress requested by the lead and rejected/);
  });

  it('printed what it did', () => {
    expect(lines.join('\n')).toMatch(/grant .* created/);
    expect(lines.join('\n')).toMatch(/uploaded hearings-attendance\.pdf \(application\/pdf, SHA-256 [0-9a-f]{12}…\)/);
    expect(lines.join('\n')).toMatch(/refused: grant\.financial-report\.transfer-exceeds-share/);
    expect(lines.some((line) => line.includes('conflict'))).toBe(true);
    // The notifier queued a decision notice for every lead; the test app has no SMTP_HOST, so none is sent.
    expect(lines.join('\n')).toMatch(/decision notice to each lead organisation's contact: \d+ skipped \(mail-disabled\) — set SMTP_HOST/);
    // Lists by name: the search, the filters, the publication rule for an applicant, the CSV.
    expect(lines.join('\n')).toContain(
      'GET /proposals?q=HOUSING: 2 found (in a title or an organisation\'s name), among them "Housing rights for minorities in informal settlements", led by Awda Housing Justice (PS) with Dom Community Voices and Jasmine Minorities Observatory',
    );
    expect(lines.join('\n')).toContain('GET /proposals?country=PS: 2 led from Palestine; GET /grants?organisationId=<Jasmine>: "Housing rights for minorities in informal settlements" (Awda Housing Justice)');
    expect(lines.join('\n')).toMatch(/Dom Community Voices' applicant reads the leads of its 2 networks as: (Awda Housing Justice, Withheld recipient|Withheld recipient, Awda Housing Justice)/);
    expect(lines.join('\n')).toContain('GET /grants with Accept: text/csv (text/csv; charset=utf-8): a header row and 2 grants, columns id, title, status, callId, callTitle, proposalId, granteeOrganisationId, granteeOrganisationName, …');
  });
});
