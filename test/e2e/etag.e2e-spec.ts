/**
 * A read of one stream-backed resource sends `ETag: "<version>"`, which a command takes back as
 * If-Match: accepted while the stream is at that version, 409 once it moved on.
 */
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftProposal } from './draft-support';
import { callBody, DURING_WINDOW, GrantScenario } from './grants-support';

describe('ETag and If-Match', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: DURING_WINDOW });
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
  });

  afterAll(async () => {
    await t.close();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  /** GET until the read model shows `version`; the answer's ETag. */
  const etagAt = (path: string, version: number, token = manager) =>
    eventually(async () => {
      const res = await t.http.get(path).set(as(token));
      return res.status === 200 && res.body.version === version ? (res.headers.etag as string) : undefined;
    });

  it('GET /calls/:id: the ETag is the strong stream version; a command with it goes through, a stale one is 409', async () => {
    const drafted = await t.http.post('/calls').set(as(manager)).send(callBody()).expect(201);
    const path = `/calls/${drafted.body.id}`;
    const etag = await etagAt(path, 0);
    expect(etag).toBe('"0"');

    await t.http.post(`${path}/publish`).set(as(manager)).set('If-Match', etag).expect(200, { id: drafted.body.id, version: 1 });
    const stale = await t.http.post(`${path}/deadline-extensions`).set(as(manager)).set('If-Match', etag).send({ newClosesAt: '2027-04-30T23:59:59Z', reason: 'More time for networks' });
    expect(stale.status).toBe(409);
    expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await etagAt(path, 1)).toBe('"1"');
  });

  it('GET /organisations/:id, /proposals/:id and /grants/:id send their version the same way', async () => {
    const callId = await scenario.publishedCall();
    const lead = await scenario.organisation('LB', ['applicant-rania']);
    const partner = await scenario.organisation('TN');

    const organisation = `/organisations/${lead}`;
    expect(await etagAt(organisation, 0)).toBe('"0"');
    await t.http.patch(organisation).set(as(manager)).set('If-Match', '"0"').send({ focusGroups: ['stateless people', 'refugees'] }).expect(200);
    await t.http.patch(organisation).set(as(manager)).set('If-Match', '"0"').send({ focusGroups: ['refugees'] }).expect(409);

    const applicant = await t.token({ role: 'applicant', id: 'applicant-rania', organisationId: lead });
    const proposalId = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], applicantId: 'applicant-rania', partnersAccept: false });
    const proposal = `/proposals/${proposalId}`;
    const proposalETag = await etagAt(proposal, 0, applicant);
    expect(proposalETag).toBe('"0"');
    await t.http.patch(proposal).set(as(applicant)).set('If-Match', proposalETag).send({ title: 'Late birth registration for stateless children' }).expect(200);
    await t.http.patch(proposal).set(as(applicant)).set('If-Match', proposalETag).send({ title: 'Another title' }).expect(409);

    const ready = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 1_000_000 });
    const grantId = await scenario.award(ready, 1_000_000);
    const grant = `/grants/${grantId}`;
    const grantETag = await etagAt(grant, 0);
    expect(grantETag).toBe('"0"');
    const signatories = [{ name: 'Rania Haddad', role: 'Director' }];
    await t.http.post(`${grant}/agreement`).set(as(manager)).set('If-Match', grantETag).send({ signatories }).expect(200);
    await t.http.post(`${grant}/suspension`).set(as(manager)).set('If-Match', grantETag).send({ reason: 'Interim report missing' }).expect(409);
  });

  it('sends no ETag where there is no single stream version (lists), and no weak ETag anywhere', async () => {
    const list = await t.http.get('/calls').set(as(manager)).expect(200);
    expect(list.headers.etag).toBeUndefined();
    const catalogue = await t.http.get('/events/catalogue').set(as(manager)).expect(200);
    expect(catalogue.headers.etag).toBeUndefined();
  });
});
