/**
 * A proposal is submitted only while its call is open. The submission reads the call, decides, then
 * appends to the proposal stream; a CloseCall committed between that read and that append must
 * refuse it. The submission pins the call's version (AppendOptions.conditions), so its append fails
 * when the call moved, and the executor decides again on the closed call.
 */
import { CLOCK } from '@app/platform/clock';
import type { AppendOptions, AppendResult, EventStore, ExpectedVersion, NewEvent } from '@app/event-store';
import { EVENT_STORE, WrongExpectedVersionError } from '@app/event-store';
import { EVENT_CODEC } from '@app/application/event-codec';
import { ExecuteProposalCommand, ExecuteProposalCommandHandler } from '@app/application/proposals/proposal-commands';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { callStreamName } from '@app/domain/call';
import { CallNotPublished, proposalStreamName } from '@app/domain/proposal';
import { createTestApp, type TestApp } from '../support/app';
import { allEvents, logIsPostgres } from '../support/log';
import { draftProposal } from './draft-support';
import { DURING_WINDOW, GrantScenario, humanContext } from './grants-support';

/** The app's store, with a hook run before the first append to a stream with the given prefix. */
function storeWithHookBeforeAppend(inner: EventStore, prefix: string, hook: () => Promise<void>): EventStore {
  let fired = false;
  return {
    async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult> {
      if (!fired && streamId.startsWith(prefix)) {
        fired = true;
        await hook();
      }
      return inner.append(streamId, events, expected, options);
    },
    readStream: (streamId, options) => inner.readStream(streamId, options),
    readAll: (options) => inner.readAll(options),
    subscribe: (options) => inner.subscribe(options),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

describe('a submission racing the closing of its call', () => {
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

  async function openCallWithDraft(applicantId: string) {
    const callId = await scenario.publishedCall();
    const lead = await scenario.organisation('LB', [applicantId]);
    const partner = await scenario.organisation('TN');
    const proposalId = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], applicantId });
    return { callId, lead, proposalId };
  }

  const closeCall = (callId: string) =>
    t.http.post(`/calls/${callId}/close`).set('Authorization', `Bearer ${manager}`).send({ reason: 'Budget fully allocated' });

  it('is refused when the call closes between the submission reading it and appending', async () => {
    const { callId, lead, proposalId } = await openCallWithDraft('applicant-rania');
    const conflicts: WrongExpectedVersionError[] = [];
    const store = storeWithHookBeforeAppend(t.app.get<EventStore>(EVENT_STORE), 'proposal-', async () => {
      await closeCall(callId).expect(200);
    });
    const executor = new StreamCommandExecutor(store, t.app.get(EVENT_CODEC), { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, onRetry: (_attempt, error) => conflicts.push(error) });
    const handler = new ExecuteProposalCommandHandler(executor, t.app.get(CLOCK));

    const submission = handler.execute(new ExecuteProposalCommand({ type: 'SubmitProposal', data: { proposalId } }, { ...humanContext(), actor: { id: 'applicant-rania', role: 'applicant', organisationId: lead } }));

    await expect(submission).rejects.toBeInstanceOf(CallNotPublished);
    // The first attempt decided on the open call; its append was refused on the call stream, not the proposal's.
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ streamId: callStreamName(callId), expected: 1, actual: 2 });
    const proposalEvents = await t.app.get<EventStore>(EVENT_STORE).readStream(proposalStreamName(proposalId));
    expect(proposalEvents.map((event) => event.type)).toEqual(['ProposalDrafted', 'PartnerInvitationAccepted']);
  });

  it('is decided again on the closed call even when the client pinned the proposal with If-Match', async () => {
    const { callId, lead, proposalId } = await openCallWithDraft('applicant-sara');
    const store = storeWithHookBeforeAppend(t.app.get<EventStore>(EVENT_STORE), 'proposal-', async () => {
      await closeCall(callId).expect(200);
    });
    const handler = new ExecuteProposalCommandHandler(new StreamCommandExecutor(store, t.app.get(EVENT_CODEC)), t.app.get(CLOCK));
    const context = { ...humanContext(), actor: { id: 'applicant-sara', role: 'applicant', organisationId: lead }, expectedVersion: 1 };
    // The proposal did not move (its If-Match holds); the call did: a 422 on the closed call, not a 409.
    await expect(handler.execute(new ExecuteProposalCommand({ type: 'SubmitProposal', data: { proposalId } }, context))).rejects.toBeInstanceOf(CallNotPublished);
  });

  it('goes through when nothing moved, the call pinned at the version read', async () => {
    const { lead, proposalId } = await openCallWithDraft('applicant-omar');
    const applicant = await t.token({ role: 'applicant', id: 'applicant-omar', organisationId: lead });
    await t.http.post(`/proposals/${proposalId}/submit`).set('Authorization', `Bearer ${applicant}`).expect(200, { id: proposalId, version: 2 });
  });

  // EventStoreDB checks a pinned stream just before the append, not atomically with it (no
  // transactions across streams), so only PostgreSQL promises this under true concurrency.
  const onPostgres = process.env.EVENT_STORE === 'esdb' ? it.skip : it;
  onPostgres('never records a submission after the close in log order, over many concurrent rounds', async () => {
    const rounds = await Promise.all(Array.from({ length: 12 }, (_, i) => openCallWithDraft(`applicant-round-${i}`)));
    const outcomes = await Promise.all(
      rounds.map(async ({ callId, lead, proposalId }, i) => {
        const applicant = await t.token({ role: 'applicant', id: `applicant-round-${i}`, organisationId: lead });
        const [submitted, closed] = await Promise.all([
          t.http.post(`/proposals/${proposalId}/submit`).set('Authorization', `Bearer ${applicant}`),
          closeCall(callId),
        ]);
        expect(closed.status).toBe(200);
        return { callId, proposalId, status: submitted.status, rule: submitted.body.rule as string | undefined };
      }),
    );

    expect(logIsPostgres(t)).toBe(true);
    const log = await allEvents(t);
    const indexOf = (streamId: string, type: string) => log.findIndex((event) => event.streamId === streamId && event.type === type);
    for (const { callId, proposalId, status, rule } of outcomes) {
      const closedAt = indexOf(callStreamName(callId), 'CallClosed');
      const submittedAt = indexOf(proposalStreamName(proposalId), 'ProposalSubmitted');
      expect(closedAt).toBeGreaterThanOrEqual(0);
      if (status === 200) {
        expect(submittedAt).toBeGreaterThanOrEqual(0);
        expect(submittedAt).toBeLessThan(closedAt);
      } else {
        expect({ status, rule }).toEqual({ status: 422, rule: CallNotPublished.rule });
        expect(submittedAt).toBe(-1);
      }
    }
  });
});
