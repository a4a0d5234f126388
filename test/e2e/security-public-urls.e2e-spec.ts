/**
 * URLs the API publishes come from PUBLIC_BASE_URL, never from the request: a forged Host (or
 * X-Forwarded-Host) does not reach the 360Giving export's dataSource, which others republish.
 */
import { createTestApp, eventually, type TestApp } from '../support/app';
import { GrantScenario } from './grants-support';

const PUBLIC_BASE_URL = 'https://grants.example.org/ledger';

describe('public URLs come from configuration, never from Host', () => {
  let t: TestApp;
  let partner: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', config: { publicBaseUrl: PUBLIC_BASE_URL } });
    const scenario = new GrantScenario(t);
    const manager = await t.token({ role: 'grant-manager', id: 'alice' });
    partner = await t.token({ role: 'partner', id: 'transparency-portal' });
    const callId = await scenario.publishedCall();
    const [lead, partnerOrganisation] = [await scenario.organisation('LB'), await scenario.organisation('TN')];
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partnerOrganisation], requestedMinor: 1_000_000 });
    const grantId = await scenario.award(proposalId, 1_000_000);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', `Bearer ${manager}`)).status === 200 ? true : undefined));
  });

  afterAll(async () => {
    await t.close();
  });

  it("names the 360Giving export's own URL from PUBLIC_BASE_URL, whatever Host and X-Forwarded-* say", async () => {
    // (A query string is refused here since 2026-12-06, so none can be echoed either.)
    await t.http.get('/exports/360giving?x=1').set('Authorization', `Bearer ${partner}`).expect(400);
    const res = await t.http
      .get('/exports/360giving')
      .set('Authorization', `Bearer ${partner}`)
      .set('Host', 'attacker.example')
      .set('X-Forwarded-Host', 'forwarded-attacker.example')
      .set('X-Forwarded-Proto', 'gopher')
      .expect(200);
    expect(res.body.grants).toHaveLength(1);
    expect(res.body.grants[0].dataSource).toBe(`${PUBLIC_BASE_URL}/exports/360giving`);
    expect(JSON.stringify(res.body)).not.toMatch(/attacker|gopher/);
  });
});
