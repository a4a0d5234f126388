/**
 * A reviewer whom the programme team records as a member user of an organisation of a proposal's
 * network (the lead or a partner) after the assignment may no longer review it (422
 * proposal.reviewer.affiliated), so `GET /reviews/assigned` no longer lists it: as for a recusal,
 * the queue holds what the reviewer may judge. It comes back when the membership ends.
 */
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftProposal } from './draft-support';
import { DURING_WINDOW, GrantScenario } from './grants-support';

describe("a reviewer's queue leaves out the proposals of a network the reviewer has joined", () => {
  let t: TestApp;
  let scenario: GrantScenario;
  const tokens: Record<string, string> = {};
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    t = await createTestApp({ now: DURING_WINDOW });
    scenario = new GrantScenario(t);
    tokens.manager = await t.token({ role: 'grant-manager', id: 'alice' });
    tokens.later = await t.token({ role: 'reviewer', id: 'reviewer-later' });
    tokens.rania = await t.token({ role: 'reviewer', id: 'reviewer-rania' });
  });

  afterAll(async () => {
    await t.close();
  });

  const eligibleWithReviewers = async (callId: string, lead: string, partner: string, applicant: string, reviewerIds: string[]) => {
    tokens[applicant] = await t.token({ role: 'applicant', id: applicant, organisationId: lead });
    const id = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], applicantId: applicant });
    await t.http.post(`/proposals/${id}/submit`).set(as(applicant)).expect(200);
    await t.http.post(`/proposals/${id}/eligibility`).set(as('manager')).send({ results: [{ rule: 'lead-country', passed: true, note: 'eligible' }] }).expect(200);
    for (const reviewerId of reviewerIds) await t.http.post(`/proposals/${id}/reviewers`).set(as('manager')).send({ reviewerId }).expect(200);
    return id;
  };
  const members = (organisationId: string, memberUserIds: string[]) =>
    t.http.patch(`/organisations/${organisationId}`).set(as('manager')).send({ memberUserIds }).expect(200);
  /** The reviewer's queue once it holds exactly `expected` (in any order: the test clock assigns them all at one instant), and counts them. */
  const queueOf = async (who: string, expected: string[], query: Record<string, string> = {}) => {
    let seen: unknown;
    try {
      return await eventually(async () => {
        const res = await t.http.get('/reviews/assigned').query(query).set(as(who)).expect(200);
        const ids = res.body.items.map((item: { proposalId: string }) => item.proposalId).sort();
        seen = { ids, total: res.body.total };
        return JSON.stringify(ids) === JSON.stringify([...expected].sort()) && res.body.total === expected.length ? res.body : undefined;
      }, 5000);
    } catch {
      throw new Error(`the queue of ${who} (${JSON.stringify(query)}) never held ${JSON.stringify([...expected].sort())}; last seen ${JSON.stringify(seen)}`);
    }
  };
  const review = (id: string, who: string) =>
    t.http
      .post(`/proposals/${id}/reviews`)
      .set(as(who))
      .send({ scores: [{ criterionId: 'relevance', score: 7, comment: 'Clear' }, { criterionId: 'network', score: 6, comment: 'Fair' }], recommendation: 'fund', comment: 'Fund it' });

  it('leaves out a proposal whose lead or partner counts the reviewer as a member user, pending or reviewed, and lists it again once the membership ends', async () => {
    const callId = await scenario.publishedCall();
    const lead = await scenario.organisation('LB', ['applicant-lead']);
    const partner = await scenario.organisation('TN', ['applicant-partner']);
    const otherLead = await scenario.organisation('MA', ['applicant-other']);
    const otherPartner = await scenario.organisation('PS');
    const joined = await eligibleWithReviewers(callId, lead, partner, 'applicant-lead', ['reviewer-later', 'reviewer-rania']);
    const other = await eligibleWithReviewers(callId, otherLead, otherPartner, 'applicant-other', ['reviewer-later']);
    await queueOf('later', [joined, other]);

    // The programme team records that the reviewer now acts for the lead: the review would be refused, and the queue says so by leaving it out.
    await members(lead, ['applicant-lead', 'reviewer-later']);
    await queueOf('later', [other]);
    await queueOf('later', [other], { pending: 'true' });
    expect((await review(joined, 'later').expect(422)).body.rule).toBe('proposal.reviewer.affiliated');
    // Another reviewer of the same proposal keeps it.
    await queueOf('rania', [joined]);

    // The membership ends: the proposal is the reviewer's work again. Then the reviewer joins a partner instead.
    await members(lead, ['applicant-lead']);
    await queueOf('later', [joined, other]);
    await members(partner, ['applicant-partner', 'reviewer-later']);
    await queueOf('later', [other]);
    expect((await review(joined, 'later').expect(422)).body.rule).toBe('proposal.reviewer.affiliated');

    // A review recorded before joining still counts, as the log holds it; the proposal leaves the
    // reviewed part of the queue too (not the reviewer's to judge any more).
    await review(other, 'later').expect(200);
    await queueOf('later', [other], { pending: 'false' });
    await members(otherPartner, ['reviewer-later']);
    await queueOf('later', [], { pending: 'false' });
    await queueOf('later', []);
    const manager = await eventually(async () => {
      const res = await t.http.get(`/proposals/${other}`).set(as('manager')).expect(200);
      return res.body.reviewCount === 1 ? res.body : undefined;
    });
    expect(manager.reviews).toEqual([expect.objectContaining({ reviewerId: 'reviewer-later', recused: false })]);
  });
});
