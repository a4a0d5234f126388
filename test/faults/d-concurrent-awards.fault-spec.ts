/**
 * Fault scenario d (issue 9 §9): concurrent awards still never exceed a call's budget, on the real
 * processes (one API with RUN_WORKER=false, two standalone workers), also when PostgreSQL restarts
 * while the award process manager works through them.
 *
 * Each round: a fresh call (budget 10m), twelve proposals brought to a decision over HTTP, then
 * twelve awards (1.0m .. 1.55m, about 15m in all) recorded at once. Round 1 runs undisturbed,
 * round 2 restarts PostgreSQL with -m fast and round 3 with -m immediate right after the awards are
 * recorded. Then, from the log: the funds committed under the call never exceed its budget, no grant
 * is committed twice, every award ends with exactly one outcome (a grant, or funds unavailable), an
 * award is refused only when the budget had no room for it, and the calls read model agrees.
 */
import type { Pool } from 'pg';
import { type RunningPostgres, startTestPostgres } from '../setup/postgres-server';
import { bearer, callBody } from './support/calls';
import { queryWithRetry, testPool } from './support/database';
import { Figures, sleep } from './support/figures';
import { acknowledged, type HttpAnswer, HttpClient, outcomeLabel } from './support/http';
import { runLoad } from './support/load';
import { type ApiProcess, Fleet } from './support/processes';
import { deciderSnapshotCounts, SNAPSHOT_EVERY_COLD_READ } from './support/snapshots';

const PROPOSALS_PER_ROUND = 12;
const BUDGET_MINOR = 10_000_000;
/** 12 awards between 1.0m and 1.55m: about 15m asked of a 10m budget. */
const amountOf = (i: number) => 1_000_000 + 50_000 * i;
const ROUNDS: { fault?: 'fast' | 'immediate' }[] = [{}, { fault: 'fast' }, { fault: 'immediate' }];
const OUTCOMES_WITHIN_MS = 30_000;
const READ_MODEL_WITHIN_MS = 15_000;

