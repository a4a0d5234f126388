import { randomUUID } from 'node:crypto';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftCallBody } from '../support/call-fixtures';

/**
 * Audit over HTTP: a programme played through the public routes (organisations, a call, two
 * proposals from draft to award, a grant), then read back as an auditor: stream history, the
 * global log, the record as of past instants, and decision dossiers.
 */

const NOW = '2027-01-10T09:00:00Z';
const WITHIN_WINDOW = '2027-02-01T10:00:00Z';
const CONTACT = { name: 'Rima Haddad', email: 'rima.haddad@bidoun-rights.example.org' };

const CRITERIA = [
  { id: 'relevance', name: 'Relevance', weight: 60, maxScore: 10 },
  { id: 'network', name: 'Network', weight: 40, maxScore: 10 },
];
const scores = (relevance: number, network: number) => [
  { criterionId: 'relevance', score: relevance, comment: 'relevance' },
  { criterionId: 'network', score: network, comment: 'network' },
];
const ELIGIBLE = { results: [{ rule: 'lead-country-eligible', passed: true, note: 'Lead based in an eligible country' }] };

interface Capture {
  path: string;
  streamId: string;
  version: number;
  who: string;
  live: Record<string, unknown>;
}

interface AuditedEvent {
  position: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  actorId: string;
  actorRole: string;
  correlationId: string;
  causationId: string;
  idempotencyKey: string | null;
  metadata: Record<string, unknown>;
  data: Record<string, unknown>;
}

