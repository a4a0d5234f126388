import { createHash, randomUUID } from 'node:crypto';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { organisationDecider, organisationStreamName } from '@app/domain/organisation';
import { canonicalJson } from '@app/event-store/hash-chain';
import { DataSource } from 'typeorm';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount as logEventCount, streamEvents } from '../support/log';
import { draftCallBody } from '../support/call-fixtures';

const NOW = '2027-01-10T09:00:00Z';
/** Inside the call's submission window [2027-01-15, 2027-03-31T23:59:59Z]. */
const WITHIN_WINDOW = '2027-02-01T10:00:00Z';
const AFTER_DEADLINE = '2027-04-01T00:00:01Z';

// A housing-rights network led from Lebanon with Palestinian and Tunisian partners, and a
// land-rights network led from Morocco; one Lebanese group partners nobody yet.
const BEIRUT_HOUSING = randomUUID();
const HEBRON_TENANTS = randomUUID();
const SFAX_SETTLEMENTS = randomUUID();
const AMAZIGH_LAND = randomUUID();
const DOM_COMMUNITY = randomUUID();

const ORGANISATIONS = [
  { id: BEIRUT_HOUSING, name: 'Beirut Housing Rights Collective', country: 'LB', members: ['applicant-beirut'] },
  { id: HEBRON_TENANTS, name: "Hebron Tenants' Committee", country: 'PS', members: ['applicant-hebron'] },
  { id: SFAX_SETTLEMENTS, name: 'Sfax Informal Settlements Association', country: 'TN', members: ['applicant-sfax', 'reviewer-sami'] },
  { id: AMAZIGH_LAND, name: 'Amazigh Land Rights Network', country: 'MA', members: ['applicant-amazigh'] },
  { id: DOM_COMMUNITY, name: 'Dom Community Association', country: 'LB', members: ['applicant-dom'] },
];

const CRITERIA = [
  { id: 'relevance', name: 'Relevance', weight: 40, maxScore: 10 },
  { id: 'network', name: 'Network', weight: 30, maxScore: 10 },
  { id: 'feasibility', name: 'Feasibility', weight: 30, maxScore: 10 },
];

function housingProposal(callId: string, overrides: Record<string, unknown> = {}) {
  return {
    callId,
    partners: [
      { organisationId: HEBRON_TENANTS, role: 'documentation of evictions' },
      { organisationId: SFAX_SETTLEMENTS, role: 'community outreach' },
    ],
    title: 'Secure tenure for refugee and migrant households',
    summary: 'Legal aid, eviction monitoring and joint advocacy for tenure rights in Beirut, Hebron and Sfax.',
    policyIssue: 'housing rights for minorities',
    requestedMinor: 5_000_000,
    currency: 'EUR',
    budgetLines: [
      { label: 'Legal aid clinics', amountMinor: 2_500_000 },
      { label: 'Eviction monitoring', amountMinor: 1_500_000 },
      { label: 'Joint advocacy', amountMinor: 1_000_000 },
    ],
    durationMonths: 24,
    ...overrides,
  };
}

function landProposal(callId: string) {
  return {
    callId,
    partners: [
      { organisationId: DOM_COMMUNITY, role: 'research' },
      { organisationId: SFAX_SETTLEMENTS, role: 'litigation support' },
    ],
    title: 'Collective land titles for Amazigh villages',
    summary: 'Strategic litigation and community mapping of customary land.',
    policyIssue: 'representation of minorities in land governance',
    requestedMinor: 4_000_000,
    currency: 'EUR',
    budgetLines: [{ label: 'Litigation', amountMinor: 4_000_000 }],
    durationMonths: 18,
  };
}

const scores = (relevance: number, network: number, feasibility: number) => [
  { criterionId: 'relevance', score: relevance, comment: 'relevance' },
  { criterionId: 'network', score: network, comment: 'network' },
  { criterionId: 'feasibility', score: feasibility, comment: 'feasibility' },
];

const ELIGIBLE = { results: [{ rule: 'lead-country-eligible', passed: true, note: 'Lead based in an eligible country' }] };

