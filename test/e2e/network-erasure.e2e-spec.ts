import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { logIsPostgres, streamEvents } from '../support/log';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';

/*
 * A partner's mandate statement and an organisation's redress grounds are free text that may name
 * people: personal data of the organisation that wrote them, sealed with its key. Over HTTP: a
 * partner accepts with a mandate naming its chair, the proposal is rejected, the partner files
 * redress with grounds naming its treasurer; both read back where they are shown (the evaluation
 * summary, the decision dossier) and appear nowhere in clear at rest (the log holds envelopes, the
 * read models the same). Erasing the partner organisation then reads both as null in every view,
 * at once, while the other partner's mandate stays readable.
 */

const NOW = '2027-01-10T09:00:00Z';
const WITHIN_WINDOW = '2027-02-01T10:00:00Z';
const DECIDED = '2027-05-03T09:00:00Z';
const AFTER_DECISION = '2027-05-10T09:00:00Z';

/** Distinctive per run, so nothing else in the database can hold these bytes. */
const tag = randomUUID().replace(/-/g, '').slice(0, 10);
const MANDATE = `Board resolution signed by Rania Probe-${tag}, chair`;
const KEPT_MANDATE = `Mandated by the general assembly of Sfax, minute Kept-${tag}`;
const GROUNDS = `Our treasurer Walid Probe-${tag} documented the 2024 evictions in the annex the panel ignored`;
const PROBE = `Probe-${tag}`;

interface AuditedEvent {
  type: string;
  data: Record<string, unknown>;
}