describe('audit over HTTP', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
  const captures: Capture[] = [];
  const ids = { bidoun: '', hebron: '', amazigh: '', callId: '', housing: '', land: '', grantId: '' };
  let submitIdempotencyKey: string;

  const post = (who: string, path: string, body: object = {}) => t.http.post(path).set(bearer(who)).send(body);

  /** The live answer of `path` for `who` once its read model shows exactly `version`; kept to compare with as-of answers. */
  async function capture(path: string, streamId: string, version: number, who = 'manager'): Promise<Record<string, unknown>> {
    const live = await eventually(async () => {
      const res = await t.http.get(path).set(bearer(who));
      return res.status === 200 && res.body.version >= version ? (res.body as Record<string, unknown>) : undefined;
    });
    expect(live.version).toBe(version);
    captures.push({ path, streamId, version, who, live });
    return live;
  }

  async function streamEvents(streamId: string, who = 'auditor'): Promise<AuditedEvent[]> {
    const events: AuditedEvent[] = [];
    for (let fromVersion: number | null = 0; fromVersion !== null; ) {
      const res = await t.http.get(`/audit/streams/${streamId}`).query({ fromVersion, limit: 3 }).set(bearer(who)).expect(200);
      const page = res.body as { items: AuditedEvent[]; nextFromVersion: number | null };
      events.push(...page.items);
      fromVersion = page.nextFromVersion;
    }
    return events;
  }

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    const actors: [string, Parameters<TestApp['token']>[0]][] = [
      ['manager', { role: 'grant-manager', id: 'alice' }],
      ['admin', { role: 'admin', id: 'root' }],
      ['auditor', { role: 'auditor', id: 'audrey' }],
      ['partnerSystem', { role: 'partner', id: 'donor-system' }],
      ['nadia', { role: 'reviewer', id: 'reviewer-nadia' }],
      ['omar', { role: 'reviewer', id: 'reviewer-omar' }],
      ['leila', { role: 'reviewer', id: 'reviewer-leila' }],
    ];
    for (const [name, actor] of actors) tokens[name] = await t.token(actor);

    // Organisations, through their routes. Bidoun's contact person is erased at the end.
    const register = async (name: string, country: string, member: string) => {
      const res = await post('manager', '/organisations', {
        name, country, legalStatus: 'unregistered-group', focusGroups: ['stateless-people'], contactPerson: CONTACT, memberUserIds: [member],
      }).expect(201);
      return res.body.id as string;
    };
    ids.bidoun = await register('Bidoun Rights Collective', 'LB', 'applicant-bidoun');
    await capture(`/organisations/${ids.bidoun}`, `organisation-${ids.bidoun}`, 0);
    ids.hebron = await register("Hebron Tenants' Committee", 'PS', 'applicant-hebron');
    ids.amazigh = await register('Amazigh Land Rights Network', 'MA', 'applicant-amazigh');
    tokens.bidoun = await t.token({ role: 'applicant', id: 'applicant-bidoun', organisationId: ids.bidoun });
    tokens.amazigh = await t.token({ role: 'applicant', id: 'applicant-amazigh', organisationId: ids.amazigh });
    tokens.hebron = await t.token({ role: 'applicant', id: 'applicant-hebron', organisationId: ids.hebron });
    await t.http.patch(`/organisations/${ids.bidoun}`).set(bearer('manager')).send({ name: 'Bidoun Rights Collective (Beirut)' }).expect(200);
    await capture(`/organisations/${ids.bidoun}`, `organisation-${ids.bidoun}`, 1);
    await post('admin', `/organisations/${ids.bidoun}/due-diligence`, { outcome: 'conditional', notes: 'Fiscal sponsor agreement seen' }).expect(200);
    await capture(`/organisations/${ids.bidoun}`, `organisation-${ids.bidoun}`, 2);

    // A call: drafted, published, deadline extended.
    const call = await post('manager', '/calls', draftCallBody({ budgetMinor: 20_000_000, minAwardMinor: 500_000, minPartners: 2, criteria: CRITERIA })).expect(201);
    ids.callId = call.body.id;
    const callStream = `call-${ids.callId}`;
    await capture(`/calls/${ids.callId}`, callStream, 0);
    await post('manager', `/calls/${ids.callId}/publish`).expect(200);
    await capture(`/calls/${ids.callId}`, callStream, 1);
    await capture(`/calls/${ids.callId}`, callStream, 1, 'bidoun');
    await post('manager', `/calls/${ids.callId}/deadline-extensions`, { newClosesAt: '2027-04-30T23:59:59Z', reason: 'Connectivity cut in Gaza for two weeks' }).expect(200);
    await capture(`/calls/${ids.callId}`, callStream, 2);

    // The housing proposal, from draft to award, with a conflict and recusal on the way.
    t.clock.set(WITHIN_WINDOW);
    const housing = await post('bidoun', '/proposals', {
      callId: ids.callId, partners: [{ organisationId: ids.hebron, role: 'documentation of evictions' }],
      title: 'Nationality rights for stateless children', summary: 'Legal aid and advocacy on birth registration.',
      policyIssue: 'nationality rights', requestedMinor: 5_000_000, currency: 'EUR',
      budgetLines: [{ label: 'Legal aid', amountMinor: 3_000_000 }, { label: 'Advocacy', amountMinor: 2_000_000 }], durationMonths: 24,
    }).expect(201);
    ids.housing = housing.body.id;
    const housingStream = `proposal-${ids.housing}`;
    const housingPath = `/proposals/${ids.housing}`;
    await capture(housingPath, housingStream, 0);
    // The invited partner accepts with its mandate before the lead can submit.
    await post('hebron', `${housingPath}/partners/${ids.hebron}/acceptance`, { mandateStatement: 'Board resolution of 3 January 2027', termsVersion: 1 }).expect(200);
    submitIdempotencyKey = `submit-${randomUUID()}`;
    await t.http.post(`${housingPath}/submit`).set(bearer('bidoun')).set('Idempotency-Key', submitIdempotencyKey).expect(200);
    await capture(housingPath, housingStream, 2);
    await post('manager', `${housingPath}/eligibility`, ELIGIBLE).expect(200);
    for (const reviewerId of ['reviewer-nadia', 'reviewer-omar', 'reviewer-leila']) await post('manager', `${housingPath}/reviewers`, { reviewerId }).expect(200);
    await capture(housingPath, housingStream, 6);
    const conflict = await post('leila', `${housingPath}/conflicts`, { description: 'I advised the lead on its 2025 campaign' }).expect(200);
    expect(conflict.body.version).toBe(8); // declared and recused in one append
    await post('nadia', `${housingPath}/reviews`, { scores: scores(8, 7), recommendation: 'fund', comment: 'Credible network' }).expect(200);
    await capture(housingPath, housingStream, 9);
    await capture(housingPath, housingStream, 9, 'omar'); // blind: Omar sees no review yet
    await post('omar', `${housingPath}/reviews`, { scores: scores(9, 8), recommendation: 'fund', comment: 'Strong' }).expect(200);
    await capture(housingPath, housingStream, 10, 'omar');
    await post('manager', `${housingPath}/consensus`, { score: 84, summary: 'Strong network, clear target' }).expect(200);
    const award = await post('manager', `${housingPath}/decision`, {
      decision: 'award', amountMinor: 4_500_000, reasons: 'Ranked first; advocacy budget reduced', committee: 'Grants committee, May 2027',
    }).expect(200);
    ids.grantId = award.body.award.grantId;
    // Once the award process manager has created the grant, the proposal records the award funded (version 13).
    await capture(housingPath, housingStream, 13);
    await capture(housingPath, housingStream, 13, 'bidoun');

    // The award process manager commits the funds on the call and creates the grant.
    await capture(`/calls/${ids.callId}`, callStream, 3);
    const grantPath = `/grants/${ids.grantId}`;
    await capture(grantPath, `grant-${ids.grantId}`, 0);
    await post('manager', `${grantPath}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);
    await capture(grantPath, `grant-${ids.grantId}`, 1);
    await post('manager', `${grantPath}/disbursements`, { amountMinor: 1_500_000, dueDate: '2027-07-01' }).expect(201);
    await capture(grantPath, `grant-${ids.grantId}`, 2);
    await capture(grantPath, `grant-${ids.grantId}`, 2, 'bidoun');

    // The land proposal is decided once the housing award is committed: its dossier shows that budget position.
    const land = await post('amazigh', '/proposals', {
      callId: ids.callId, partners: [{ organisationId: ids.hebron, role: 'research' }],
      title: 'Collective land titles for Amazigh villages', summary: 'Strategic litigation and community mapping.',
      policyIssue: 'representation of minorities in land governance', requestedMinor: 4_000_000, currency: 'EUR',
      budgetLines: [{ label: 'Litigation', amountMinor: 4_000_000 }], durationMonths: 18,
    }).expect(201);
    ids.land = land.body.id;
    const landPath = `/proposals/${ids.land}`;
    await post('hebron', `${landPath}/partners/${ids.hebron}/acceptance`, { mandateStatement: 'Board resolution of 3 January 2027', termsVersion: 1 }).expect(200);
    await post('amazigh', `${landPath}/submit`).expect(200);
    await post('manager', `${landPath}/eligibility`, ELIGIBLE).expect(200);
    for (const reviewerId of ['reviewer-nadia', 'reviewer-omar']) await post('manager', `${landPath}/reviewers`, { reviewerId }).expect(200);
    await post('nadia', `${landPath}/reviews`, { scores: scores(6, 6), recommendation: 'reserve', comment: 'Promising' }).expect(200);
    await post('omar', `${landPath}/reviews`, { scores: scores(7, 6), recommendation: 'fund', comment: 'Solid' }).expect(200);
    await post('manager', `${landPath}/consensus`, { score: 64, summary: 'Relevant, thinner network' }).expect(200);
    await post('admin', `${landPath}/decision`, { decision: 'award', amountMinor: 3_000_000, reasons: 'Within the remaining budget', committee: 'Grants committee, May 2027' }).expect(200);
    await eventually(async () => {
      const res = await t.http.get(`/calls/${ids.callId}`).set(bearer('manager'));
      return res.body.committedMinor === 7_500_000 ? true : undefined;
    });

    // Finally the contact person of Bidoun is erased (crypto-shredded).
    await post('admin', `/organisations/${ids.bidoun}/erasure`, { reason: 'Data subject request DSR-0042' }).expect(200);
    await eventually(async () => {
      const res = await t.http.get(`/organisations/${ids.bidoun}`).set(bearer('manager'));
      return res.body.personalDataErased === true ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  describe('history', () => {
    it('pages through a stream with every event and its full metadata', async () => {
      const events = await streamEvents(`proposal-${ids.housing}`);
      expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i));
      expect(events.map((e) => e.type)).toEqual([
        'ProposalDrafted', 'PartnerInvitationAccepted', 'ProposalSubmitted', 'EligibilityScreened', 'ReviewerAssigned', 'ReviewerAssigned', 'ReviewerAssigned',
        'ConflictOfInterestDeclared', 'ReviewerRecused', 'ReviewSubmitted', 'ReviewSubmitted', 'ConsensusRecorded', 'FundingDecisionRecorded',
        'AwardFunded',
      ]);
      for (const event of events) {
        expect(event).toMatchObject({
          // ReviewerRecused is at schema version 2 (`by`, `recusedBy`: proposal.upcasters.ts).
          streamId: `proposal-${ids.housing}`, eventId: expect.any(String), position: expect.any(String), schemaVersion: event.type === 'ReviewerRecused' ? 2 : 1,
          recordedAt: expect.any(String), actorId: expect.any(String), actorRole: expect.any(String),
          correlationId: expect.any(String), causationId: expect.any(String),
        });
        expect(event.metadata.eventId).toBe(event.eventId);
      }
      expect(events[0]).toMatchObject({ actorId: 'applicant-bidoun', actorRole: 'applicant', idempotencyKey: null });
      expect(events[1]).toMatchObject({ type: 'PartnerInvitationAccepted', actorId: 'applicant-hebron', actorRole: 'applicant', data: expect.objectContaining({ organisationId: ids.hebron, termsVersion: 1 }) });
      expect(events[2]).toMatchObject({ type: 'ProposalSubmitted', idempotencyKey: submitIdempotencyKey });
      expect(events[8]).toMatchObject({ type: 'ReviewerRecused', actorId: 'reviewer-leila', actorRole: 'reviewer', data: expect.objectContaining({ by: 'reviewer', recusedBy: 'reviewer-leila' }) });
      expect(events[12]).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager', data: expect.objectContaining({ decision: 'award', amountMinor: 4_500_000 }) });
      // Positions grow along the stream (they sort as strings).
      expect([...events.map((e) => e.position)].sort()).toEqual(events.map((e) => e.position));
    });

    it('shows personal data as present or erased, never in clear', async () => {
      const present = await t.http.get(`/audit/streams/organisation-${ids.hebron}`).set(bearer('auditor')).expect(200);
      expect(present.body.items[0].data.contactPerson).toEqual({ personalData: 'present' });
      const erased = await t.http.get(`/audit/streams/organisation-${ids.bidoun}`).set(bearer('auditor')).expect(200);
      expect(erased.body.items[0].data).toMatchObject({ name: 'Bidoun Rights Collective', contactPerson: { personalData: 'erased' } });
      expect(erased.body.items.map((e: AuditedEvent) => e.type)).toContain('OrganisationPersonalDataErased');
      const grant = await t.http.get(`/audit/streams/grant-${ids.grantId}`).set(bearer('admin')).expect(200);
      expect(grant.body.items[1].data.signatories).toEqual({ personalData: 'present' });
      for (const text of [present.text, erased.text, grant.text]) {
        expect(text).not.toContain(CONTACT.email);
        expect(text).not.toContain(CONTACT.name);
        expect(text).not.toContain('Rania Haddad');
      }
    });

    it('refuses a malformed stream id or version (400) and does not know an unknown stream (404)', async () => {
      await t.http.get('/audit/streams/not-a-stream').set(bearer('auditor')).expect(400);
      await t.http.get(`/audit/streams/proposal-${ids.housing}`).query({ fromVersion: -1 }).set(bearer('auditor')).expect(400);
      await t.http.get(`/audit/streams/proposal-${ids.housing}`).query({ limit: 0 }).set(bearer('auditor')).expect(400);
      const unknown = await t.http.get(`/audit/streams/proposal-${randomUUID()}`).set(bearer('auditor')).expect(404);
      expect(unknown.headers['content-type']).toContain('application/problem+json');
      const beyond = await t.http.get(`/audit/streams/proposal-${ids.housing}`).query({ fromVersion: 50 }).set(bearer('auditor')).expect(200);
      expect(beyond.body).toEqual({ streamId: `proposal-${ids.housing}`, items: [], nextFromVersion: null });
    });

    it('filters the global log by actor and follows its cursor to the end', async () => {
      const collected: AuditedEvent[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 20; pages += 1) {
        const res = await t.http.get('/audit/log').query({ actor: 'reviewer-omar', limit: 1, ...(after ? { after } : {}) }).set(bearer('auditor')).expect(200);
        collected.push(...res.body.items);
        if (res.body.next === null) break;
        after = res.body.next;
      }
      expect(collected.map((e) => [e.type, e.streamId])).toEqual([
        ['ReviewSubmitted', `proposal-${ids.housing}`],
        ['ReviewSubmitted', `proposal-${ids.land}`],
      ]);
      expect(collected.every((e) => e.actorId === 'reviewer-omar' && e.actorRole === 'reviewer')).toBe(true);
    });

    it('filters the global log by type and recorded time, and pages without overlap', async () => {
      const decisions = await t.http.get('/audit/log').query({ type: 'FundingDecisionRecorded,GrantAwarded' }).set(bearer('admin')).expect(200);
      expect(decisions.body.items.map((e: AuditedEvent) => e.type).sort()).toEqual(['FundingDecisionRecorded', 'FundingDecisionRecorded', 'GrantAwarded', 'GrantAwarded']);
      expect(decisions.body.next).toBeNull();

      const decided = decisions.body.items.find((e: AuditedEvent) => e.streamId === `proposal-${ids.housing}`) as AuditedEvent;
      const instant = await t.http.get('/audit/log').query({ from: decided.recordedAt, to: decided.recordedAt }).set(bearer('auditor')).expect(200);
      expect(instant.body.items.map((e: AuditedEvent) => e.eventId)).toContain(decided.eventId);
      expect(instant.body.items.every((e: AuditedEvent) => e.recordedAt === decided.recordedAt)).toBe(true);

      const first = await t.http.get('/audit/log').query({ limit: 5 }).set(bearer('auditor')).expect(200);
      expect(first.body.items).toHaveLength(5);
      expect(first.body.next).toBe(first.body.items[4].position);
      const second = await t.http.get('/audit/log').query({ limit: 5, after: first.body.next }).set(bearer('auditor')).expect(200);
      expect(second.body.items[0].position > first.body.items[4].position).toBe(true);
    });

    it('refuses a malformed cursor or time filter with 400', async () => {
      await t.http.get('/audit/log').query({ after: 'not-a-cursor' }).set(bearer('auditor')).expect(400);
      await t.http.get('/audit/log').query({ from: 'yesterday' }).set(bearer('auditor')).expect(400);
      await t.http.get('/audit/log').query({ from: '2027-02-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }).set(bearer('auditor')).expect(400);
      await t.http.get('/audit/log').query({ type: "x'; DROP TABLE events" }).set(bearer('auditor')).expect(400);
      // A type the ledger never records (a typo) says so, instead of an empty page that reads as "none happened".
      const typo = await t.http.get('/audit/log').query({ type: 'GrantAwarded,FundingDecisionRecoded' }).set(bearer('auditor')).expect(400);
      expect(typo.body.detail).toContain('FundingDecisionRecoded');
      expect(typo.body.detail).not.toContain('GrantAwarded,');
    });
  });

  describe('time travel', () => {
    it('answers every route as of the instant of each step exactly as it answered live then', async () => {
      const recordedTimes = new Map<string, AuditedEvent[]>();
      for (const capture of captures) {
        const events = recordedTimes.get(capture.streamId) ?? (await streamEvents(capture.streamId));
        recordedTimes.set(capture.streamId, events);
        const at = events[capture.version].recordedAt;
        const next = events[capture.version + 1]?.recordedAt;
        // The instant of the step itself, and (when there is room) the last millisecond before the next step.
        const instants = [at, ...(next && Date.parse(next) - Date.parse(at) > 1 ? [new Date(Date.parse(next) - 1).toISOString()] : [])];
        for (const asOf of instants) {
          const res = await t.http.get(capture.path).query({ asOf }).set(bearer(capture.who));
          expect({ path: capture.path, who: capture.who, asOf, status: res.status }).toEqual({ path: capture.path, who: capture.who, asOf, status: 200 });
          if (capture.path.startsWith('/organisations/')) {
            // Erased since: the past reads as erased too; everything else as it was.
            expect(res.body).toEqual({ ...capture.live, contactPerson: null, personalDataErased: true });
          } else {
            expect(res.body).toEqual(capture.live);
          }
        }
      }
      expect(captures.length).toBeGreaterThanOrEqual(20);
    });

    it('knows nothing before a stream existed (404) and refuses an invalid instant (400)', async () => {
      const before = '2020-01-01T00:00:00Z';
      for (const path of [`/calls/${ids.callId}`, `/proposals/${ids.housing}`, `/grants/${ids.grantId}`, `/organisations/${ids.bidoun}`]) {
        // The answer names the instant the asOf was read as (a date alone is midnight UTC).
        const notYet = await t.http.get(path).query({ asOf: '2020-01-01' }).set(bearer('auditor')).expect(404);
        expect(notYet.body.detail).toMatch(/ not found as of 2020-01-01T00:00:00\.000Z$/);
        await t.http.get(path).query({ asOf: before }).set(bearer('auditor')).expect(404);
        await t.http.get(path).query({ asOf: 'last tuesday' }).set(bearer('auditor')).expect(400);
      }
      const draftedAt = (await streamEvents(`proposal-${ids.housing}`))[0].recordedAt;
      await t.http.get(`/proposals/${ids.housing}`).query({ asOf: new Date(Date.parse(draftedAt) - 1).toISOString() }).set(bearer('auditor')).expect(404);
    });

    it('keeps an erased contact erased in the past', async () => {
      const registeredAt = (await streamEvents(`organisation-${ids.bidoun}`))[0].recordedAt;
      const past = await t.http.get(`/organisations/${ids.bidoun}`).query({ asOf: registeredAt }).set(bearer('manager')).expect(200);
      expect(past.body).toMatchObject({ name: 'Bidoun Rights Collective', version: 0, contactPerson: null, personalDataErased: true });
      expect(past.text).not.toContain(CONTACT.email);
    });

    it('applies the live route\'s role rules to the past answer', async () => {
      const at = new Date().toISOString();
      // A draft call is not shown to applicants, now or in the past.
      const draftedAt = (await streamEvents(`call-${ids.callId}`))[0].recordedAt;
      await t.http.get(`/calls/${ids.callId}`).query({ asOf: draftedAt }).set(bearer('bidoun')).expect(404);
      await t.http.get(`/calls/${ids.callId}`).query({ asOf: draftedAt }).set(bearer('auditor')).expect(200);
      // Another organisation's proposal, grant or profile is not there for an applicant.
      await t.http.get(`/proposals/${ids.housing}`).query({ asOf: at }).set(bearer('amazigh')).expect(404);
      await t.http.get(`/grants/${ids.grantId}`).query({ asOf: at }).set(bearer('amazigh')).expect(404);
      await t.http.get(`/organisations/${ids.bidoun}`).query({ asOf: at }).set(bearer('amazigh')).expect(404);
      await t.http.get(`/proposals/${ids.housing}`).query({ asOf: at }).set(bearer('partnerSystem')).expect(403);
      // The as-of answer equals the live one once nothing has happened since.
      const live = await t.http.get(`/proposals/${ids.land}`).set(bearer('auditor')).expect(200);
      const asOf = await t.http.get(`/proposals/${ids.land}`).query({ asOf: at }).set(bearer('auditor')).expect(200);
      expect(asOf.body).toEqual(live.body);
    });
  });

  describe('decision dossier', () => {
    it('shows everything that led to the decision, each element pointing at its event', async () => {
      const events = await streamEvents(`proposal-${ids.housing}`);
      const callEvents = await streamEvents(`call-${ids.callId}`);
      const res = await t.http.get(`/audit/decisions/${ids.housing}`).set(bearer('auditor')).expect(200);
      const dossier = res.body;
      const evidence = (e: AuditedEvent) => ({
        eventId: e.eventId, streamId: e.streamId, streamVersion: e.streamVersion, position: e.position, recordedAt: e.recordedAt, actorId: e.actorId, actorRole: e.actorRole,
      });
      expect(dossier).toMatchObject({ proposalId: ids.housing, callId: ids.callId, leadOrganisationId: ids.bidoun });
      expect(dossier.submission).toMatchObject({
        version: 1,
        contentHash: events[2].data.contentHash,
        recomputedContentHash: events[2].data.contentHash,
        contentHashMatches: true,
        content: expect.objectContaining({ title: 'Nationality rights for stateless children', requestedMinor: 5_000_000 }),
        evidence: evidence(events[2]),
      });
      expect(dossier.screening).toMatchObject({ eligible: true, results: ELIGIBLE.results, screenedBy: 'alice', evidence: evidence(events[3]) });
      expect(dossier.reviewerAssignments.map((a: { reviewerId: string }) => a.reviewerId)).toEqual(['reviewer-nadia', 'reviewer-omar', 'reviewer-leila']);
      expect(dossier.reviewerAssignments.map((a: { evidence: unknown }) => a.evidence)).toEqual(events.slice(4, 7).map(evidence));
      expect(dossier.conflictDeclarations).toEqual([
        expect.objectContaining({ reviewerId: 'reviewer-leila', description: 'I advised the lead on its 2025 campaign', evidence: evidence(events[7]) }),
      ]);
      expect(dossier.recusals).toEqual([expect.objectContaining({ reviewerId: 'reviewer-leila', evidence: evidence(events[8]) })]);
      expect(dossier.reviews).toEqual([
        expect.objectContaining({ reviewerId: 'reviewer-nadia', scores: scores(8, 7), recommendation: 'fund', counted: true, evidence: evidence(events[9]) }),
        expect.objectContaining({ reviewerId: 'reviewer-omar', scores: scores(9, 8), recommendation: 'fund', counted: true, evidence: evidence(events[10]) }),
      ]);
      expect(dossier.consensus).toMatchObject({ score: 84, summary: 'Strong network, clear target', recordedBy: 'alice', evidence: evidence(events[11]) });
      expect(dossier.decision).toMatchObject({
        decision: 'award', amountMinor: 4_500_000, reasons: 'Ranked first; advocacy budget reduced', committee: 'Grants committee, May 2027',
        decidedBy: 'alice', grantId: ids.grantId, recordedBy: { actorId: 'alice', actorRole: 'grant-manager' }, recordedAt: events[12].recordedAt,
        evidence: evidence(events[12]),
      });
      expect(dossier.earlierDecisions).toEqual([]);
      // The budget as it stood when the committee decided: nothing committed yet (this award's commitment came after).
      expect(dossier.budgetPosition).toEqual({
        callId: ids.callId, currency: 'EUR', budgetMinor: 20_000_000, committedMinor: 0, remainingMinor: 20_000_000, callVersion: 2, evidence: evidence(callEvents[2]),
      });
    });

    it('shows the budget position at the moment of a later decision', async () => {
      const res = await t.http.get(`/audit/decisions/${ids.land}`).set(bearer('manager')).expect(200);
      expect(res.body.decision).toMatchObject({ decision: 'award', amountMinor: 3_000_000, recordedBy: { actorId: 'root', actorRole: 'admin' } });
      expect(res.body.budgetPosition).toMatchObject({ budgetMinor: 20_000_000, committedMinor: 4_500_000, remainingMinor: 15_500_000, callVersion: 3 });
      expect(res.body.reviews.map((r: { reviewerId: string }) => r.reviewerId)).toEqual(['reviewer-nadia', 'reviewer-omar']);
    });

    it('shows a conflict declared after the decision, and that the review it concerns counted', async () => {
      const landPath = `/proposals/${ids.land}`;
      await post('nadia', `${landPath}/conflicts`, { description: 'My sister joined the lead in June' }).expect(200);
      const res = await t.http.get(`/audit/decisions/${ids.land}`).set(bearer('auditor')).expect(200);
      expect(res.body.decision).toMatchObject({ decision: 'award', amountMinor: 3_000_000 });
      expect(res.body.conflictDeclarations).toEqual([expect.objectContaining({ reviewerId: 'reviewer-nadia', description: 'My sister joined the lead in June', afterDecision: true })]);
      expect(res.body.recusals).toEqual([expect.objectContaining({ reviewerId: 'reviewer-nadia', afterDecision: true })]);
      expect(res.body.reviews).toEqual([
        expect.objectContaining({ reviewerId: 'reviewer-nadia', counted: true, recusedAfterDecision: true }),
        expect.objectContaining({ reviewerId: 'reviewer-omar', counted: true, recusedAfterDecision: false }),
      ]);
    });

    it('has no dossier without a decision (404)', async () => {
      const undecided = await post('bidoun', '/proposals', {
        callId: ids.callId, partners: [{ organisationId: ids.hebron, role: 'research' }],
        title: 'Civil registration clinics', summary: 'Mobile clinics.', policyIssue: 'nationality rights', requestedMinor: 1_000_000, currency: 'EUR',
        budgetLines: [{ label: 'Clinics', amountMinor: 1_000_000 }], durationMonths: 12,
      }).expect(201);
      await t.http.get(`/audit/decisions/${undecided.body.id}`).set(bearer('auditor')).expect(404);
      await t.http.get(`/audit/decisions/${randomUUID()}`).set(bearer('auditor')).expect(404);
      await t.http.get('/audit/decisions/not-a-uuid').set(bearer('auditor')).expect(400);
    });
  });

  describe('who may audit', () => {
    it('auditors can write nothing: every command route in the OpenAPI document answers 403', async () => {
      const docs = await t.http.get('/docs-json').expect(200);
      const commands: [string, string][] = [];
      for (const [path, operations] of Object.entries(docs.body.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(operations)) {
          if (['post', 'put', 'patch', 'delete'].includes(method)) commands.push([method, path]);
        }
      }
      expect(commands.length).toBeGreaterThanOrEqual(30);
      const answers: string[] = [];
      for (const [method, path] of commands) {
        const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
        const res = await (t.http as unknown as Record<string, (url: string) => import('supertest').Test>)[method](url)
          .set(bearer('auditor'))
          .set('Idempotency-Key', randomUUID())
          .send({});
        answers.push(`${method.toUpperCase()} ${path} -> ${res.status}`);
      }
      expect(answers.filter((answer) => !answer.endsWith('-> 403'))).toEqual([]);
    });

    it('refuses /audit routes to applicants, reviewers and partner systems, and the global log to grant managers', async () => {
      const routes = [`/audit/streams/proposal-${ids.housing}`, '/audit/log', `/audit/decisions/${ids.housing}`];
      for (const who of ['bidoun', 'nadia', 'partnerSystem']) {
        for (const route of routes) await t.http.get(route).set(bearer(who)).expect(403);
      }
      await t.http.get('/audit/log').set(bearer('manager')).expect(403);
      await t.http.get(`/audit/streams/proposal-${ids.housing}`).set(bearer('manager')).expect(200);
      await t.http.get(`/audit/decisions/${ids.housing}`).set(bearer('manager')).expect(200);
      await t.http.get('/audit/log').expect(401);
    });
  });
});