describe('fault scenario d: concurrent awards never exceed the budget (one API, two workers, PostgreSQL restarts)', () => {
  const figures = new Figures('d');
  let pg: RunningPostgres;
  let fleet: Fleet;
  let api: ApiProcess;
  let pool: Pool;
  let http: HttpClient;
  let manager: Record<string, string>;
  let applicant: Record<string, string>;
  let reviewer: Record<string, string>;
  let partnerOrganisationId: string;
  /** An applicant of the partner organisation: it accepts each invitation before the lead submits. */
  let partnerApplicant: Record<string, string>;

  /** A command that must be acknowledged (used outside the fault windows only). */
  const command = async (path: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer & { id: string }> => {
    const answer = await http.post(path, { headers, body, timeoutMs: 15_000 });
    const ack = acknowledged(answer);
    if (!ack) throw new Error(`POST ${path}: ${outcomeLabel(answer)} ${JSON.stringify(answer.body)}`);
    return { ...answer, id: ack.id };
  };

  beforeAll(async () => {
    pg = await startTestPostgres({ durable: true });
    process.once('exit', () => pg.stop());
    fleet = new Fleet({ databaseUrl: pg.url, env: SNAPSHOT_EVERY_COLD_READ });
    api = await fleet.startApi('api', { runWorker: false });
    // Supervised as in production (restarted a second after an exit nobody asked for): after a
    // restart of PostgreSQL, two award process managers may then race, which is what the budget must survive.
    await fleet.startWorker('worker-1', { supervise: 1_000 });
    await fleet.startWorker('worker-2', { supervise: 1_000 });
    pool = testPool(pg.url);
    http = new HttpClient(api.baseUrl, { maxSockets: PROPOSALS_PER_ROUND + 4 });
    manager = await bearer({ role: 'grant-manager', id: 'alice' });
    reviewer = await bearer({ role: 'reviewer', id: 'reviewer-1' });
    const organisation = (name: string, country: string, members: string[]) =>
      command('/organisations', manager, {
        name,
        country,
        legalStatus: 'registered-association',
        focusGroups: ['stateless people'],
        contactPerson: { name: 'Contact Person', email: 'contact@example.org' },
        memberUserIds: members,
      });
    const lead = await organisation('Tunis Nationality Rights Network', 'TN', ['applicant-lead']);
    partnerOrganisationId = (await organisation('Rabat Legal Aid Collective', 'MA', ['applicant-partner'])).id;
    applicant = await bearer({ role: 'applicant', id: 'applicant-lead', organisationId: lead.id });
    partnerApplicant = await bearer({ role: 'applicant', id: 'applicant-partner', organisationId: partnerOrganisationId });
  }, 120_000);

  afterAll(async () => {
    http?.close();
    await pool?.end().catch(() => undefined);
    if (fleet) for (const line of fleet.errorSummary()) figures.add(line);
    await fleet?.cleanup();
    pg?.stop();
    figures.print();
  }, 60_000);

  /** Drafted, accepted by the partner, submitted, screened, reviewed once, with a consensus: ready for a funding decision. */
  const proposalReadyForDecision = async (callId: string, requestedMinor: number): Promise<string> => {
    const { id } = await command('/proposals', applicant, {
      callId,
      partners: [{ organisationId: partnerOrganisationId, role: 'community outreach' }],
      title: 'Nationality rights for stateless children',
      summary: 'Legal aid and advocacy on birth registration.',
      policyIssue: 'nationality rights',
      requestedMinor,
      currency: 'EUR',
      budgetLines: [{ label: 'Legal aid', amountMinor: requestedMinor }],
      durationMonths: 24,
    });
    await command(`/proposals/${id}/partners/${partnerOrganisationId}/acceptance`, partnerApplicant, { mandateStatement: 'Mandated by its board', termsVersion: 1 });
    await command(`/proposals/${id}/submit`, applicant);
    await command(`/proposals/${id}/eligibility`, manager, { results: [{ rule: 'lead-country', passed: true, note: 'TN' }] });
    await command(`/proposals/${id}/reviewers`, manager, { reviewerId: 'reviewer-1' });
    await command(`/proposals/${id}/reviews`, reviewer, {
      scores: [
        { criterionId: 'relevance', score: 10, comment: 'Strong' },
        { criterionId: 'network', score: 9, comment: 'Strong' },
      ],
      recommendation: 'fund',
      comment: 'Fund it',
    });
    await command(`/proposals/${id}/consensus`, manager, { score: 90, summary: 'Strong network' });
    return id;
  };

  for (const [index, round] of ROUNDS.entries()) {
    it(`round ${index + 1}: ${PROPOSALS_PER_ROUND} awards at once${round.fault ? `, PostgreSQL restarted with -m ${round.fault} right after` : ''}: committed funds stay within the budget`, async () => {
      const call = await command('/calls', manager, callBody({ budgetMinor: BUDGET_MINOR, minAwardMinor: 500_000, maxAwardMinor: 2_000_000, recipientCeilingMinor: 1_000_000_000 }));
      const callId = call.id;
      await command(`/calls/${callId}/publish`, manager);
      const proposals: string[] = new Array(PROPOSALS_PER_ROUND);
      await runLoad({
        concurrency: 4,
        total: PROPOSALS_PER_ROUND,
        maxMs: 120_000,
        task: async (i) => {
          proposals[i] = await proposalReadyForDecision(callId, amountOf(i));
        },
      });

      // All decisions at once; the award process manager (in whichever worker leads) takes them from
      // the log. In a fault round, PostgreSQL goes down once half of them are answered: the process
      // manager is at work on the first ones while the rest are still being recorded.
      const decide = (i: number) =>
        http.post(`/proposals/${proposals[i]}/decision`, {
          headers: manager,
          body: { decision: 'award', amountMinor: amountOf(i), reasons: 'Ranked within budget', committee: 'Programme committee' },
          timeoutMs: 15_000,
        });
      let answered = 0;
      let restart: Promise<void> | undefined;
      let restartMs: number | undefined;
      const decided = await Promise.all(
        proposals.map(async (_, i) => {
          const answer = await decide(i);
          answered += 1;
          if (round.fault && !restart && answered >= PROPOSALS_PER_ROUND / 2) {
            const started = Date.now();
            restart = pg.restart(round.fault, 1_000).then(() => void (restartMs = Date.now() - started));
          }
          return answer;
        }),
      );
      await restart;
      // A decision cut by the restart: recorded after all (its grant id is in the log), or sent again.
      const grantIds: string[] = [];
      let resent = 0;
      for (const [i, answer] of decided.entries()) {
        let grantId = answer.status === 200 ? (answer.body as { award?: { grantId: string } }).award?.grantId : undefined;
        const resendUntil = Date.now() + 30_000;
        while (!grantId) {
          const recorded = await queryWithRetry<{ grant_id: string }>(
            pool,
            `SELECT data->>'grantId' AS grant_id FROM events WHERE stream_id = $1 AND type = 'FundingDecisionRecorded'`,
            [`proposal-${proposals[i]}`],
          );
          grantId = recorded[0]?.grant_id;
          if (grantId) break;
          if (Date.now() > resendUntil) throw new Error(`the decision on ${proposals[i]} could not be recorded after the restart`);
          resent += 1;
          const again = await decide(i);
          if (again.status === 200) grantId = (again.body as { award?: { grantId: string } }).award?.grantId;
          else await sleep(500);
        }
        grantIds.push(grantId);
      }
      const awards = proposals.map((proposalId, i) => ({ proposalId, amountMinor: amountOf(i), grantId: grantIds[i] }));
      const decisionOutcomes = decided.map(outcomeLabel).join(' ');

      // Every award ends with an outcome.
      type Row = { type: string; grant_id: string; call_id: string | null; amount: string };
      const outcomes = async () =>
        queryWithRetry<Row>(
          pool,
          `SELECT type, data->>'grantId' AS grant_id, data->>'callId' AS call_id, data->>'amountMinor' AS amount FROM events
            WHERE type IN ('FundsCommitted', 'GrantAwarded', 'AwardFundsUnavailable') AND data->>'grantId' = ANY ($1)`,
          [grantIds],
        );
      const started = Date.now();
      let rows = await outcomes();
      const settled = (list: Row[]) => grantIds.every((g) => list.some((r) => r.grant_id === g && (r.type === 'GrantAwarded' || r.type === 'AwardFundsUnavailable')));
      while (!settled(rows) && Date.now() - started < OUTCOMES_WITHIN_MS) {
        await sleep(250);
        rows = await outcomes();
      }
      const settledMs = Date.now() - started;

      const committed = rows.filter((r) => r.type === 'FundsCommitted' && r.call_id === callId);
      const committedSum = committed.reduce((sum, r) => sum + Number(r.amount), 0);
      const perGrant = awards.map(({ grantId, amountMinor }) => ({
        grantId: grantId as string,
        amountMinor,
        awarded: rows.filter((r) => r.type === 'GrantAwarded' && r.grant_id === grantId).length,
        unavailable: rows.filter((r) => r.type === 'AwardFundsUnavailable' && r.grant_id === grantId).length,
        commitments: committed.filter((r) => r.grant_id === grantId).map((r) => Number(r.amount)),
      }));
      const funded = perGrant.filter((g) => g.awarded === 1);

      // The calls read model agrees with the log.
      let view: { committed: string } | undefined;
      const viewStarted = Date.now();
      do {
        view = (await queryWithRetry<{ committed: string }>(pool, 'SELECT committed_minor::text AS committed FROM calls WHERE id = $1', [callId]))[0];
        if (view && Number(view.committed) === committedSum) break;
        await sleep(250);
      } while (Date.now() - viewStarted < READ_MODEL_WITHIN_MS);

      figures.add(
        `round ${index + 1}${round.fault ? ` (restart -m ${round.fault} took ${restartMs} ms; decisions answered ${decisionOutcomes}; ${resent} sent again)` : ''}: ${funded.length} funded, ` +
          `${perGrant.filter((g) => g.unavailable === 1 && g.awarded === 0).length} refused, ${perGrant.filter((g) => g.awarded + g.unavailable === 0).length} without an outcome ` +
          `after ${(settledMs / 1000).toFixed(1)} s; committed ${committedSum.toLocaleString('en-US')} of ${BUDGET_MINOR.toLocaleString('en-US')}; ` +
          `read model shows ${view ? Number(view.committed).toLocaleString('en-US') : 'no row'}`,
      );

      expect(committedSum).toBeLessThanOrEqual(BUDGET_MINOR);
      expect(new Set(committed.map((r) => r.grant_id)).size).toBe(committed.length);
      for (const grant of perGrant) {
        // Exactly one outcome per award, and a commitment exactly for the funded ones.
        expect({ grantId: grant.grantId, outcomes: grant.awarded + grant.unavailable, awarded: grant.awarded }).toEqual({
          grantId: grant.grantId,
          outcomes: 1,
          awarded: grant.commitments.length,
        });
        if (grant.awarded === 1) expect(grant.commitments).toEqual([grant.amountMinor]);
        // No award was turned down while the budget still had room for it.
        else expect(committedSum + grant.amountMinor).toBeGreaterThan(BUDGET_MINOR);
      }
      expect(funded.length).toBeGreaterThan(0);
      expect(funded.length).toBeLessThan(PROPOSALS_PER_ROUND);
      expect(Number(view?.committed)).toBe(committedSum);
    }, 240_000);
  }

  it('kept the API and both workers running', async () => {
    const exits = fleet.unexpectedExits();
    figures.add(`unexpected exits: ${exits.map((e) => `${e.name} (code ${e.code}, signal ${e.signal})`).join(', ') || 'none'}`);
    figures.add((await deciderSnapshotCounts(pool)).figure);
    // Not the budget invariant itself, but the awards above ran on these processes.
    expect(exits).toEqual([]);
  });

  it('printed no process warning: no deprecation (pg 9 will refuse what pg 8 only warns about), no listener leak', () => {
    const warnings = fleet.processWarnings();
    figures.add(`process warnings: ${warnings.length ? warnings.join('; ') : 'none'}`);
    expect(warnings).toEqual([]);
  });
});