describe("erasing a partner organisation shreds its mandate and its redress grounds in every view", () => {
  let t: TestApp;
  let pg: Client;
  let proposalId: string;
  const tokens: Record<string, string> = {};
  const ids: Record<'lead' | 'hebron' | 'sfax', string> = { lead: '', hebron: '', sfax: '' };
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
  const post = (who: string, path: string, body?: object) => t.http.post(path).set(as(who)).send(body);
  const get = (who: string, path: string) => t.http.get(path).set(as(who)).expect(200);
  /** For `eventually`: a read model that has not caught up yet may answer 404; only a 200 is looked at. */
  const poll = async (who: string, path: string) => {
    const res = await t.http.get(path).set(as(who));
    return res.status === 200 ? res : undefined;
  };

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
    tokens.manager = await t.token({ role: 'grant-manager', id: 'alice' });
    tokens.admin = await t.token({ role: 'admin', id: 'dpo-admin' });
    tokens.auditor = await t.token({ role: 'auditor', id: 'audrey' });
    tokens.nadia = await t.token({ role: 'reviewer', id: 'reviewer-nadia' });
    for (const [name, country] of [['lead', 'LB'], ['hebron', 'PS'], ['sfax', 'TN']] as const) {
      const registered = await post('manager', '/organisations', {
        name: `Network erasure ${name}`,
        country,
        legalStatus: 'registered-association',
        focusGroups: ['refugees'],
        contactPerson: { name: `Contact ${name}`, email: `${name}@example.org` },
        memberUserIds: [`applicant-${name}`],
      }).expect(201);
      ids[name] = registered.body.id;
      tokens[name] = await t.token({ role: 'applicant', id: `applicant-${name}`, organisationId: ids[name] });
    }
    const call = await post('manager', '/calls', draftCallBody({ criteria: SINGLE_CRITERION, reviewsRequired: 1 })).expect(201);
    await post('manager', `/calls/${call.body.id}/publish`).expect(200);
    t.clock.set(WITHIN_WINDOW);

    const drafted = await post('lead', '/proposals', {
      callId: call.body.id,
      partners: [ids.hebron, ids.sfax].map((organisationId) => ({ organisationId, role: 'eviction monitoring' })),
      title: 'Secure tenure for refugee households',
      summary: 'Legal aid and eviction monitoring in Beirut, Hebron and Sfax.',
      policyIssue: 'housing rights for minorities',
      requestedMinor: 5_000_000,
      currency: 'EUR',
      budgetLines: [{ label: 'Legal aid clinics', amountMinor: 5_000_000 }],
      durationMonths: 24,
    }).expect(201);
    proposalId = drafted.body.id;
  });

  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  /** Rows of every table of the database (read models, checkpoints, idempotency answers, the `events` table when it is the log) holding `text`. */
  async function tablesHolding(text: string): Promise<Record<string, number>> {
    const tables = (await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r) => r.tablename as string);
    const found: Record<string, number> = {};
    for (const table of tables) {
      const n = Number((await pg.query(`SELECT count(*) AS n FROM "${table}" AS row WHERE row::text ILIKE $1`, [`%${text}%`])).rows[0].n);
      if (n > 0) found[table] = n;
    }
    return found;
  }

  /** The proposal's events as the audit route shows them (personal fields as markers). */
  async function audited(): Promise<AuditedEvent[]> {
    const events: AuditedEvent[] = [];
    for (let fromVersion: number | null = 0; fromVersion !== null; ) {
      const res = await t.http.get(`/audit/streams/proposal-${proposalId}`).query({ fromVersion, limit: 50 }).set(as('auditor')).expect(200);
      const page = res.body as { items: AuditedEvent[]; nextFromVersion: number | null };
      events.push(...page.items);
      fromVersion = page.nextFromVersion;
    }
    return events;
  }

  /** Every view of the proposal that a user reads, as text, for the entitled users. */
  async function everyView(): Promise<Record<string, string>> {
    return {
      'GET /proposals/:id (lead)': (await get('lead', `/proposals/${proposalId}`)).text,
      'GET /proposals/:id (manager)': (await get('manager', `/proposals/${proposalId}`)).text,
      'GET /proposals/:id?asOf (auditor)': (await t.http.get(`/proposals/${proposalId}`).query({ asOf: '2027-06-01T00:00:00Z' }).set(as('auditor')).expect(200)).text,
      'GET /proposals (hebron)': (await get('hebron', '/proposals')).text,
      'GET /partner-invitations (hebron)': (await get('hebron', '/partner-invitations')).text,
      'GET /proposals/:id/evaluation-summary (lead)': (await get('lead', `/proposals/${proposalId}/evaluation-summary`)).text,
      'GET /proposals/:id/evaluation-summary (manager)': (await get('manager', `/proposals/${proposalId}/evaluation-summary`)).text,
      'GET /audit/decisions/:proposalId (auditor)': (await get('auditor', `/audit/decisions/${proposalId}`)).text,
      'GET /audit/streams/:streamId (auditor)': JSON.stringify(await audited()),
    };
  }

  it('seals them in the log and the read models, shows them to entitled users, and reads them as null in every view once the partner is erased', async () => {
    // Hebron accepts with a mandate naming its chair; Sfax with one naming nobody.
    await post('hebron', `/proposals/${proposalId}/partners/${ids.hebron}/acceptance`, { mandateStatement: MANDATE, termsVersion: 1 }).expect(200);
    await post('sfax', `/proposals/${proposalId}/partners/${ids.sfax}/acceptance`, { mandateStatement: KEPT_MANDATE, termsVersion: 1 }).expect(200);
    // The invitation a partner reads never showed a mandate, its own included.
    const invitation = await eventually(async () => {
      const res = await poll('hebron', '/partner-invitations');
      return res?.body.items.find((i: { proposalId: string; status: string }) => i.proposalId === proposalId && i.status === 'accepted') ? res : undefined;
    });
    expect(invitation.text).not.toContain(PROBE);

    // Submitted, evaluated and rejected.
    await post('lead', `/proposals/${proposalId}/submit`).expect(200);
    await post('manager', `/proposals/${proposalId}/eligibility`, { results: [{ rule: 'lead-country-eligible', passed: true, note: 'LB' }] }).expect(200);
    await post('manager', `/proposals/${proposalId}/reviewers`, { reviewerId: 'reviewer-nadia' }).expect(200);
    await post('nadia', `/proposals/${proposalId}/reviews`, { scores: [{ criterionId: 'relevance', score: 4, comment: 'thin' }], recommendation: 'do-not-fund', comment: 'x' }).expect(200);
    await post('manager', `/proposals/${proposalId}/consensus`, { score: 40, summary: 'Below the funding line' }).expect(200);
    t.clock.set(DECIDED);
    await post('manager', `/proposals/${proposalId}/decision`, { decision: 'reject', reasons: 'Below the funding line', committee: 'Grants committee' }).expect(200);

    // Hebron files redress with grounds naming its treasurer.
    t.clock.set(AFTER_DECISION);
    const filed = await post('hebron', `/proposals/${proposalId}/redress-requests`, { grounds: GROUNDS }).expect(200);
    const requestId = filed.body.requestId as string;

    // Entitled users read them back: the evaluation summary (lead, partners, programme) and the dossier (auditors).
    const summary = await eventually(async () => {
      const res = await poll('sfax', `/proposals/${proposalId}/evaluation-summary`);
      return res?.body.redressRequests.length === 1 ? res.body : undefined;
    });
    expect(summary.redressRequests).toEqual([expect.objectContaining({ requestId, organisationId: ids.hebron, grounds: GROUNDS, outcome: null })]);
    for (const who of ['lead', 'hebron', 'manager', 'auditor']) {
      expect((await get(who, `/proposals/${proposalId}/evaluation-summary`)).body.redressRequests[0].grounds).toBe(GROUNDS);
    }
    const dossier = (await get('auditor', `/audit/decisions/${proposalId}`)).body;
    expect(dossier.partnerAnswers.map((a: { organisationId: string; mandateStatement: string }) => [a.organisationId, a.mandateStatement])).toEqual([
      [ids.hebron, MANDATE],
      [ids.sfax, KEPT_MANDATE],
    ]);
    expect(dossier.redress).toEqual([expect.objectContaining({ requestId, organisationId: ids.hebron, grounds: GROUNDS })]);
    // The audit trail shows that they were recorded, never what they say.
    const trail = await audited();
    expect(trail.find((e) => e.type === 'RedressRequested')?.data.grounds).toEqual({ personalData: 'present' });
    expect(trail.filter((e) => e.type === 'PartnerInvitationAccepted').map((e) => e.data.mandateStatement)).toEqual([{ personalData: 'present' }, { personalData: 'present' }]);
    // The proposal itself, its list and as-of answers never carried them.
    const before = await everyView();
    for (const view of ['GET /proposals/:id (lead)', 'GET /proposals/:id (manager)', 'GET /proposals/:id?asOf (auditor)', 'GET /proposals (hebron)', 'GET /audit/streams/:streamId (auditor)']) {
      expect({ view, clear: before[view].includes(PROBE) }).toEqual({ view, clear: false });
    }

    // At rest: the log holds envelopes under Hebron's key, and no table holds the clear text.
    const stored = await streamEvents(t, `proposal-${proposalId}`);
    const accepted = stored.filter((e) => e.type === 'PartnerInvitationAccepted');
    const requested = stored.find((e) => e.type === 'RedressRequested');
    expect(accepted.map((e) => (e.data as { mandateStatement: { $pii: { subject: string } } }).mandateStatement.$pii.subject)).toEqual([
      `organisation-${ids.hebron}`,
      `organisation-${ids.sfax}`,
    ]);
    expect(requested?.data).toMatchObject({ organisationId: ids.hebron, grounds: { $pii: { subject: `organisation-${ids.hebron}` } } });
    expect(JSON.stringify(stored)).not.toContain(PROBE);
    expect(JSON.stringify(stored)).not.toContain(`Kept-${tag}`);
    if (logIsPostgres(t)) {
      const rows = await pg.query(`SELECT type, data::text AS data FROM events WHERE stream_id = $1 AND type IN ('PartnerInvitationAccepted', 'RedressRequested')`, [`proposal-${proposalId}`]);
      expect(rows.rows).toHaveLength(3);
      for (const row of rows.rows) {
        expect(row.data).not.toContain(PROBE);
        expect(row.data).toContain('"$pii"');
      }
    }
    for (const text of [PROBE, `Kept-${tag}`, 'Walid', 'Rania']) expect({ text, found: await tablesHolding(text) }).toEqual({ text, found: {} });
    const [row] = (await pg.query('SELECT redress_requests FROM proposals WHERE id = $1', [proposalId])).rows;
    expect(row.redress_requests).toEqual([expect.objectContaining({ requestId, grounds: expect.objectContaining({ $pii: expect.objectContaining({ subject: `organisation-${ids.hebron}` }), path: 'grounds' }) })]);

    // Hebron's personal data is erased: from the very next answer on, its mandate and grounds read null.
    await post('admin', `/organisations/${ids.hebron}/erasure`, { reason: 'Data subject request DSR-0231' }).expect(200);
    for (const who of ['lead', 'sfax', 'manager', 'auditor']) {
      const after = (await get(who, `/proposals/${proposalId}/evaluation-summary`)).body;
      expect(after.redressRequests).toEqual([expect.objectContaining({ requestId, organisationId: ids.hebron, grounds: null })]);
    }
    const erasedDossier = (await get('auditor', `/audit/decisions/${proposalId}`)).body;
    expect(erasedDossier.partnerAnswers.map((a: { organisationId: string; mandateStatement: string | null }) => [a.organisationId, a.mandateStatement])).toEqual([
      [ids.hebron, null],
      [ids.sfax, KEPT_MANDATE],
    ]);
    expect(erasedDossier.redress).toEqual([expect.objectContaining({ requestId, organisationId: ids.hebron, grounds: null })]);
    const erasedTrail = await audited();
    expect(erasedTrail.find((e) => e.type === 'RedressRequested')?.data.grounds).toEqual({ personalData: 'erased' });
    expect(erasedTrail.filter((e) => e.type === 'PartnerInvitationAccepted').map((e) => e.data.mandateStatement)).toEqual([{ personalData: 'erased' }, { personalData: 'present' }]);
    const after = await everyView();
    for (const [view, text] of Object.entries(after)) expect({ view, clear: text.includes(PROBE) }).toEqual({ view, clear: false });

    // The log is unchanged (immutable), its envelopes now unreadable; still no table holds the clear text.
    expect(await streamEvents(t, `proposal-${proposalId}`).then((events) => events.slice(0, stored.length))).toEqual(stored);
    for (const text of [PROBE, 'Walid', 'Rania']) expect({ text, found: await tablesHolding(text) }).toEqual({ text, found: {} });

    // The proposal carries on: a grant manager records the outcome of the request whose grounds are gone.
    await post('manager', `/proposals/${proposalId}/redress-requests/${requestId}/outcome`, { outcome: 'rejected', reasons: 'The scores follow the call' }).expect(200);
    const decided = await eventually(async () => {
      const res = await poll('lead', `/proposals/${proposalId}/evaluation-summary`);
      return res?.body.redressRequests[0]?.outcome ? res.body : undefined;
    });
    expect(decided.redressRequests).toEqual([expect.objectContaining({ grounds: null, outcome: 'rejected', reasons: 'The scores follow the call' })]);
  }, 60_000);
});