describe('proposals over HTTP', () => {
  let t: TestApp;
  let callId: string;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    const actors: [string, Parameters<TestApp['token']>[0]][] = [
      ['manager', { role: 'grant-manager', id: 'alice' }],
      ['admin', { role: 'admin', id: 'root' }],
      ['auditor', { role: 'auditor', id: 'audrey' }],
      ['partnerSystem', { role: 'partner', id: 'donor-system' }],
      ['beirut', { role: 'applicant', id: 'applicant-beirut', organisationId: BEIRUT_HOUSING }],
      ['hebron', { role: 'applicant', id: 'applicant-hebron', organisationId: HEBRON_TENANTS }],
      ['amazigh', { role: 'applicant', id: 'applicant-amazigh', organisationId: AMAZIGH_LAND }],
      ['dom', { role: 'applicant', id: 'applicant-dom', organisationId: DOM_COMMUNITY }],
      ['sfax', { role: 'applicant', id: 'applicant-sfax', organisationId: SFAX_SETTLEMENTS }],
      ['nadia', { role: 'reviewer', id: 'reviewer-nadia' }],
      ['omar', { role: 'reviewer', id: 'reviewer-omar' }],
      ['leila', { role: 'reviewer', id: 'reviewer-leila' }],
      ['karim', { role: 'reviewer', id: 'reviewer-karim' }],
      ['sami', { role: 'reviewer', id: 'reviewer-sami' }],
      ['rania', { role: 'reviewer', id: 'reviewer-rania' }],
    ];
    for (const [name, actor] of actors) tokens[name] = await t.token(actor);

    // Organisations come straight through the command path: this suite does not depend on the organisations routes.
    const executor = t.app.get(StreamCommandExecutor);
    for (const org of ORGANISATIONS) {
      await executor.execute(
        organisationDecider,
        organisationStreamName(org.id),
        org.id,
        {
          type: 'RegisterOrganisation',
          data: {
            organisationId: org.id,
            name: org.name,
            country: org.country,
            legalStatus: 'registered-association',
            focusGroups: ['refugees'],
            contactPerson: { name: 'Contact Person', email: 'contact@example.org' },
            memberUserIds: org.members,
          },
          now: NOW,
        },
        { actor: { id: 'root', role: 'admin' }, correlationId: randomUUID(), causationId: 'test-setup' },
      );
    }

    callId = await publishedCall();
  });

  beforeEach(() => t.clock.set(WITHIN_WINDOW));

  afterAll(async () => {
    await t.close();
  });

  const publishedCall = async () => {
    const call = await t.http
      .post('/calls')
      .set(bearer('manager'))
      .send(draftCallBody({ criteria: CRITERIA }))
      .expect(201);
    await t.http.post(`/calls/${call.body.id}/publish`).set(bearer('manager')).expect(200);
    return call.body.id as string;
  };

  const eventCount = () => logEventCount(t);
  const streamTypes = async (id: string) => (await streamEvents(t, `proposal-${id}`)).map((e) => e.type);

  /** GET /proposals/:id as `who`, once the read model has caught up with `version`. */
  const viewAt = (id: string, version: number, who = 'manager') =>
    eventually(async () => {
      const res = await t.http.get(`/proposals/${id}`).set(bearer(who));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    });

  const draft = async (who: string, body: Record<string, unknown>) => (await t.http.post('/proposals').set(bearer(who)).send(body).expect(201)).body as { id: string; version: number };

  /** The applicant (token name) of each partner organisation. */
  const PARTNER_APPLICANTS: Record<string, string> = { [HEBRON_TENANTS]: 'hebron', [SFAX_SETTLEMENTS]: 'sfax', [DOM_COMMUNITY]: 'dom' };
  /** Every invited partner of `body` accepts terms version 1 (as drafted), as its own applicant. */
  const partnersAccept = async (id: string, body: Record<string, unknown>) => {
    for (const { organisationId } of body.partners as { organisationId: string }[]) {
      await t.http
        .post(`/proposals/${id}/partners/${organisationId}/acceptance`)
        .set(bearer(PARTNER_APPLICANTS[organisationId]))
        .send({ mandateStatement: 'Board resolution to join the network', termsVersion: 1 })
        .expect(200);
    }
  };

  /** Drafted, accepted by every partner, submitted and screened eligible: ready for reviewers. */
  const eligibleProposal = async (who: string, body: Record<string, unknown>) => {
    const { id } = await draft(who, body);
    await partnersAccept(id, body);
    await t.http.post(`/proposals/${id}/submit`).set(bearer(who)).expect(200);
    await t.http.post(`/proposals/${id}/eligibility`).set(bearer('manager')).send(ELIGIBLE).expect(200);
    return id;
  };

  it('runs a proposal from draft to decision: screening, reviewers, a recusal, blind reviews, consensus, award and rejection, ranked', async () => {
    // Draft and submit: the answer is { id, version }, the submission freezes a hash anyone can recompute.
    const drafted = await t.http.post('/proposals').set(bearer('beirut')).send(housingProposal(callId)).expect(201);
    expect(drafted.body).toEqual({ id: expect.any(String), version: 0 });
    const housing = drafted.body.id as string;
    await partnersAccept(housing, housingProposal(callId));
    const submitted = await t.http.post(`/proposals/${housing}/submit`).set(bearer('beirut')).expect(200);
    expect(submitted.body).toEqual({ id: housing, version: 3 });
    const body = housingProposal(callId);
    const expectedHash = createHash('sha256')
      .update(canonicalJson({ proposalId: housing, leadOrganisationId: BEIRUT_HOUSING, ...body }))
      .digest('hex');
    const afterSubmit = await viewAt(housing, 3, 'beirut');
    expect(afterSubmit).toMatchObject({ status: 'submitted', submission: { version: 1, contentHash: expectedHash }, leadOrganisationId: BEIRUT_HOUSING });

    const land = await eligibleProposal('amazigh', landProposal(callId));

    // Screening and assignment by the programme team.
    await t.http.post(`/proposals/${housing}/eligibility`).set(bearer('manager')).send(ELIGIBLE).expect(200);
    for (const reviewerId of ['reviewer-nadia', 'reviewer-omar', 'reviewer-leila']) {
      await t.http.post(`/proposals/${housing}/reviewers`).set(bearer('manager')).send({ reviewerId }).expect(200);
    }
    for (const reviewerId of ['reviewer-nadia', 'reviewer-omar']) {
      await t.http.post(`/proposals/${land}/reviewers`).set(bearer('admin')).send({ reviewerId }).expect(200);
    }

    // Leila declares a conflict: she is recused at once and cannot review.
    await t.http.post(`/proposals/${housing}/conflicts`).set(bearer('leila')).send({ description: 'I advised the lead on its 2025 campaign' }).expect(200);
    const recusedReview = await t.http.post(`/proposals/${housing}/reviews`).set(bearer('leila')).send({ scores: scores(5, 5, 5), recommendation: 'fund', comment: 'x' }).expect(422);
    expect(recusedReview.body.rule).toBe('proposal.reviewer.recused');
    // Blind review: Omar sees no review before submitting his own; Nadia sees hers only until Omar's is in.
    await t.http.post(`/proposals/${housing}/reviews`).set(bearer('nadia')).send({ scores: scores(8, 7, 6), recommendation: 'fund', comment: 'Credible network' }).expect(200);
    const omarBefore = await viewAt(housing, 10, 'omar');
    expect(omarBefore.reviews).toEqual([]);
    const nadiaBefore = await viewAt(housing, 10, 'nadia');
    expect(nadiaBefore.reviews).toEqual([expect.objectContaining({ reviewerId: 'reviewer-nadia', weightedScore: 71, recused: false })]);
    t.clock.advance(3_600_000);
    await t.http.post(`/proposals/${housing}/reviews`).set(bearer('omar')).send({ scores: scores(9, 8, 7), recommendation: 'fund', comment: 'Strong' }).expect(200);
    const omarAfter = await viewAt(housing, 11, 'omar');
    expect(omarAfter.reviews.map((r: { reviewerId: string }) => r.reviewerId)).toEqual(['reviewer-nadia', 'reviewer-omar']);
    expect((await viewAt(housing, 11, 'beirut')).reviews).toEqual([]);
    expect((await viewAt(housing, 11, 'hebron')).reviews).toEqual([]);
    const managerView = await viewAt(housing, 11, 'manager');
    expect(managerView).toMatchObject({
      reviewCount: 2,
      reviewersAssigned: 3,
      reviewersRecused: 1,
      reviewers: { assigned: ['reviewer-nadia', 'reviewer-omar', 'reviewer-leila'], recused: ['reviewer-leila'] },
      conflicts: [expect.objectContaining({ reviewerId: 'reviewer-leila' })],
    });

    await t.http.post(`/proposals/${land}/reviews`).set(bearer('nadia')).send({ scores: scores(6, 6, 5), recommendation: 'reserve', comment: 'Promising' }).expect(200);
    await t.http.post(`/proposals/${land}/reviews`).set(bearer('omar')).send({ scores: scores(5, 6, 6), recommendation: 'do-not-fund', comment: 'Thin budget' }).expect(200);

    // Consensus and decisions.
    await t.http.post(`/proposals/${housing}/consensus`).set(bearer('manager')).send({ score: 81.5, summary: 'Strong network, clear target' }).expect(200);
    await t.http.post(`/proposals/${land}/consensus`).set(bearer('manager')).send({ score: 58, summary: 'Relevant but thin' }).expect(200);
    const award = await t.http
      .post(`/proposals/${housing}/decision`)
      .set(bearer('manager'))
      .send({ decision: 'award', amountMinor: 4_500_000, reasons: 'Ranked first; monitoring budget reduced', committee: 'Grants committee, May 2027' })
      .expect(200);
    expect(award.body).toEqual({ id: housing, version: expect.any(Number), award: { status: 'pending', grantId: expect.any(String) } });
    const reject = await t.http.post(`/proposals/${land}/decision`).set(bearer('manager')).send({ decision: 'reject', reasons: 'Below the funding line', committee: 'Grants committee, May 2027' }).expect(200);
    expect(reject.body.award).toBeUndefined();

    const decided = (await streamEvents(t, `proposal-${housing}`)).filter((e) => e.type === 'FundingDecisionRecorded');
    expect(decided).toHaveLength(1);
    expect(decided[0].data).toMatchObject({ decision: 'award', amountMinor: 4_500_000, grantId: award.body.award.grantId, decidedBy: 'alice' });
    expect(decided[0].metadata).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager' });
    // The award process manager records the award funded once the grant exists.
    expect(await eventually(async () => ((await streamTypes(housing)).includes('AwardFunded') ? streamTypes(housing) : undefined))).toEqual([
      'ProposalDrafted', 'PartnerInvitationAccepted', 'PartnerInvitationAccepted', 'ProposalSubmitted', 'EligibilityScreened', 'ReviewerAssigned', 'ReviewerAssigned', 'ReviewerAssigned',
      'ConflictOfInterestDeclared', 'ReviewerRecused', 'ReviewSubmitted', 'ReviewSubmitted', 'ConsensusRecorded', 'FundingDecisionRecorded',
      'AwardFunded',
    ]);

    // Ranking by consensus, best first, with status and decision.
    const ranking = await eventually(async () => {
      const res = await t.http.get(`/calls/${callId}/ranking`).set(bearer('auditor')).expect(200);
      const items = res.body.items.filter((i: { proposalId: string }) => [housing, land].includes(i.proposalId));
      return items.length === 2 && items.every((i: { decision: unknown }) => i.decision) ? items : undefined;
    });
    expect(ranking).toEqual([
      expect.objectContaining({ proposalId: housing, consensusScore: 81.5, status: 'awarded', decision: expect.objectContaining({ decision: 'award', amountMinor: 4_500_000 }), averageReviewScore: 76 }),
      expect.objectContaining({ proposalId: land, consensusScore: 58, status: 'rejected', decision: expect.objectContaining({ decision: 'reject' }) }),
    ]);
    expect(ranking[0].rank).toBeLessThan(ranking[1].rank);
    await t.http.get(`/calls/${callId}/ranking`).set(bearer('beirut')).expect(403);
    await t.http.get(`/calls/${callId}/ranking`).set(bearer('nadia')).expect(403);
    await t.http.get(`/calls/${randomUUID()}/ranking`).set(bearer('manager')).expect(404);

    // Reviewer queues: Nadia reviewed both; Leila was recused from her only one.
    const nadiaQueue = await t.http.get('/reviews/assigned').set(bearer('nadia')).expect(200);
    const nadiaItems = nadiaQueue.body.items.filter((i: { proposalId: string }) => [housing, land].includes(i.proposalId));
    expect(nadiaItems).toHaveLength(2);
    expect(nadiaItems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ proposalId: housing, reviewSubmitted: true, status: 'awarded' }),
        expect.objectContaining({ proposalId: land, reviewSubmitted: true, status: 'rejected' }),
      ]),
    );
    const leilaQueue = await t.http.get('/reviews/assigned').set(bearer('leila')).expect(200);
    expect(leilaQueue.body.items.map((i: { proposalId: string }) => i.proposalId)).not.toContain(housing);
    // From her recusal on she reads nothing of it (the proposal, its list entry, its documents), as
    // a reviewer never assigned; she may still add to her declaration.
    const recused = (await t.http.post(`/proposals/${housing}/conflicts`).set(bearer('leila')).send({ description: 'Also: my partner works for a partner of the lead' }).expect(200)).body as { version: number };
    await viewAt(housing, recused.version, 'manager');
    await t.http.get(`/proposals/${housing}`).set(bearer('leila')).expect(404);
    await t.http.get(`/proposals/${housing}/documents`).set(bearer('leila')).expect(404);
    const leilaList = await t.http.get(`/proposals?callId=${callId}`).set(bearer('leila')).expect(200);
    expect(leilaList.body.items.map((i: { id: string }) => i.id)).not.toContain(housing);
    // Nadia, assigned and not recused, still reads it.
    await t.http.get(`/proposals/${housing}`).set(bearer('nadia')).expect(200);
    expect((await t.http.get(`/proposals?callId=${callId}`).set(bearer('nadia')).expect(200)).body.items.map((i: { id: string }) => i.id)).toContain(housing);

    await t.http.get('/reviews/assigned').set(bearer('manager')).expect(403);

    // List filters, scoped to what the caller may see.
    const awarded = await t.http.get('/proposals').query({ callId, status: 'awarded' }).set(bearer('manager')).expect(200);
    expect(awarded.body.items.map((i: { id: string }) => i.id)).toContain(housing);
    expect(awarded.body.items.every((i: { status: string; callId: string }) => i.status === 'awarded' && i.callId === callId)).toBe(true);
    const rejected = await t.http.get('/proposals').query({ callId, status: 'rejected' }).set(bearer('auditor')).expect(200);
    expect(rejected.body.items.map((i: { id: string }) => i.id)).toContain(land);
    expect(rejected.body.items.every((i: { status: string }) => i.status === 'rejected')).toBe(true);
    const beiruts = await t.http.get('/proposals').query({ callId }).set(bearer('beirut')).expect(200);
    expect(beiruts.body.items.map((i: { id: string }) => i.id)).toContain(housing);
    expect(beiruts.body.items.map((i: { id: string }) => i.id)).not.toContain(land);
    expect(beiruts.body.items.find((i: { id: string }) => i.id === housing).consensusScore).toBeNull();
    // Who screened and decided, and the committee, are the programme's own record: not the applicants' nor the reviewers'.
    for (const who of ['beirut', 'hebron', 'omar'] as const) {
      const seen = (await t.http.get(`/proposals/${housing}`).set(bearer(who)).expect(200)).body;
      expect(seen.decision).toMatchObject({ decision: 'award', reasons: 'Ranked first; monitoring budget reduced', decidedBy: null, committee: null });
      expect(seen.eligibility).toMatchObject({ eligible: true, screenedBy: null });
    }
    for (const who of ['manager', 'auditor'] as const) {
      const seen = (await t.http.get(`/proposals/${housing}`).set(bearer(who)).expect(200)).body;
      expect(seen.decision).toMatchObject({ decidedBy: 'alice', committee: 'Grants committee, May 2027' });
      expect(seen.eligibility.screenedBy).toEqual(expect.any(String));
    }
    const domPartnerView = await t.http.get('/proposals').query({ callId }).set(bearer('dom')).expect(200);
    expect(domPartnerView.body.items.map((i: { id: string }) => i.id)).toContain(land);
    expect(domPartnerView.body.items.map((i: { id: string }) => i.id)).not.toContain(housing);
    const omarList = await t.http.get('/proposals').set(bearer('omar')).expect(200);
    expect(omarList.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([housing, land]));
    expect(omarList.body.items.every((i: { reviewersAssigned: number }) => i.reviewersAssigned > 0)).toBe(true);
    const karimList = await t.http.get('/proposals').set(bearer('karim')).expect(200);
    expect(karimList.body).toMatchObject({ items: [], total: 0 });
    const paged = await t.http.get('/proposals').query({ callId, limit: 1, offset: 0 }).set(bearer('manager')).expect(200);
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.total).toBeGreaterThanOrEqual(2);
    await t.http.get('/proposals').query({ status: 'approved' }).set(bearer('manager')).expect(400);
  });

  it('shows a reviewer the proposals still awaiting their review, and refuses reviewers from the network', async () => {
    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, second round' }));
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-karim' }).expect(200);
    const affiliated = await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-sami' }).expect(422);
    expect(affiliated.body.rule).toBe('proposal.reviewer.affiliated');

    const pending = await eventually(async () => {
      const res = await t.http.get('/reviews/assigned').query({ pending: 'true' }).set(bearer('karim')).expect(200);
      return res.body.items.some((i: { proposalId: string }) => i.proposalId === id) ? res.body : undefined;
    });
    expect(pending.items.find((i: { proposalId: string }) => i.proposalId === id)).toMatchObject({ reviewSubmitted: false, reviewSubmittedAt: null, status: 'under-review', callId });
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('karim')).send({ scores: scores(7, 7, 7), recommendation: 'fund', comment: 'Good' }).expect(200);
    await eventually(async () => {
      const res = await t.http.get('/reviews/assigned').query({ pending: 'true' }).set(bearer('karim')).expect(200);
      return res.body.items.some((i: { proposalId: string }) => i.proposalId === id) ? undefined : true;
    });
    const done = await t.http.get('/reviews/assigned').query({ pending: 'false' }).set(bearer('karim')).expect(200);
    expect(done.body.items.find((i: { proposalId: string }) => i.proposalId === id)).toMatchObject({ reviewSubmitted: true });
  });

  it('refuses the review of a reviewer who became a member user of an organisation of the network after the assignment, appending nothing', async () => {
    tokens.later = await t.token({ role: 'reviewer', id: 'reviewer-later' });
    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, reviewer joins the lead' }));
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-later' }).expect(200);
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-rania' }).expect(200);
    // The programme team records that the reviewer now acts for the lead.
    await t.http.patch(`/organisations/${BEIRUT_HOUSING}`).set(bearer('manager')).send({ memberUserIds: ['applicant-beirut', 'reviewer-later'] }).expect(200);
    const before = await streamTypes(id);
    const refused = await t.http.post(`/proposals/${id}/reviews`).set(bearer('later')).send({ scores: scores(9, 9, 9), recommendation: 'fund', comment: 'Excellent' }).expect(422);
    expect(refused.body).toMatchObject({ rule: 'proposal.reviewer.affiliated', detail: expect.stringContaining(BEIRUT_HOUSING) });
    expect(await streamTypes(id)).toEqual(before);
    // The other reviewer still reviews; with one review of the two required, no consensus.
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('rania')).send({ scores: scores(6, 6, 6), recommendation: 'reserve', comment: 'Average' }).expect(200);
    const tooFew = await t.http.post(`/proposals/${id}/consensus`).set(bearer('manager')).send({ score: 80, summary: 'Fund' }).expect(422);
    expect(tooFew.body.rule).toBe('proposal.reviews.too-few');
    // The same holds for a partner organisation, and the reviewer may still declare the conflict (and is recused).
    await t.http.patch(`/organisations/${BEIRUT_HOUSING}`).set(bearer('manager')).send({ memberUserIds: ['applicant-beirut'] }).expect(200);
    await t.http.patch(`/organisations/${HEBRON_TENANTS}`).set(bearer('manager')).send({ memberUserIds: ['applicant-hebron', 'reviewer-later'] }).expect(200);
    const partner = await t.http.post(`/proposals/${id}/reviews`).set(bearer('later')).send({ scores: scores(9, 9, 9), recommendation: 'fund', comment: 'Excellent' }).expect(422);
    expect(partner.body).toMatchObject({ rule: 'proposal.reviewer.affiliated', detail: expect.stringContaining(HEBRON_TENANTS) });
    await t.http.post(`/proposals/${id}/conflicts`).set(bearer('later')).send({ description: 'I joined the Hebron committee' }).expect(200);
    await t.http.patch(`/organisations/${HEBRON_TENANTS}`).set(bearer('manager')).send({ memberUserIds: ['applicant-hebron'] }).expect(200);
    expect((await streamTypes(id)).slice(before.length)).toEqual(['ReviewSubmitted', 'ConflictOfInterestDeclared', 'ReviewerRecused']);
  });

  it('refuses a blank or malformed reviewer id with a 400 naming the field, appending nothing', async () => {
    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, reviewer ids' }));
    const before = await streamTypes(id);
    for (const reviewerId of [' ', '', '\t', ' reviewer-nadia', 'reviewer-nadia ', 'reviewer nadia', 'reviewer-\u202enadia', 42]) {
      const res = await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId }).expect(400);
      expect({ reviewerId, fields: res.body.errors.map((e: { field: string }) => e.field) }).toEqual({ reviewerId, fields: ['reviewerId'] });
    }
    expect(await streamTypes(id)).toEqual(before);
    // A subject of the identity provider's usual shapes is taken.
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'auth0|5f7c8ec7c33c6c004bbafe82' }).expect(200);
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer.nadia@example.org' }).expect(200);
  });

  it('lets only the lead organisation act, partners read, assigned reviewers review, auditors read, and hides proposals from everyone else', async () => {
    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, access rules' }));
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-nadia' }).expect(200);
    const before = await eventCount();

    // Applicants: an unrelated organisation cannot even see it; a partner sees it but cannot act.
    await t.http.get(`/proposals/${id}`).set(bearer('amazigh')).expect(404);
    await t.http.post(`/proposals/${id}/withdraw`).set(bearer('amazigh')).send({ reason: 'not ours' }).expect(404);
    await viewAt(id, 5, 'hebron');
    await t.http.post(`/proposals/${id}/withdraw`).set(bearer('hebron')).send({ reason: 'we want out' }).expect(403);
    // Applicants never run the programme's steps.
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('beirut')).send({ reviewerId: 'reviewer-omar' }).expect(403);
    await t.http.post(`/proposals/${id}/consensus`).set(bearer('beirut')).send({ score: 99, summary: 'self-assessed' }).expect(403);

    // Reviewers: not assigned is not found; assigned ones cannot run the programme's steps either.
    await t.http.get(`/proposals/${id}`).set(bearer('karim')).expect(404);
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('karim')).send({ scores: scores(1, 1, 1), recommendation: 'do-not-fund', comment: 'x' }).expect(404);
    await t.http.post(`/proposals/${id}/conflicts`).set(bearer('karim')).send({ description: 'x' }).expect(404);
    await t.http.post(`/proposals/${id}/eligibility`).set(bearer('nadia')).send(ELIGIBLE).expect(403);
    await viewAt(id, 5, 'nadia');

    // Auditors read everything and write nothing; partner systems get nothing here.
    const audited = await viewAt(id, 5, 'auditor');
    expect(audited.reviewers).toEqual({ assigned: ['reviewer-nadia'], recused: [] });
    for (const [method, path, body] of [
      ['post', '/proposals', housingProposal(callId)],
      ['post', `/proposals/${id}/withdraw`, { reason: 'audit' }],
      ['post', `/proposals/${id}/reviewers`, { reviewerId: 'reviewer-omar' }],
      ['post', `/proposals/${id}/decision`, { decision: 'reject', reasons: 'x', committee: 'x' }],
    ] as const) {
      await t.http[method](path).set(bearer('auditor')).send(body).expect(403);
    }
    await t.http.get(`/proposals/${id}`).set(bearer('partnerSystem')).expect(403);
    await t.http.get('/proposals').set(bearer('partnerSystem')).expect(403);

    // Drafting: applicants only, and only for their own organisation.
    await t.http.post('/proposals').set(bearer('hebron')).send(housingProposal(callId, { leadOrganisationId: BEIRUT_HOUSING })).expect(403);
    await t.http.post('/proposals').set(bearer('manager')).send(housingProposal(callId, { leadOrganisationId: BEIRUT_HOUSING })).expect(403);
    await t.http.post(`/proposals/${randomUUID()}/submit`).set(bearer('beirut')).expect(404);

    expect(await eventCount()).toBe(before);
  });

  it("takes a reader's access away at once, also from the proposal's past: a recused reviewer, a partner removed from the draft", async () => {
    // A reviewer reads the proposal it was assigned, then declares a conflict of interest.
    const reviewed = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, a recusal' }));
    await t.http.post(`/proposals/${reviewed}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-omar' }).expect(200);
    await viewAt(reviewed, 5, 'omar');
    t.clock.advance(60_000);
    const whileAssigned = t.clock.now().toISOString();
    await t.http.get(`/proposals/${reviewed}`).query({ asOf: whileAssigned }).set(bearer('omar')).expect(200);
    t.clock.advance(60_000);
    await t.http.post(`/proposals/${reviewed}/conflicts`).set(bearer('omar')).send({ description: 'I sit on the lead board' }).expect(200);
    // At once (the read model may not have the recusal yet), and for an instant before it.
    await t.http.get(`/proposals/${reviewed}`).set(bearer('omar')).expect(404);
    await t.http.get(`/proposals/${reviewed}`).query({ asOf: whileAssigned }).set(bearer('omar')).expect(404);
    await t.http.get(`/proposals/${reviewed}/documents`).set(bearer('omar')).expect(404);
    // The programme and auditors still read that past.
    await t.http.get(`/proposals/${reviewed}`).query({ asOf: whileAssigned }).set(bearer('auditor')).expect(200);

    // An accepted partner reads the draft, then the lead takes it out of the network.
    const body = housingProposal(callId, { title: 'Tenure rights, a smaller network' });
    const { id: drafted } = await draft('beirut', body);
    await partnersAccept(drafted, body);
    await viewAt(drafted, 2, 'sfax');
    t.clock.advance(60_000);
    const whilePartner = t.clock.now().toISOString();
    await t.http.get(`/proposals/${drafted}`).query({ asOf: whilePartner }).set(bearer('sfax')).expect(200);
    t.clock.advance(60_000);
    await t.http.delete(`/proposals/${drafted}/partners/${SFAX_SETTLEMENTS}`).set(bearer('beirut')).expect(200);
    await t.http.get(`/proposals/${drafted}`).set(bearer('sfax')).expect(404);
    await t.http.get(`/proposals/${drafted}`).query({ asOf: whilePartner }).set(bearer('sfax')).expect(404);
    await t.http.get(`/proposals/${drafted}/evaluation-summary`).set(bearer('sfax')).expect(404);
    // The partner that stays still reads it, now and then.
    await t.http.get(`/proposals/${drafted}`).query({ asOf: whilePartner }).set(bearer('hebron')).expect(200);
    await viewAt(drafted, 3, 'hebron');
  });

  it("never shows a peer the review of a reviewer recused after writing it; the programme sees it, marked recused", async () => {
    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, a late conflict' }));
    for (const reviewerId of ['reviewer-omar', 'reviewer-nadia']) {
      await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId }).expect(200);
    }
    // Omar reviews, then declares a conflict; Nadia reviews after that.
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('omar')).send({ scores: scores(9, 9, 9), recommendation: 'fund', comment: 'Written under a conflict' }).expect(200);
    await t.http.post(`/proposals/${id}/conflicts`).set(bearer('omar')).send({ description: 'I sit on the lead board' }).expect(200);
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('nadia')).send({ scores: scores(6, 6, 6), recommendation: 'reserve', comment: 'Fair' }).expect(200);
    const nadia = await viewAt(id, 10, 'nadia');
    expect(nadia.reviews.map((r: { reviewerId: string }) => r.reviewerId)).toEqual(['reviewer-nadia']);
    expect(JSON.stringify(nadia)).not.toContain('Written under a conflict');
    const then = t.clock.now().toISOString();
    const nadiaThen = (await t.http.get(`/proposals/${id}`).query({ asOf: then }).set(bearer('nadia')).expect(200)).body;
    expect(nadiaThen.reviews.map((r: { reviewerId: string }) => r.reviewerId)).toEqual(['reviewer-nadia']);
    const manager = await viewAt(id, 10, 'manager');
    expect(manager.reviews.map((r: { reviewerId: string; recused: boolean }) => [r.reviewerId, r.recused]).sort()).toEqual([
      ['reviewer-nadia', false],
      ['reviewer-omar', true],
    ]);
    expect(manager.reviewCount).toBe(1);
  });

  it("keeps a conflict declaration's text sealed under the reviewer's key: read by the programme, null everywhere once the reviewer is erased", async () => {
    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Tenure rights, a declared relation' }));
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-rania' }).expect(200);
    const text = 'My cousin Hala Mansour chairs the lead organisation';
    await t.http.post(`/proposals/${id}/conflicts`).set(bearer('rania')).send({ description: text }).expect(200);
    // The log holds it encrypted, under the reviewer's key, not the proposal's.
    const declared = (await streamEvents(t, `proposal-${id}`)).find((event) => event.type === 'ConflictOfInterestDeclared');
    expect(JSON.stringify(declared?.data)).not.toContain('Hala');
    expect(declared?.data).toMatchObject({ reviewerId: 'reviewer-rania', description: { $pii: { subject: 'reviewer-contact-reviewer-rania' } } });
    const audited = (await t.http.get(`/audit/streams/proposal-${id}`).set(bearer('auditor')).expect(200)).body.items.find((event: { type: string }) => event.type === 'ConflictOfInterestDeclared');
    expect(audited.data.description).toEqual({ personalData: 'present' });
    const conflictsOf = (body: { conflicts: { reviewerId: string; description: string | null }[] }) => body.conflicts.map((c) => [c.reviewerId, c.description]);
    const live = await viewAt(id, 7, 'manager');
    expect(conflictsOf(live)).toEqual([['reviewer-rania', text]]);
    const then = t.clock.now().toISOString();
    expect(conflictsOf((await t.http.get(`/proposals/${id}`).query({ asOf: then }).set(bearer('auditor')).expect(200)).body)).toEqual([['reviewer-rania', text]]);
    // The read model keeps it sealed too.
    const [row] = await t.app.get(DataSource).query('SELECT conflicts::text AS conflicts FROM proposals WHERE id = $1', [id]);
    expect(row.conflicts).not.toContain('Hala');

    // The reviewer's erasure destroys the key: at once, live and in the past, whatever the projection does.
    await t.http.delete('/admin/reviewer-contacts/reviewer-rania').set(bearer('admin')).expect(204);
    expect(conflictsOf((await t.http.get(`/proposals/${id}`).set(bearer('manager')).expect(200)).body)).toEqual([['reviewer-rania', null]]);
    expect(conflictsOf((await t.http.get(`/proposals/${id}`).query({ asOf: then }).set(bearer('auditor')).expect(200)).body)).toEqual([['reviewer-rania', null]]);
    const erased = (await t.http.get(`/audit/streams/proposal-${id}`).set(bearer('auditor')).expect(200)).body.items.find((event: { type: string }) => event.type === 'ConflictOfInterestDeclared');
    expect(erased.data.description).toEqual({ personalData: 'erased' });
    // The recusal it caused stands: the proposal stays out of the reviewer's reach.
    await t.http.get(`/proposals/${id}`).set(bearer('rania')).expect(404);
  });

  it('refuses a submission after the deadline, extensions included', async () => {
    const { id: late } = await draft('beirut', housingProposal(callId, { title: 'Late network' }));
    t.clock.set(AFTER_DEADLINE);
    const refused = await t.http.post(`/proposals/${late}/submit`).set(bearer('beirut')).expect(422);
    expect(refused.body.rule).toBe('proposal.call.outside-window');
    expect(await streamTypes(late)).toEqual(['ProposalDrafted']);

    // A call whose deadline was extended takes submissions until the new deadline, and not after it.
    t.clock.set(WITHIN_WINDOW);
    const extendedCall = await publishedCall();
    await t.http.post(`/calls/${extendedCall}/deadline-extensions`).set(bearer('manager')).send({ newClosesAt: '2027-04-15T23:59:59Z', reason: 'Connectivity cut in Gaza' }).expect(200);
    const { id: onTime } = await draft('beirut', housingProposal(extendedCall, { title: 'Extended network' }));
    await partnersAccept(onTime, housingProposal(extendedCall));
    const { id: tooLate } = await draft('amazigh', landProposal(extendedCall));
    t.clock.set(AFTER_DEADLINE);
    await t.http.post(`/proposals/${onTime}/submit`).set(bearer('beirut')).expect(200);
    t.clock.set('2027-04-16T00:00:00Z');
    const afterExtension = await t.http.post(`/proposals/${tooLate}/submit`).set(bearer('amazigh')).expect(422);
    expect(afterExtension.body.rule).toBe('proposal.call.outside-window');
  });

  it('freezes a submitted proposal: revisions and partner changes are refused, a clarification round may change it', async () => {
    const { id } = await draft('beirut', housingProposal(callId, { title: 'Frozen network' }));
    // While drafting, the network and the content may change: an invitation is declined, the title revised.
    await t.http.post(`/proposals/${id}/partners`).set(bearer('beirut')).send({ organisationId: DOM_COMMUNITY, role: 'research' }).expect(200);
    await t.http.post(`/proposals/${id}/partners/${DOM_COMMUNITY}/refusal`).set(bearer('dom')).expect(200);
    // The invitation and the refusal changed the terms twice: partners accept version 3.
    for (const who of ['hebron', 'sfax']) {
      const partnerOf = who === 'hebron' ? HEBRON_TENANTS : SFAX_SETTLEMENTS;
      await t.http.post(`/proposals/${id}/partners/${partnerOf}/acceptance`).set(bearer(who)).send({ mandateStatement: 'Board resolution', termsVersion: 3 }).expect(200);
    }
    await t.http.patch(`/proposals/${id}`).set(bearer('beirut')).send({ title: 'Frozen network, revised' }).expect(200);
    await t.http.post(`/proposals/${id}/submit`).set(bearer('beirut')).expect(200);

    const frozen = await t.http.patch(`/proposals/${id}`).set(bearer('beirut')).send({ title: 'After the fact' }).expect(409);
    expect(frozen.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http.post(`/proposals/${id}/partners`).set(bearer('beirut')).send({ organisationId: DOM_COMMUNITY, role: 'research' }).expect(409);
    await t.http.post(`/proposals/${id}/submit`).set(bearer('beirut')).expect(409);

    const asked = await t.http.post(`/proposals/${id}/clarification-requests`).set(bearer('manager')).send({ questions: ['Which courts will the clinics cover?'] }).expect(200);
    expect(asked.body).toEqual({ id, version: 7, requestId: expect.any(String) });
    const requestId = asked.body.requestId;
    await t.http.post(`/proposals/${id}/clarifications`).set(bearer('hebron')).send({ requestId, answer: 'Not ours to answer' }).expect(403);
    await t.http
      .post(`/proposals/${id}/clarifications`)
      .set(bearer('beirut'))
      .send({ requestId, answer: 'Beirut and Mount Lebanon courts', revisedFields: { durationMonths: 30 } })
      .expect(200);
    const view = await viewAt(id, 8, 'beirut');
    expect(view).toMatchObject({
      title: 'Frozen network, revised',
      durationMonths: 30,
      status: 'submitted',
      submission: { version: 4 },
      contentVersion: 5,
      clarifications: [expect.objectContaining({ requestId, answer: 'Beirut and Mount Lebanon courts', revisedFields: { durationMonths: 30 } })],
    });
    expect(view.partners.map((p: { organisationId: string }) => p.organisationId)).toEqual([HEBRON_TENANTS, SFAX_SETTLEMENTS]);

    await t.http.post(`/proposals/${id}/withdraw`).set(bearer('beirut')).send({ reason: 'Partner lost its premises' }).expect(200);
    expect(await viewAt(id, 9, 'beirut')).toMatchObject({ status: 'withdrawn', withdrawal: { reason: 'Partner lost its premises' } });
  });

  it('answers invalid input with 400 and broken rules with 422, appending nothing', async () => {
    const before = await eventCount();
    const invalid = await t.http
      .post('/proposals')
      .set(bearer('beirut'))
      .send(housingProposal(callId, { requestedMinor: 12.5, currency: 'euro', surprise: true, partners: [{ organisationId: 'not-a-uuid', role: 'x' }] }))
      .expect(400);
    expect(invalid.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['currency', 'partners.0.organisationId', 'requestedMinor', 'surprise']);
    await t.http.post(`/proposals/not-a-uuid/submit`).set(bearer('beirut')).expect(400);

    const unknownCall = await t.http.post('/proposals').set(bearer('beirut')).send(housingProposal(randomUUID())).expect(422);
    expect(unknownCall.body.rule).toBe('proposal.call.unknown');
    const overBudget = await t.http.post('/proposals').set(bearer('beirut')).send(housingProposal(callId, { requestedMinor: 9_000_000 })).expect(422);
    expect(overBudget.body.rule).toBe('proposal.amount.out-of-range');
    // Ids are one id whatever their case (RFC 9562): the lead in upper case is still the lead, a partner twice is twice.
    const selfInvited = await t.http.post('/proposals').set(bearer('beirut')).send(housingProposal(callId, { partners: [{ organisationId: BEIRUT_HOUSING.toUpperCase(), role: 'itself' }] })).expect(422);
    expect(selfInvited.body.rule).toBe('proposal.partners.lead-listed');
    const twice = await t.http
      .post('/proposals')
      .set(bearer('beirut'))
      .send(housingProposal(callId, { partners: [{ organisationId: HEBRON_TENANTS, role: 'a' }, { organisationId: HEBRON_TENANTS.toUpperCase(), role: 'b' }] }))
      .expect(422);
    expect(twice.body.rule).toBe('proposal.partners.duplicate');

    const id = await eligibleProposal('beirut', housingProposal(callId, { title: 'Validation network' }));
    await t.http.post(`/proposals/${id}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-omar' }).expect(200);
    const afterSetup = await eventCount();
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('omar')).send({ scores: scores(-1, 5, 5), recommendation: 'fund', comment: 'x' }).expect(400);
    await t.http.post(`/proposals/${id}/reviews`).set(bearer('omar')).send({ scores: scores(5, 5, 5), recommendation: 'maybe', comment: 'x' }).expect(400);
    const outOfRange = await t.http.post(`/proposals/${id}/reviews`).set(bearer('omar')).send({ scores: scores(11, 5, 5), recommendation: 'fund', comment: 'x' }).expect(422);
    expect(outOfRange.body.rule).toBe('proposal.review.score-out-of-range');
    await t.http.post(`/proposals/${id}/consensus`).set(bearer('manager')).send({ score: 101, summary: 'x' }).expect(400);
    const early = await t.http.post(`/proposals/${id}/consensus`).set(bearer('manager')).send({ score: 70, summary: 'Too early' }).expect(422);
    expect(early.body.rule).toBe('proposal.reviews.too-few');
    await t.http.post(`/proposals/${id}/decision`).set(bearer('manager')).send({ decision: 'maybe', reasons: 'x', committee: 'x' }).expect(400);
    expect(await eventCount()).toBe(afterSetup);
    // A command on the id in upper case acts on the same proposal (it answered 404 while the GET found it).
    await t.http.post(`/proposals/${id.toUpperCase()}/reviewers`).set(bearer('manager')).send({ reviewerId: 'reviewer-nadia' }).expect(200);
    expect((await t.http.get(`/proposals/${id.toUpperCase()}`).set(bearer('manager')).expect(200)).body.id).toBe(id);
    expect(await eventCount()).toBe(afterSetup + 1);
    expect(afterSetup - before).toBe(6);
  });

  it('refuses a stale If-Match with 409 and replays a retried Idempotency-Key', async () => {
    const { id } = await draft('beirut', housingProposal(callId, { title: 'Concurrency network' }));
    const stale = await t.http.patch(`/proposals/${id}`).set(bearer('beirut')).set('If-Match', '"3"').send({ title: 'Stale' }).expect(409);
    expect(stale.body).toMatchObject({ actualVersion: 0 });
    await t.http.patch(`/proposals/${id}`).set(bearer('beirut')).set('If-Match', '"0"').send({ title: 'Fresh' }).expect(200);
    await partnersAccept(id, housingProposal(callId));

    const first = await t.http.post(`/proposals/${id}/submit`).set(bearer('beirut')).set('Idempotency-Key', `submit-${id}`).expect(200);
    const retry = await t.http.post(`/proposals/${id}/submit`).set(bearer('beirut')).set('Idempotency-Key', `submit-${id}`).expect(200);
    expect(retry.body).toEqual(first.body);
    expect(await streamTypes(id)).toEqual(['ProposalDrafted', 'ProposalRevised', 'PartnerInvitationAccepted', 'PartnerInvitationAccepted', 'ProposalSubmitted']);
  });

  it('documents every proposal command body with examples in OpenAPI', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    for (const path of ['/proposals', '/proposals/{id}', '/proposals/{id}/reviews', '/reviews/assigned', '/calls/{id}/ranking']) {
      expect(res.body.paths[path]).toBeDefined();
    }
    const schema = res.body.components.schemas.DraftProposalDto;
    for (const [name, prop] of Object.entries<{ example?: unknown }>(schema.properties)) {
      expect({ name, hasExample: prop.example !== undefined }).toEqual({ name, hasExample: true });
    }
  });
});
