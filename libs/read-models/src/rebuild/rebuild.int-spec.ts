import { EVENT_STORE, type EventStore } from '@app/event-store';
import { EVENT_CODEC, type EventCodec } from '@app/application/event-codec';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestApp, eventually, type TestApp } from '../../../../test/support/app';
import { GrantScenario } from '../../../../test/e2e/grants-support';
import type { Projection } from '../projection/projection';
import { consumerReports, LogConsumerRuntime } from '@app/log-consumers';
import { LOG_CONSUMERS } from '@app/application/worker/log-consumers.module';
import { ConcurrentRebuildError, LockUnavailableError, ProjectionRebuild, type ConsistencyReport } from './projection-rebuild';
import { rebuildableProjections } from './rebuild-projections';

describe('projection rebuild', () => {
  let t: TestApp;
  let pg: Pool;
  let dataSource: DataSource;
  let store: EventStore;
  let codec: EventCodec;
  let manager: string;

  const post = (token: string, path: string, body: object = {}) => t.http.post(path).set('Authorization', `Bearer ${token}`).send(body);
  const eventCount = async () => Number((await pg.query('SELECT count(*) AS n FROM events')).rows[0].n);
  const projection = (name: string) => {
    const found = rebuildableProjections().find((p) => p.name === name);
    if (!found) throw new Error(name);
    return found;
  };
  const rebuildOf = (p: Projection, options: { batchSize?: number; stopAfterBatches?: number } = {}) =>
    new ProjectionRebuild({ dataSource, store, projection: p, codec, batchSize: options.batchSize ?? 4, ...options });
  const differences = (report: ConsistencyReport) => {
    if (!report.aligned) throw new Error(`not aligned: ${report.reason}`);
    return report.tables.flatMap((table) => table.differences);
  };
  const dump = async (schema: string, table: string) => (await pg.query(`SELECT * FROM "${schema}"."${table}" ORDER BY 1, 2`)).rows;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    pg = new Pool({ connectionString: t.db.url, max: 3 });
    dataSource = t.app.get(DataSource);
    store = t.app.get(EVENT_STORE);
    codec = t.app.get(EVENT_CODEC);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    const admin = await t.token({ role: 'admin', id: 'admin-user' });

    // Real data through the command path; the award process manager creates the grants.
    const scenario = new GrantScenario(t);
    const lead = await scenario.organisation('LB', ['applicant-user']);
    const partner = await scenario.organisation('PS');
    const erased = await scenario.organisation('MA');
    await post(admin, `/organisations/${erased}/erasure`, { reason: 'Data subject request DSR-0042' }).expect(200);
    const callId = await scenario.publishedCall();
    await post(manager, `/calls/${callId}/deadline-extensions`, { newClosesAt: '2027-04-30T23:59:59Z', reason: 'Holidays' }).expect(200);
    const grantIds: string[] = [];
    const awardedProposalIds: string[] = [];
    for (const amount of [2_000_000, 3_000_000]) {
      const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: amount });
      awardedProposalIds.push(proposalId);
      grantIds.push(await scenario.award(proposalId, amount));
    }
    await scenario.proposalReadyForDecision({ callId, leadOrganisationId: partner, partnerOrganisationIds: [lead], requestedMinor: 1_000_000 });
    for (const grantId of grantIds) {
      await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', `Bearer ${manager}`)).status === 200 ? true : undefined));
      await post(manager, `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);
      const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-12-31' }).expect(201);
      const tranche = await post(manager, `/grants/${grantId}/disbursements`, { amountMinor: 1_000_000, dueDate: '2027-06-15' }).expect(201);
      await post(manager, `/grants/${grantId}/disbursements/${tranche.body.trancheId}/payment`, { paymentReference: 'SEPA-0001' }).expect(200);
      expect(report.body.reportId).toEqual(expect.any(String));
    }
    // The award process manager's last step: the proposal records its award funded (after the grant exists).
    for (const proposalId of awardedProposalIds) {
      await eventually(async () => ((await t.http.get(`/proposals/${proposalId}`).set('Authorization', `Bearer ${manager}`)).body.award?.status === 'awarded' ? true : undefined));
    }
    // Every projection and process manager of the worker has caught up with the log.
    await eventually(async () => {
      const reports = await consumerReports(dataSource, store, t.app.get(LOG_CONSUMERS));
      return reports.every((report) => report.caughtUp) ? true : undefined;
    }, 10_000);
  }, 60_000);

  afterAll(async () => {
    for (const p of rebuildableProjections()) await rebuildOf(p).discard();
    await pg.end();
    await t.close();
  });

  it('rebuilds every read model from scratch into tables identical to the live ones', async () => {
    for (const p of rebuildableProjections()) {
      const rebuild = rebuildOf(p);
      await rebuild.discard();
      const run = await rebuild.run();
      expect(run).toMatchObject({ status: 'caught-up', resumedAt: 0 });
      expect(run.eventsApplied).toBeGreaterThan(0);
      const report = await rebuild.check();
      expect(differences(report)).toEqual([]);
      for (const table of p.tables) expect(await dump(rebuild.schema, table)).toEqual(await dump('public', table));
    }
  });

  it('rebuilds only read models: never process managers, webhooks or the erasure reaction, and appends nothing', async () => {
    expect(rebuildableProjections().map((p) => p.name).sort()).toEqual(['calls', 'grants', 'organisations', 'proposals']);
    const before = await eventCount();
    const keysBefore = (await pg.query('SELECT subject, key_id, erased_at FROM personal_data_keys ORDER BY subject')).rows;
    for (const p of rebuildableProjections()) {
      const rebuild = rebuildOf(p);
      await rebuild.discard();
      await rebuild.run();
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // a reaction to anything would have appended by now
    expect(await eventCount()).toBe(before);
    expect((await pg.query('SELECT subject, key_id, erased_at FROM personal_data_keys ORDER BY subject')).rows).toEqual(keysBefore);
  });

  it('reports a corrupted live row with its table, key and column', async () => {
    const rebuild = rebuildOf(projection('calls'));
    await rebuild.discard();
    await rebuild.run();
    const { rows } = await pg.query('SELECT id, committed_minor FROM calls LIMIT 1');
    await pg.query('UPDATE calls SET committed_minor = committed_minor + 1 WHERE id = $1', [rows[0].id]);
    try {
      expect(differences(await rebuild.check())).toEqual([{ table: 'calls', key: { id: rows[0].id }, kind: 'different', columns: ['committed_minor'] }]);
    } finally {
      await pg.query('UPDATE calls SET committed_minor = $2 WHERE id = $1', [rows[0].id, rows[0].committed_minor]);
    }
    expect(differences(await rebuild.check())).toEqual([]);
  });

  it('reports a live row that is missing', async () => {
    const rebuild = rebuildOf(projection('proposals'));
    await rebuild.discard();
    await rebuild.run();
    const { rows } = await pg.query('SELECT * FROM proposal_reviewer_assignments LIMIT 1');
    const row = rows[0];
    await pg.query('DELETE FROM proposal_reviewer_assignments WHERE proposal_id = $1 AND reviewer_id = $2', [row.proposal_id, row.reviewer_id]);
    try {
      const found = differences(await rebuild.check());
      expect(found).toEqual([
        { table: 'proposal_reviewer_assignments', key: { proposal_id: row.proposal_id, reviewer_id: row.reviewer_id }, kind: 'missing-in-live', columns: expect.any(Array) },
      ]);
    } finally {
      await pg.query(
        'INSERT INTO proposal_reviewer_assignments (proposal_id, reviewer_id, call_id, assigned_at, recused_at, review_submitted_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [row.proposal_id, row.reviewer_id, row.call_id, row.assigned_at, row.recused_at, row.review_submitted_at],
      );
    }
  });

  it('resumes after being stopped mid-way and ends with the same tables', async () => {
    for (const name of ['proposals', 'grants']) {
      const p = projection(name);
      const rebuild = rebuildOf(p, { batchSize: 3, stopAfterBatches: 2 });
      await rebuild.discard();
      const first = await rebuild.run();
      expect(first).toMatchObject({ status: 'stopped', eventsApplied: 6 });
      // A crash inside a batch: its transaction rolls back, the position stays at the last committed batch.
      const crashing: Projection = { ...p, name: p.name, filter: p.filter, tables: p.tables, apply: p.apply.bind(p), applyBatch: async () => Promise.reject(new Error('killed')) };
      await expect(new ProjectionRebuild({ dataSource, store, projection: crashing, codec, batchSize: 3 }).run()).rejects.toThrow('killed');
      expect(await rebuild.pending()).toEqual(expect.objectContaining({ eventsApplied: 6 }));

      const second = await rebuildOf(p, { batchSize: 3 }).run();
      expect(second).toMatchObject({ status: 'caught-up', resumedAt: 6 });
      expect(differences(await rebuild.check())).toEqual([]);
    }
  });

  it('stops a run whose position another run of the same rebuild moved meanwhile', async () => {
    const calls = projection('calls');
    await rebuildOf(calls).discard();
    let raced = false;
    const racing: Projection = {
      name: calls.name,
      filter: calls.filter,
      tables: calls.tables,
      apply: calls.apply.bind(calls),
      applyBatch: async (events, tx) => {
        if (!raced) {
          raced = true; // another run commits its first batch while this one is in the middle of its own
          await pg.query(`UPDATE rebuild_calls.rebuild_state SET position = 'moved-by-another-run', events_applied = 2`);
        }
        await calls.applyBatch?.(events, tx);
      },
    };
    const first = new ProjectionRebuild({ dataSource, store, projection: racing, codec, batchSize: 2 });
    await expect(first.run()).rejects.toBeInstanceOf(ConcurrentRebuildError);
    // The first run's batch rolled back: nothing of it was committed over the other run's position.
    expect(await first.pending()).toEqual(expect.objectContaining({ eventsApplied: 2 }));
    expect(Number((await pg.query('SELECT count(*) AS n FROM rebuild_calls.calls')).rows[0].n)).toBe(0);
    await first.discard();
  });

  it('gives the same tables with the batch path as with one event at a time', async () => {
    for (const p of rebuildableProjections().filter((candidate) => candidate.applyBatch)) {
      const perEvent: Projection = { name: p.name, filter: p.filter, tables: p.tables, input: p.input, apply: p.apply.bind(p) };
      const oneByOne = rebuildOf(perEvent, { batchSize: 1000 });
      await oneByOne.discard();
      await oneByOne.run();
      const perEventRows = await Promise.all(p.tables.map((table) => dump(oneByOne.schema, table)));
      const batched = rebuildOf(p, { batchSize: 1000 });
      await batched.discard();
      await batched.run();
      expect(await Promise.all(p.tables.map((table) => dump(batched.schema, table)))).toEqual(perEventRows);
    }
  });

  it('swaps only under the live projection’s lease, keeping index names and moving the checkpoint', async () => {
    const p = projection('grants');
    const rebuild = rebuildOf(p);
    await rebuild.discard();
    await rebuild.run();
    await expect(rebuild.swap(300)).rejects.toBeInstanceOf(LockUnavailableError);

    const indexes = async () => (await pg.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'grants' ORDER BY 1`)).rows;
    const liveIndexes = await indexes();
    const liveRows = await dump('public', 'grants');
    await t.app.get(LogConsumerRuntime).stop(); // the worker hands its leases back
    const { position } = await rebuild.swap(2_000);

    expect(await indexes()).toEqual(liveIndexes);
    expect(await dump('public', 'grants')).toEqual(liveRows);
    expect((await pg.query(`SELECT position FROM log_consumers WHERE name = 'grants'`)).rows[0].position).toBe(position);
    expect(await rebuild.pending()).toBeUndefined();
  });
});
