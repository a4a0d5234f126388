/**
 * A grant manager who learns of a reviewer's conflict of interest otherwise than from the reviewer
 * (a complaint) recuses the reviewer, with a reason: `POST /proposals/:id/recusals`. The recusal is
 * the one a declared conflict makes (ReviewerRecused, now with `by` and `recusedBy`): the review no
 * longer counts, the reviewer can neither review nor read the proposal, and the audit trail and the
 * decision dossier say who made it, before and after the decision.
 */
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { EVENT_CODEC, type EventCodec } from '@app/application/event-codec';
import { proposalDecider, proposalStreamName, type ReviewerRecusedDataV1 } from '@app/domain/proposal';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { draftProposal } from './draft-support';
import { DURING_WINDOW, GrantScenario } from './grants-support';

const COMPLAINT = 'Complaint received on 3 February 2027: the reviewer advised the lead organisation on this proposal';

describe('a grant manager recuses an assigned reviewer', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let callId: string;
  let lead: string;
  let partner: string;
  const tokens: Record<string, string> = {};
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    t = await createTestApp({ now: DURING_WINDOW });
    scenario = new GrantScenario(t);
    // Two reviews required, so one review taken out of the count is felt.
    callId = await scenario.publishedCall({ reviewsRequired: 2 });
    lead = await scenario.organisation('LB', ['applicant-lead']);
    partner = await scenario.organisation('TN', ['applicant-partner']);
    const actors: [string, Parameters<TestApp['token']>[0]][] = [
      ['manager', { role: 'grant-manager', id: 'alice' }],
      ['admin', { role: 'admin', id: 'root' }],
      ['auditor', { role: 'auditor', id: 'audrey' }],
      ['partnerSystem', { role: 'partner', id: 'donor-system' }],
      ['lead', { role: 'applicant', id: 'applicant-lead', organisationId: lead }],
      ['nadia', { role: 'reviewer', id: 'reviewer-nadia' }],
      ['omar', { role: 'reviewer', id: 'reviewer-omar' }],
      ['leila', { role: 'reviewer', id: 'reviewer-leila' }],
    ];
    for (const [name, actor] of actors) tokens[name] = await t.token(actor);
  });

  afterAll(async () => {
    await t.close();
  });

  const streamTypes = async (id: string) => (await streamEvents(t, proposalStreamName(id))).map((e) => e.type);

  /** Drafted with its partner's acceptance, submitted by the lead and screened eligible, with these reviewers assigned. */
  const proposalWithReviewers = async (...reviewerIds: string[]) => {
    const id = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], applicantId: 'applicant-lead' });
    await t.http.post(`/proposals/${id}/submit`).set(as('lead')).expect(200);
    await t.http.post(`/proposals/${id}/eligibility`).set(as('manager')).send({ results: [{ rule: 'lead-country', passed: true, note: 'LB' }] }).expect(200);
    for (const reviewerId of reviewerIds) await t.http.post(`/proposals/${id}/reviewers`).set(as('manager')).send({ reviewerId }).expect(200);
    return id;
  };
  const review = (id: string, who: string) =>
    t.http
      .post(`/proposals/${id}/reviews`)
      .set(as(who))
      .send({ scores: [{ criterionId: 'relevance', score: 8, comment: 'Clear issue' }, { criterionId: 'network', score: 7, comment: 'Complementary' }], recommendation: 'fund', comment: 'Fund it' });
  const recuse = (id: string, body: Record<string, unknown>, who = 'manager') => t.http.post(`/proposals/${id}/recusals`).set(as(who)).send(body);
  /** GET /proposals/:id as `who` once the read model shows `version`. */
  const viewAt = (id: string, version: number, who = 'manager') =>
    eventually(async () => {
      const res = await t.http.get(`/proposals/${id}`).set(as(who));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    });

  it('takes the review out of the count, stops the reviewer reviewing and reading, and shows on the audit timeline who made it', async () => {
    const id = await proposalWithReviewers('reviewer-nadia', 'reviewer-omar', 'reviewer-leila');
    await review(id, 'nadia').expect(200);
    await review(id, 'omar').expect(200);
    await eventually(async () => {
      const queue = await t.http.get('/reviews/assigned').set(as('leila')).expect(200);
      return queue.body.items.some((item: { proposalId: string }) => item.proposalId === id) ? true : undefined;
    });

    // Omar reviewed; a complaint says he advised the lead. Leila has not reviewed yet.
    const recused = await recuse(id, { reviewerId: 'reviewer-omar', reason: COMPLAINT }).expect(200);
    expect(recused.body).toEqual({ id, version: expect.any(Number) });
    await recuse(id, { reviewerId: 'reviewer-leila', reason: 'Disclosed by the lead: the reviewer chairs a partner of the network' }).expect(200);

    // His review no longer counts: two are required, one is left.
    const tooFew = await t.http.post(`/proposals/${id}/consensus`).set(as('manager')).send({ score: 80, summary: 'Fund' }).expect(422);
    expect(tooFew.body.rule).toBe('proposal.reviews.too-few');
    const managerView = await viewAt(id, recused.body.version + 1);
    expect(managerView.reviewers).toEqual({ assigned: ['reviewer-nadia', 'reviewer-omar', 'reviewer-leila'], recused: ['reviewer-omar', 'reviewer-leila'] });
    expect(managerView.reviewCount).toBe(1);
    expect(managerView.reviews.map((r: { reviewerId: string; recused: boolean }) => [r.reviewerId, r.recused]).sort()).toEqual([
      ['reviewer-nadia', false],
      ['reviewer-omar', true],
    ]);

    // Leila may no longer review it, nor read it; it leaves her queue, as after a conflict she declared.
    const refused = await review(id, 'leila').expect(422);
    expect(refused.body.rule).toBe('proposal.reviewer.recused');
    await t.http.get(`/proposals/${id}`).set(as('leila')).expect(404);
    await t.http.get(`/proposals/${id}`).set(as('omar')).expect(404);
    await eventually(async () => {
      const queue = await t.http.get('/reviews/assigned').set(as('leila')).expect(200);
      return queue.body.items.some((item: { proposalId: string }) => item.proposalId === id) ? undefined : true;
    });

    // The audit timeline: who made it (a grant manager, by their id) and why.
    const timeline = await t.http.get(`/audit/streams/${proposalStreamName(id)}`).set(as('auditor')).expect(200);
    const recusals = timeline.body.items.filter((item: { type: string }) => item.type === 'ReviewerRecused');
    expect(recusals).toEqual([
      expect.objectContaining({
        actorId: 'alice',
        actorRole: 'grant-manager',
        schemaVersion: 2,
        data: { proposalId: id, reviewerId: 'reviewer-omar', reason: COMPLAINT, by: 'staff', recusedBy: 'alice', recusedAt: expect.any(String) },
      }),
      expect.objectContaining({ actorRole: 'grant-manager', data: expect.objectContaining({ reviewerId: 'reviewer-leila', by: 'staff', recusedBy: 'alice' }) }),
    ]);
  });

  it('is for grant managers and admins only: 403 for anyone else, 400 for bad input, 422 for a broken rule, appending nothing', async () => {
    const id = await proposalWithReviewers('reviewer-nadia', 'reviewer-omar');
    const before = await streamTypes(id);
    const body = { reviewerId: 'reviewer-omar', reason: COMPLAINT };
    // The assigned reviewers themselves (the other one, or the one concerned), the applicants, auditors, partner systems.
    for (const who of ['nadia', 'omar', 'lead', 'auditor', 'partnerSystem']) {
      const res = await recuse(id, body, who);
      expect([who, res.status]).toEqual([who, 403]);
    }
    // Bad input: no reason, a reason over 2,000 characters, no or a malformed reviewer id.
    for (const [sent, field] of [
      [{ reviewerId: 'reviewer-omar' }, 'reason'],
      [{ reviewerId: 'reviewer-omar', reason: '' }, 'reason'],
      [{ reviewerId: 'reviewer-omar', reason: 'x'.repeat(2001) }, 'reason'],
      [{ reason: COMPLAINT }, 'reviewerId'],
      [{ reviewerId: 'reviewer omar', reason: COMPLAINT }, 'reviewerId'],
    ] as const) {
      const res = await recuse(id, sent).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    // Broken rules: a blank reason, a reviewer not assigned to it.
    expect((await recuse(id, { reviewerId: 'reviewer-omar', reason: '   ' }).expect(422)).body.rule).toBe('proposal.reason.required');
    expect((await recuse(id, { reviewerId: 'reviewer-leila', reason: COMPLAINT }).expect(422)).body.rule).toBe('proposal.reviewer.not-assigned');
    expect(await streamTypes(id)).toEqual(before);

    // A reason of exactly 2,000 characters, by an admin; then again: already recused.
    await recuse(id, { reviewerId: 'reviewer-omar', reason: 'y'.repeat(2000) }, 'admin').expect(200);
    expect((await recuse(id, body).expect(422)).body.rule).toBe('proposal.reviewer.recused');
    // A reviewer who declared a conflict is recused already, too.
    await t.http.post(`/proposals/${id}/conflicts`).set(as('nadia')).send({ description: 'I worked for the lead in 2025' }).expect(200);
    expect((await recuse(id, { reviewerId: 'reviewer-nadia', reason: COMPLAINT }).expect(422)).body.rule).toBe('proposal.reviewer.recused');
    expect((await streamTypes(id)).slice(before.length)).toEqual(['ReviewerRecused', 'ConflictOfInterestDeclared', 'ReviewerRecused']);
  });

  it('after the decision too: the dossier shows each recusal, who made it and when, and the review that counted though its reviewer was recused since', async () => {
    const id = await proposalWithReviewers('reviewer-nadia', 'reviewer-omar', 'reviewer-leila');
    // Before the decision: Leila is recused by the programme before she reviews.
    await recuse(id, { reviewerId: 'reviewer-leila', reason: 'Disclosed by the lead: the reviewer chairs a partner of the network' }).expect(200);
    await review(id, 'nadia').expect(200);
    await review(id, 'omar').expect(200);
    await t.http.post(`/proposals/${id}/consensus`).set(as('manager')).send({ score: 55, summary: 'Below the line' }).expect(200);
    await t.http.post(`/proposals/${id}/decision`).set(as('manager')).send({ decision: 'reject', reasons: 'Ranked below the funding line', committee: 'Grants committee' }).expect(200);
    // After it: a complaint about Omar; Nadia declares a conflict herself.
    const late = await recuse(id, { reviewerId: 'reviewer-omar', reason: COMPLAINT }).expect(200);
    await t.http.post(`/proposals/${id}/conflicts`).set(as('nadia')).send({ description: 'My cousin joined the lead in March' }).expect(200);

    const dossier = (await t.http.get(`/audit/decisions/${id}`).set(as('auditor')).expect(200)).body;
    expect(dossier.decision).toMatchObject({ decision: 'reject', reasons: 'Ranked below the funding line' });
    expect(dossier.recusals).toEqual([
      expect.objectContaining({
        reviewerId: 'reviewer-leila', by: 'staff', recusedBy: 'alice', reason: 'Disclosed by the lead: the reviewer chairs a partner of the network', afterDecision: false,
        evidence: expect.objectContaining({ actorId: 'alice', actorRole: 'grant-manager' }),
      }),
      expect.objectContaining({
        reviewerId: 'reviewer-omar', by: 'staff', recusedBy: 'alice', reason: COMPLAINT, afterDecision: true,
        evidence: expect.objectContaining({ actorId: 'alice', actorRole: 'grant-manager', streamVersion: late.body.version }),
      }),
      expect.objectContaining({
        reviewerId: 'reviewer-nadia', by: 'reviewer', recusedBy: 'reviewer-nadia', afterDecision: true,
        evidence: expect.objectContaining({ actorId: 'reviewer-nadia', actorRole: 'reviewer' }),
      }),
    ]);
    // Both reviews counted when the decision was taken; each reviewer has been recused since.
    expect(dossier.reviews.map((r: { reviewerId: string; counted: boolean; recusedAfterDecision: boolean }) => [r.reviewerId, r.counted, r.recusedAfterDecision]).sort()).toEqual([
      ['reviewer-nadia', true, true],
      ['reviewer-omar', true, true],
    ]);
    // The decision stands.
    expect((await viewAt(id, late.body.version + 2)).status).toBe('rejected');
  });

  it('reads a recusal stored at schema version 1 as the reviewer’s own (every recusal then followed its declaration)', async () => {
    const id = await proposalWithReviewers('reviewer-omar');
    const streamId = proposalStreamName(id);
    const version = (await streamEvents(t, streamId)).length - 1;
    const v1: ReviewerRecusedDataV1 = { proposalId: id, reviewerId: 'reviewer-omar', reason: 'conflict of interest declared', recusedAt: DURING_WINDOW };
    const eventId = randomUUID();
    const store = t.app.get<EventStore>(EVENT_STORE);
    await store.append(
      streamId,
      [{ type: 'ReviewerRecused', schemaVersion: 1, data: v1, metadata: { eventId, actorId: 'reviewer-omar', actorRole: 'reviewer', correlationId: eventId, causationId: eventId } }],
      version,
    );
    const [stored] = await store.readStream(streamId, { fromVersion: version + 1 });
    expect(stored).toMatchObject({ schemaVersion: 1, data: v1 });
    const decoded = await t.app.get<EventCodec>(EVENT_CODEC).decode(stored);
    expect(decoded).toMatchObject({ schemaVersion: 2, data: { ...v1, by: 'reviewer', recusedBy: 'reviewer-omar' } });
    const { state } = await scenario.executor.load(proposalDecider, streamId);
    expect(state.recusedReviewerIds).toEqual(['reviewer-omar']);
    expect((await recuse(id, { reviewerId: 'reviewer-omar', reason: COMPLAINT }).expect(422)).body.rule).toBe('proposal.reviewer.recused');
  });
});
