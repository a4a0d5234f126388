import { randomUUID } from 'node:crypto';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { draftCallBody } from '../support/call-fixtures';

/*
 * A network from invitation to award over HTTP (issue 13): the lead invites organisations (the
 * answer never tells whether one is registered); an applicant of each invited organisation accepts
 * with its mandate or declines; only accepted partners see the draft and count towards the call's
 * minimum; a change of budget or partners asks for sign-off again; a partner leaves; submission
 * needs every listed partner's sign-off. After a rejection, the lead and accepted partners read the
 * evaluation summary (never reviewer ids or reviews), a partner asks for redress, a grant manager
 * upholds it, the proposal is evaluated again and awarded; the decision dossier shows all of it.
 */

const NOW = '2027-01-10T09:00:00Z';
const WITHIN_WINDOW = '2027-02-01T10:00:00Z';
const DECIDED = '2027-05-03T09:00:00Z';

/** An organisation id nobody registered. */
const NEVER_REGISTERED = randomUUID();

const CRITERIA = [
  { id: 'relevance', name: 'Relevance', weight: 60, maxScore: 10 },
  { id: 'network', name: 'Network', weight: 40, maxScore: 10 },
];

describe('a network from invitation to award: consent, sign-off, evaluation summary and redress', () => {
  let t: TestApp;
  let callId: string;
  const tokens: Record<string, string> = {};
  /** Registered organisations by name: a Beirut housing-rights collective (the lead, LB), Hebron tenants (PS), Sfax settlements (TN), a Rabat legal clinic (MA) that declines. */
  const ids: Record<'lead' | 'hebron' | 'sfax' | 'rabat', string> = { lead: '', hebron: '', sfax: '', rabat: '' };
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
  const post = (who: string, path: string, body?: object) => t.http.post(path).set(as(who)).send(body);
  const accept = (who: string, proposalId: string, organisationId: string, termsVersion: number) =>
    post(who, `/proposals/${proposalId}/partners/${organisationId}/acceptance`, { mandateStatement: `Board resolution of 20 January 2027 mandating ${who} to join`, termsVersion });
  const viewAt = (id: string, version: number, who = 'manager') =>
    eventually(async () => {
      const res = await t.http.get(`/proposals/${id}`).set(as(who));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    });
  /** The caller's invitation to this proposal once the read model shows the proposal at `version`. */
  const invitationAt = (who: string, proposalId: string, version: number) =>
    eventually(async () => {
      const res = await t.http.get('/partner-invitations').set(as(who)).expect(200);
      return res.body.items.find((i: { proposalId: string; version: number }) => i.proposalId === proposalId && i.version >= version);
    });

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    tokens.manager = await t.token({ role: 'grant-manager', id: 'alice' });
    tokens.auditor = await t.token({ role: 'auditor', id: 'audrey' });
    tokens.nadia = await t.token({ role: 'reviewer', id: 'reviewer-nadia' });
    for (const [name, country] of [
      ['lead', 'LB'],
      ['hebron', 'PS'],
      ['sfax', 'TN'],
      ['rabat', 'MA'],
    ] as const) {
      const registered = await post('manager', '/organisations', {
        name: `Network consent ${name}`,
        country,
        legalStatus: 'registered-association',
        focusGroups: ['refugees'],
        contactPerson: { name: `Contact ${name}`, email: `${name}@example.org` },
        memberUserIds: [`applicant-${name}`],
      }).expect(201);
      ids[name] = registered.body.id;
      tokens[name] = await t.token({ role: 'applicant', id: `applicant-${name}`, organisationId: ids[name] });
    }
    const call = await post('manager', '/calls', draftCallBody({ criteria: CRITERIA, reviewsRequired: 1, minPartners: 3 })).expect(201);
    callId = call.body.id;
    await post('manager', `/calls/${callId}/publish`).expect(200);
    t.clock.set(WITHIN_WINDOW);
  });

  afterAll(async () => {
    await t.close();
  });

  const proposalBody = (partners: string[], overrides: Record<string, unknown> = {}) => ({
    callId,
    partners: partners.map((organisationId) => ({ organisationId, role: 'eviction monitoring' })),
    title: 'Secure tenure for refugee and migrant households',
    summary: 'Legal aid, eviction monitoring and joint advocacy in Beirut, Hebron and Sfax.',
    policyIssue: 'housing rights for minorities',
    requestedMinor: 5_000_000,
    currency: 'EUR',
    budgetLines: [
      { label: 'Legal aid clinics', amountMinor: 3_000_000 },
      { label: 'Joint advocacy', amountMinor: 2_000_000 },
    ],
    durationMonths: 24,
    ...overrides,
  });

  it('walks a network through invitation, consent, submission, evaluation, redress and award', async () => {
    // The lead drafts, naming two partners, and invites a third and an id nobody registered: the answers do not differ.
    const drafted = await post('lead', '/proposals', proposalBody([ids.hebron, ids.rabat])).expect(201);
    const id = drafted.body.id as string;
    const invitedGhost = await post('lead', `/proposals/${id}/partners`, { organisationId: NEVER_REGISTERED, role: 'research' }).expect(200);
    const invitedSfax = await post('lead', `/proposals/${id}/partners`, { organisationId: ids.sfax, role: 'research' }).expect(200);
    expect(Object.keys(invitedGhost.body).sort()).toEqual(Object.keys(invitedSfax.body).sort());
    expect([invitedGhost.body, invitedSfax.body]).toEqual([{ id, version: 1 }, { id, version: 2 }]);
    // A draft naming an unregistered partner is drafted like any other (no 422 organisation.unknown).
    await post('lead', '/proposals', proposalBody([NEVER_REGISTERED, ids.hebron], { title: 'Another network' })).expect(201);
    await t.http.delete(`/proposals/${id}/partners/${NEVER_REGISTERED}`).set(as('lead')).expect(200);

    // Invited organisations see what they are asked to agree to, not the draft (nor the other partners).
    const sfaxInvitation = await invitationAt('sfax', id, 3);
    expect(sfaxInvitation).toMatchObject({ leadOrganisationId: ids.lead, role: 'research', status: 'invited', acceptedTermsVersion: null, termsVersion: 4, requestedMinor: 5_000_000 });
    expect(sfaxInvitation).not.toHaveProperty('partners');
    await t.http.get(`/proposals/${id}`).set(as('sfax')).expect(404);
    expect((await t.http.get('/proposals').set(as('sfax')).expect(200)).body.items.map((p: { id: string }) => p.id)).not.toContain(id);
    // Only an applicant of the invited organisation answers for it.
    await accept('lead', id, ids.sfax, 4).expect(403);
    await accept('hebron', id, ids.sfax, 4).expect(404);

    // Rabat declines; Hebron and Sfax accept the current terms with their mandates.
    await post('rabat', `/proposals/${id}/partners/${ids.rabat}/refusal`).expect(200);
    const notYet = await post('lead', `/proposals/${id}/submit`).expect(422);
    expect(notYet.body.rule).toBe('proposal.partners.sign-off-missing');
    const stale = await accept('hebron', id, ids.hebron, 4).expect(422);
    expect(stale.body.rule).toBe('proposal.partner.terms-changed'); // Rabat's refusal changed the partners: version 5
    await accept('hebron', id, ids.hebron, 5).expect(200);
    await accept('sfax', id, ids.sfax, 5).expect(200);
    // An accepted partner sees the draft; the one that declined sees nothing.
    const seenByHebron = await viewAt(id, 6, 'hebron');
    expect(seenByHebron.partners).toEqual([
      { organisationId: ids.hebron, role: 'eviction monitoring', status: 'accepted', acceptedTermsVersion: 5 },
      { organisationId: ids.sfax, role: 'research', status: 'accepted', acceptedTermsVersion: 5 },
    ]);
    await t.http.get(`/proposals/${id}`).set(as('rabat')).expect(404);

    // A change of budget asks every partner to sign off again.
    await t.http
      .patch(`/proposals/${id}`)
      .set(as('lead'))
      .send({ requestedMinor: 4_800_000, budgetLines: [{ label: 'Legal aid clinics', amountMinor: 2_800_000 }, { label: 'Joint advocacy', amountMinor: 2_000_000 }] })
      .expect(200);
    const resign = await post('lead', `/proposals/${id}/submit`).expect(422);
    expect(resign.body).toMatchObject({ rule: 'proposal.partners.sign-off-missing' });
    await accept('sfax', id, ids.sfax, 6).expect(200);

    // Hebron leaves before submission: Sfax alone is below the call's minimum (lead + 2), however many were invited.
    await post('hebron', `/proposals/${id}/partners/${ids.hebron}/departure`).expect(200);
    await accept('sfax', id, ids.sfax, 7).expect(200);
    const tooFew = await post('lead', `/proposals/${id}/submit`).expect(422);
    expect(tooFew.body.rule).toBe('proposal.partners.too-few');
    // Hebron is invited back and both sign off the terms as they now stand.
    await post('lead', `/proposals/${id}/partners`, { organisationId: ids.hebron, role: 'eviction monitoring' }).expect(200);
    await accept('hebron', id, ids.hebron, 8).expect(200);
    await accept('sfax', id, ids.sfax, 8).expect(200);
    const submitted = await post('lead', `/proposals/${id}/submit`).expect(200);

    // Evaluation: screening, one review, a consensus per criterion, a rejection.
    await post('manager', `/proposals/${id}/eligibility`, { results: [{ rule: 'lead-country-eligible', passed: true, note: 'LB' }] }).expect(200);
    await post('manager', `/proposals/${id}/reviewers`, { reviewerId: 'reviewer-nadia' }).expect(200);
    await post('nadia', `/proposals/${id}/reviews`, {
      scores: [
        { criterionId: 'relevance', score: 6, comment: 'Nadia-only remark: relevant' },
        { criterionId: 'network', score: 4, comment: 'Nadia-only remark: thin' },
      ],
      recommendation: 'do-not-fund',
      comment: 'Nadia-only overall comment',
    }).expect(200);
    const criteria = [
      { criterionId: 'relevance', score: 6, comment: 'Relevant; the eviction data is from 2022' },
      { criterionId: 'network', score: 4, comment: 'The partners roles overlap' },
    ];
    await post('manager', `/proposals/${id}/consensus`, { score: 52, summary: 'Below the funding line', criteria }).expect(200);
    t.clock.set(DECIDED);
    await post('manager', `/proposals/${id}/decision`, { decision: 'reject', reasons: 'Below the funding line', committee: 'Grants committee, May 2027' }).expect(200);

    // The lead and accepted partners read the evaluation summary: consensus per criterion, never reviewers or their reviews.
    const summary = await eventually(async () => {
      const res = await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('sfax')).expect(200);
      return res.body.decision ? res : undefined;
    });
    expect(summary.body).toMatchObject({
      proposalId: id,
      status: 'rejected',
      decision: { decision: 'reject', reasons: 'Below the funding line' },
      consensus: { score: 52, summary: 'Below the funding line', criteria },
      redressWindow: { days: 30, open: true },
      redressRequests: [],
    });
    expect(Date.parse(summary.body.redressWindow.endsAt) - Date.parse(summary.body.decision.decidedAt)).toBe(30 * 86_400_000);
    expect(summary.text).not.toContain('reviewer-nadia');
    expect(summary.text).not.toContain('Nadia-only');
    await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('lead')).expect(200);
    await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('rabat')).expect(404);
    await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('nadia')).expect(403);

    // Sfax asks for redress; once per decision; a grant manager upholds it: back to evaluation.
    const requested = await post('sfax', `/proposals/${id}/redress-requests`, { grounds: 'The 2024 eviction annex was not considered' }).expect(200);
    expect(requested.body).toEqual({ id, version: expect.any(Number), requestId: expect.any(String) });
    const again = await post('lead', `/proposals/${id}/redress-requests`, { grounds: 'Same again' }).expect(422);
    expect(again.body.rule).toBe('proposal.redress.already-requested');
    await post('sfax', `/proposals/${id}/redress-requests/${requested.body.requestId}/outcome`, { outcome: 'upheld', reasons: 'x' }).expect(403);
    await post('manager', `/proposals/${id}/redress-requests/${requested.body.requestId}/outcome`, { outcome: 'upheld', reasons: 'The panel did not read the annex' }).expect(200);
    const back = await viewAt(id, requested.body.version + 1, 'lead');
    expect(back).toMatchObject({ status: 'under-review', decision: null });

    // Evaluated again: a new consensus and an award; the award process creates the grant with both partners.
    await post('manager', `/proposals/${id}/consensus`, { score: 71, summary: 'The annex settles the relevance', criteria: [{ ...criteria[0], score: 8 }, criteria[1]] }).expect(200);
    const award = await post('manager', `/proposals/${id}/decision`, { decision: 'award', amountMinor: 4_500_000, reasons: 'Above the line after redress', committee: 'Grants committee, May 2027' }).expect(200);
    const grantId = award.body.award.grantId as string;
    const grant = await eventually(async () => {
      const res = await t.http.get(`/grants/${grantId}`).set(as('manager'));
      return res.status === 200 ? res.body : undefined;
    }, 15_000);
    expect(grant).toMatchObject({ proposalId: id, granteeOrganisationId: ids.lead, amountMinor: 4_500_000 });
    expect([...grant.partnerOrganisationIds].sort()).toEqual([ids.hebron, ids.sfax].sort());
    const awarded = await eventually(async () => {
      const res = await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('hebron')).expect(200);
      return res.body.decision?.decision === 'award' ? res.body : undefined;
    });
    expect(awarded).toMatchObject({ status: 'awarded', redressWindow: { endsAt: null, open: false }, redressRequests: [{ outcome: 'upheld', reasons: 'The panel did not read the annex' }] });

    // The decision dossier shows the network's consent and the redress, each with its evidence in the log.
    const dossier = (await t.http.get(`/audit/decisions/${id}`).set(as('auditor')).expect(200)).body;
    expect(dossier.partnerAnswers.map((a: { organisationId: string; answer: string; termsVersion?: number }) => [a.organisationId, a.answer, a.termsVersion ?? null])).toEqual([
      [ids.rabat, 'declined', null],
      [ids.hebron, 'accepted', 5],
      [ids.sfax, 'accepted', 5],
      [ids.sfax, 'accepted', 6],
      [ids.sfax, 'accepted', 7],
      [ids.hebron, 'accepted', 8],
      [ids.sfax, 'accepted', 8],
    ]);
    expect(dossier.partnerAnswers[1]).toMatchObject({ answeredBy: 'applicant-hebron', mandateStatement: expect.stringContaining('Board resolution') });
    expect(dossier.redress).toEqual([
      expect.objectContaining({
        organisationId: ids.sfax,
        grounds: 'The 2024 eviction annex was not considered',
        requestedBy: 'applicant-sfax',
        evidence: expect.objectContaining({ actorId: 'applicant-sfax', actorRole: 'applicant' }),
        outcome: expect.objectContaining({ outcome: 'upheld', decidedBy: 'alice', evidence: expect.objectContaining({ actorId: 'alice' }) }),
      }),
    ]);
    expect(dossier.earlierDecisions).toEqual([expect.objectContaining({ decision: 'reject' })]);
    expect(dossier.decision).toMatchObject({ decision: 'award', amountMinor: 4_500_000 });
    expect(submitted.body.version).toBeLessThan(requested.body.version);
  });

  it('a budget revised in a clarification answer after submission is new terms: the award waits until every partner signed them off again', async () => {
    t.clock.set(WITHIN_WINDOW);
    const drafted = await post('lead', '/proposals', proposalBody([ids.hebron, ids.sfax], { title: 'Network revised in clarification' })).expect(201);
    const id = drafted.body.id as string;
    await accept('hebron', id, ids.hebron, 1).expect(200);
    await accept('sfax', id, ids.sfax, 1).expect(200);
    const submitted = await post('lead', `/proposals/${id}/submit`).expect(200);
    t.clock.set(DECIDED);
    // Submitted and unchanged: nothing for a partner to sign again, and no invitation listed
    // (read once the list's read model has the submission: before, the draft's invitation is still there).
    await accept('sfax', id, ids.sfax, 1).expect(409);
    await viewAt(id, submitted.body.version);
    expect(((await t.http.get('/partner-invitations').set(as('sfax')).expect(200)).body.items as { proposalId: string }[]).map((i) => i.proposalId)).not.toContain(id);
    await post('manager', `/proposals/${id}/eligibility`, { results: [{ rule: 'lead-country-eligible', passed: true, note: 'LB' }] }).expect(200);
    await post('manager', `/proposals/${id}/reviewers`, { reviewerId: 'reviewer-nadia' }).expect(200);
    await post('nadia', `/proposals/${id}/reviews`, {
      scores: [
        { criterionId: 'relevance', score: 8, comment: 'relevant' },
        { criterionId: 'network', score: 7, comment: 'solid' },
      ],
      recommendation: 'fund',
      comment: 'Fund',
    }).expect(200);
    await post('manager', `/proposals/${id}/consensus`, { score: 76, summary: 'Fund, with a smaller budget' }).expect(200);

    // The programme asks; the lead answers with a smaller budget, moving more of it to its own clinics.
    const asked = await post('manager', `/proposals/${id}/clarification-requests`, { questions: ['Can the budget fit 4,600,000?'] }).expect(200);
    const revisedBudget = { requestedMinor: 4_600_000, budgetLines: [{ label: 'Legal aid clinics', amountMinor: 3_600_000 }, { label: 'Joint advocacy', amountMinor: 1_000_000 }] };
    const answered = await post('lead', `/proposals/${id}/clarifications`, { requestId: asked.body.requestId, answer: 'Yes', revisedFields: revisedBudget }).expect(200);
    const view = await viewAt(id, answered.body.version);
    expect(view).toMatchObject({ requestedMinor: 4_600_000, termsVersion: 2 });
    expect(view.partners.map((p: { acceptedTermsVersion: number }) => p.acceptedTermsVersion)).toEqual([1, 1]);
    // Each partner finds it among its invitations again, with the revised budget to sign off.
    const listed = async (who: 'hebron' | 'sfax') => ((await t.http.get('/partner-invitations').set(as(who)).expect(200)).body.items as { proposalId: string }[]).find((i) => i.proposalId === id);
    expect(await listed('hebron')).toMatchObject({ termsVersion: 2, acceptedTermsVersion: 1, signOffNeeded: true, requestedMinor: 4_600_000 });

    // The award waits for both partners' sign-off of the revised terms; nothing is appended meanwhile.
    const before = (await streamEvents(t, `proposal-${id}`)).length;
    const decide = () => post('manager', `/proposals/${id}/decision`, { decision: 'award', amountMinor: 4_500_000, reasons: 'Ranked first', committee: 'Grants committee, May 2027' });
    const refused = await decide().expect(422);
    expect(refused.body).toMatchObject({ rule: 'proposal.partners.sign-off-missing', detail: expect.stringContaining('before an award') });
    expect(refused.body.detail).toContain(ids.hebron);
    expect((await streamEvents(t, `proposal-${id}`)).length).toBe(before);
    const stale = await accept('hebron', id, ids.hebron, 1).expect(422);
    expect(stale.body.rule).toBe('proposal.partner.terms-changed');
    await accept('hebron', id, ids.hebron, 2).expect(200);
    expect((await decide().expect(422)).body.detail).toContain(ids.sfax);
    await accept('sfax', id, ids.sfax, 2).expect(200);
    await accept('sfax', id, ids.sfax, 2).expect(422);
    const signed = await decide().expect(200);
    await viewAt(id, signed.body.version);
    expect(await listed('sfax')).toBeUndefined();
    const dossier = (await t.http.get(`/audit/decisions/${id}`).set(as('auditor')).expect(200)).body;
    expect(dossier.partnerAnswers.map((a: { organisationId: string; termsVersion?: number }) => [a.organisationId, a.termsVersion])).toEqual([
      [ids.hebron, 1],
      [ids.sfax, 1],
      [ids.hebron, 2],
      [ids.sfax, 2],
    ]);
  });

  it('answers bad input with 400 and a frozen proposal with 409, appending nothing', async () => {
    t.clock.set(WITHIN_WINDOW);
    const id = (await post('lead', '/proposals', proposalBody([ids.hebron, ids.sfax], { title: 'Input checks' })).expect(201)).body.id as string;
    const before = (await streamEvents(t, `proposal-${id}`)).length;
    const noMandate = await post('hebron', `/proposals/${id}/partners/${ids.hebron}/acceptance`, { termsVersion: 1 }).expect(400);
    expect(noMandate.headers['content-type']).toMatch(/^application\/problem\+json/);
    await post('hebron', `/proposals/${id}/partners/${ids.hebron}/acceptance`, { mandateStatement: 'Board resolution', termsVersion: 0 }).expect(400);
    await post('hebron', `/proposals/${id}/partners/${ids.hebron}/acceptance`, { mandateStatement: 'Board resolution', termsVersion: '1' }).expect(400);
    await post('hebron', `/proposals/${id}/partners/not-a-uuid/acceptance`, { mandateStatement: 'Board resolution', termsVersion: 1 }).expect(400);
    await post('hebron', `/proposals/${id}/partners/${ids.hebron}/departure`).expect(422); // not accepted yet: decline instead
    await post('lead', `/proposals/${id}/redress-requests`, { grounds: '' }).expect(400);
    await post('manager', `/proposals/${id}/redress-requests/${randomUUID()}/outcome`, { outcome: 'maybe', reasons: 'x' }).expect(400);
    expect((await streamEvents(t, `proposal-${id}`)).length).toBe(before);

    await accept('hebron', id, ids.hebron, 1).expect(200);
    await accept('sfax', id, ids.sfax, 1).expect(200);
    await post('lead', `/proposals/${id}/submit`).expect(200);
    const frozen = await post('sfax', `/proposals/${id}/partners/${ids.sfax}/departure`).expect(409);
    expect(frozen.headers['content-type']).toMatch(/^application\/problem\+json/);
    await post('hebron', `/proposals/${id}/partners/${ids.hebron}/refusal`).expect(409);
    // No decision yet: nothing to redress (a state conflict), and the summary shows no consensus.
    await post('lead', `/proposals/${id}/redress-requests`, { grounds: 'Too early' }).expect(409);
    // The summary reads the read model: wait until it shows the submission (eventually consistent).
    const submitted = await viewAt(id, before + 2, 'lead');
    expect(submitted.status).toBe('submitted');
    const summary = await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('lead')).expect(200);
    expect(summary.body).toMatchObject({ decision: null, consensus: null, redressWindow: { endsAt: null, open: false } });
  });

  it('refuses a new decision while a redress request against the reserve list awaits its outcome: the request is never left without one', async () => {
    t.clock.set(WITHIN_WINDOW);
    const id = (await post('lead', '/proposals', proposalBody([ids.hebron, ids.sfax], { title: 'Reserve list, redress pending' })).expect(201)).body.id as string;
    await accept('hebron', id, ids.hebron, 1).expect(200);
    await accept('sfax', id, ids.sfax, 1).expect(200);
    await post('lead', `/proposals/${id}/submit`).expect(200);
    await post('manager', `/proposals/${id}/eligibility`, { results: [{ rule: 'lead-country-eligible', passed: true, note: 'LB' }] }).expect(200);
    await post('manager', `/proposals/${id}/reviewers`, { reviewerId: 'reviewer-nadia' }).expect(200);
    await post('nadia', `/proposals/${id}/reviews`, { scores: CRITERIA.map((c) => ({ criterionId: c.id, score: 6, comment: 'fair' })), recommendation: 'reserve', comment: 'x' }).expect(200);
    await post('manager', `/proposals/${id}/consensus`, { score: 60, summary: 'On the line' }).expect(200);
    t.clock.set(DECIDED);
    await post('manager', `/proposals/${id}/decision`, { decision: 'reserve', reasons: 'Reserve list', committee: 'Grants committee' }).expect(200);
    const filed = await post('lead', `/proposals/${id}/redress-requests`, { grounds: 'The network criterion ignored our partners' }).expect(200);

    // Funds come free: the award (or a rejection) waits for the request's outcome; nothing is appended meanwhile.
    const before = (await streamEvents(t, `proposal-${id}`)).length;
    const award = () => post('manager', `/proposals/${id}/decision`, { decision: 'award', amountMinor: 4_500_000, reasons: 'Funds freed on the reserve list', committee: 'Grants committee' });
    const refused = await award().expect(422);
    expect(refused.body).toMatchObject({ rule: 'proposal.redress.open', detail: expect.stringContaining(filed.body.requestId) });
    const rejection = await post('manager', `/proposals/${id}/decision`, { decision: 'reject', reasons: 'Below the line', committee: 'Grants committee' }).expect(422);
    expect(rejection.body.rule).toBe('proposal.redress.open');
    expect((await streamEvents(t, `proposal-${id}`)).length).toBe(before);

    // The outcome first, then the award: the request keeps its outcome in the summary.
    await post('manager', `/proposals/${id}/redress-requests/${filed.body.requestId}/outcome`, { outcome: 'rejected', reasons: 'The reserve list was drawn as the call says' }).expect(200);
    await award().expect(200);
    const summary = await eventually(async () => {
      const res = await t.http.get(`/proposals/${id}/evaluation-summary`).set(as('lead')).expect(200);
      return res.body.decision?.decision === 'award' ? res.body : undefined;
    });
    expect(summary.redressRequests).toEqual([expect.objectContaining({ requestId: filed.body.requestId, outcome: 'rejected', reasons: 'The reserve list was drawn as the call says' })]);
    const types = (await streamEvents(t, `proposal-${id}`)).map((e) => e.type).filter((type) => type !== 'AwardFunded'); // the award process may have recorded the grant by now
    expect(types.slice(-4)).toEqual(['FundingDecisionRecorded', 'RedressRequested', 'RedressOutcomeRecorded', 'FundingDecisionRecorded']);
  });

  it('refuses redress after the window (30 days by default) and records a rejected redress with its reasons', async () => {
    t.clock.set(WITHIN_WINDOW);
    const late = (await post('lead', '/proposals', proposalBody([ids.hebron, ids.sfax], { title: 'Late redress' })).expect(201)).body.id as string;
    const kept = (await post('lead', '/proposals', proposalBody([ids.hebron, ids.sfax], { title: 'Redress rejected' })).expect(201)).body.id as string;
    for (const id of [late, kept]) {
      await accept('hebron', id, ids.hebron, 1).expect(200);
      await accept('sfax', id, ids.sfax, 1).expect(200);
      await post('lead', `/proposals/${id}/submit`).expect(200);
      await post('manager', `/proposals/${id}/eligibility`, { results: [{ rule: 'lead-country-eligible', passed: true, note: 'LB' }] }).expect(200);
      await post('manager', `/proposals/${id}/reviewers`, { reviewerId: 'reviewer-nadia' }).expect(200);
      await post('nadia', `/proposals/${id}/reviews`, { scores: CRITERIA.map((c) => ({ criterionId: c.id, score: 5, comment: 'average' })), recommendation: 'reserve', comment: 'x' }).expect(200);
      await post('manager', `/proposals/${id}/consensus`, { score: 50, summary: 'Average' }).expect(200);
    }
    t.clock.set(DECIDED);
    await post('manager', `/proposals/${late}/decision`, { decision: 'reserve', reasons: 'Reserve list', committee: 'Grants committee' }).expect(200);
    await post('manager', `/proposals/${kept}/decision`, { decision: 'reject', reasons: 'Below the line', committee: 'Grants committee' }).expect(200);

    t.clock.set('2027-06-02T09:00:01Z'); // 30 days and a second after the decision
    const closed = await post('lead', `/proposals/${late}/redress-requests`, { grounds: 'Too late' }).expect(422);
    expect(closed.body.rule).toBe('proposal.redress.window-closed');
    t.clock.set('2027-06-02T09:00:00Z'); // the window's last instant
    const filed = await post('hebron', `/proposals/${kept}/redress-requests`, { grounds: 'Scores do not match the comments' }).expect(200);
    await post('manager', `/proposals/${kept}/redress-requests/${filed.body.requestId}/outcome`, { outcome: 'rejected', reasons: 'Scores and comments agree' }).expect(200);
    const summary = await eventually(async () => {
      const res = await t.http.get(`/proposals/${kept}/evaluation-summary`).set(as('lead')).expect(200);
      return res.body.redressRequests[0]?.outcome ? res.body : undefined;
    });
    expect(summary).toMatchObject({ status: 'rejected', redressWindow: { open: false }, redressRequests: [{ organisationId: ids.hebron, outcome: 'rejected', reasons: 'Scores and comments agree' }] });
    expect((await streamEvents(t, `proposal-${kept}`)).map((e) => e.type).slice(-3)).toEqual(['FundingDecisionRecorded', 'RedressRequested', 'RedressOutcomeRecorded']);
    const dossier = (await t.http.get(`/audit/decisions/${kept}`).set(as('auditor')).expect(200)).body;
    expect(dossier.redress).toEqual([expect.objectContaining({ grounds: 'Scores do not match the comments', outcome: expect.objectContaining({ outcome: 'rejected', reasons: 'Scores and comments agree' }) })]);
  });
});
