/**
 * An amount increase is held to the call's maximum award per grant, as the award was (since
 * 2026-12-07; it was held to the call's budget and the recipients' ceilings only): 422
 * `grant.amendment.exceeds-call-maximum`, nothing appended anywhere. A decrease never is.
 */
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount, streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

describe("an amount increase never takes a grant above its call's maximum award per grant", () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    scenario = new GrantScenario(t);
    manager = `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`;
  });

  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, body: object = {}) => t.http.post(path).set('Authorization', manager).send(body);
  const amend = (grantId: string, newAmountMinor: number) => post(`/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'A second city added to the hearings', newAmountMinor });

  it('refuses an increase above the maximum (422, its rule, nothing appended), takes one up to it, and any decrease', async () => {
    const [lead, partner] = [await scenario.organisation('LB'), await scenario.organisation('PS')];
    // A budget of EUR 200,000 with room to spare, awards of at most EUR 50,000.
    const callId = await scenario.publishedCall({ budgetMinor: 20_000_000, maxAwardMinor: 5_000_000 });
    const grantId = await scenario.award(await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 4_000_000 }), 4_000_000);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', manager)).status === 200 ? true : undefined));
    await post(`/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);

    const before = await eventCount(t);
    const refused = await amend(grantId, 5_000_001).expect(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 422, rule: 'grant.amendment.exceeds-call-maximum', detail: expect.stringContaining('5000000') });
    // Nothing anywhere: not on the grant, the call or a recipient's ledger.
    expect(await eventCount(t)).toBe(before);
    const view = await t.http.get(`/grants/${grantId}`).set('Authorization', manager).expect(200);
    expect(view.body.amountMinor).toBe(4_000_000);

    // Up to the maximum exactly: the call and the recipients follow.
    await amend(grantId, 5_000_000).expect(201);
    expect((await streamEvents(t, `call-${callId}`)).filter((e) => e.type === 'CommitmentAdjusted').map((e) => (e.data as { changeMinor: number }).changeMinor)).toEqual([1_000_000]);
    expect((await amend(grantId, 5_000_001).expect(422)).body.rule).toBe('grant.amendment.exceeds-call-maximum');
    // A decrease is never held to it.
    await amend(grantId, 4_500_000).expect(201);
  });

  it('documents the rule on the amendments route', async () => {
    const docs = await t.http.get('/docs-json').expect(200);
    const unprocessable = docs.body.paths['/grants/{id}/amendments'].post.responses['422'];
    expect(JSON.stringify(unprocessable)).toContain('grant.amendment.exceeds-call-maximum');
  });
});
