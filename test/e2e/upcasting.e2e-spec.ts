/**
 * An event stored at an older schema version is read at the current one everywhere the
 * application reads it — the command path, projections, as-of replay — while the log keeps the
 * stored bytes, so the hash chain and the seals still verify. The v1 event is appended raw through
 * the event-store port, as a release before the change would have written it.
 */
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { EVENT_CODEC, type EventCodec } from '@app/application/event-codec';
import { proposalDecider, proposalStreamName, type ProposalWithdrawnDataV1 } from '@app/domain/proposal';
import { InvalidStateTransition } from '@app/domain/shared/decider';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftProposal } from './draft-support';
import { DURING_WINDOW, GrantScenario, humanContext } from './grants-support';

describe('a ProposalWithdrawn stored at schema version 1', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let store: EventStore;
  let auditor: string;

  beforeAll(async () => {
    t = await createTestApp({ now: DURING_WINDOW });
    scenario = new GrantScenario(t);
    store = t.app.get<EventStore>(EVENT_STORE);
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('is read as v2 by the executor, the projection and as-of replay, and still verifies as stored', async () => {
    const callId = await scenario.publishedCall();
    const lead = await scenario.organisation('LB', ['applicant-rania']);
    const partner = await scenario.organisation('TN');
    const proposalId = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], applicantId: 'applicant-rania', partnersAccept: false });
    const streamId = proposalStreamName(proposalId);

    // What a release before ProposalWithdrawn v2 appended: no withdrawnBy, the actor only in the metadata.
    const v1: ProposalWithdrawnDataV1 = { proposalId, reason: 'Partner lost its premises', withdrawnAt: DURING_WINDOW };
    const eventId = randomUUID();
    await store.append(
      streamId,
      [{ type: 'ProposalWithdrawn', schemaVersion: 1, data: v1, metadata: { eventId, actorId: 'applicant-rania', actorRole: 'applicant', correlationId: eventId, causationId: eventId } }],
      0,
    );
    const [stored] = await store.readStream(streamId, { fromVersion: 1 });
    expect(stored).toMatchObject({ schemaVersion: 1, data: v1 });
    expect(stored.data).not.toHaveProperty('withdrawnBy');

    // The codec hands every reader v2.
    const decoded = await t.app.get<EventCodec>(EVENT_CODEC).decode(stored);
    expect(decoded).toMatchObject({ eventId, schemaVersion: 2, data: { ...v1, withdrawnBy: 'applicant-rania' } });

    // The command path folds it (the decider knows only v2) and decides on it.
    const { state, version } = await scenario.executor.load(proposalDecider, streamId);
    expect({ status: state.status, version }).toEqual({ status: 'withdrawn', version: 1 });
    await expect(
      scenario.executor.execute(
        proposalDecider,
        streamId,
        proposalId,
        { type: 'WithdrawProposal', data: { proposalId, reason: 'again', withdrawnBy: 'applicant-rania' }, now: DURING_WINDOW },
        humanContext('applicant-rania', 'applicant'),
      ),
    ).rejects.toBeInstanceOf(InvalidStateTransition);

    // The projection (run by the in-process worker through the same codec) and as-of replay.
    const view = await eventually(async () => {
      const res = await t.http.get(`/proposals/${proposalId}`).set('Authorization', `Bearer ${auditor}`);
      return res.status === 200 && res.body.version === 1 ? res.body : undefined;
    });
    expect(view).toMatchObject({ status: 'withdrawn', withdrawal: { reason: 'Partner lost its premises', withdrawnAt: DURING_WINDOW } });
    const asOf = new Date(stored.recordedAt.getTime() + 1).toISOString();
    const past = await t.http.get(`/proposals/${proposalId}`).query({ asOf }).set('Authorization', `Bearer ${auditor}`).expect(200);
    expect(past.body).toMatchObject({ status: 'withdrawn', withdrawal: view.withdrawal, version: 1 });

    // The audit trail shows and hashes the event as stored.
    const history = await t.http.get(`/audit/streams/${streamId}`).set('Authorization', `Bearer ${auditor}`).expect(200);
    const audited = history.body.items.find((item: { eventId: string }) => item.eventId === eventId);
    expect(audited).toMatchObject({ schemaVersion: 1, data: v1 });
    const verified = await t.http.get('/audit/verify').set('Authorization', `Bearer ${auditor}`).expect(200);
    expect(verified.body).toMatchObject({ ok: true });
    expect(verified.body.eventsChecked).toBeGreaterThan(0);
  });
});
