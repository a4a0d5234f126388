/**
 * A ceiling per recipient across the programme (issue 13 item 2): what one organisation is awarded,
 * as lead or as a partner, under every call of a programme, never passes the ceiling (EUR 60,000 by
 * default, in the call's currency), also across calls and through amendments. Over HTTP, with the
 * real default (test apps otherwise lift it out of the way of the other scenarios).
 */
import { DEFAULT_RECIPIENT_CEILING_POLICY } from '@app/domain/recipient';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { callBody, GrantScenario } from './grants-support';

describe('a ceiling per recipient across the programme', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', config: { recipientCeiling: DEFAULT_RECIPIENT_CEILING_POLICY } });
    scenario = new GrantScenario(t);
    manager = `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`;
  });

  afterAll(async () => {
    await t.close();
  });

  const decide = (proposalId: string, amountMinor: number) =>
    t.http.post(`/proposals/${proposalId}/decision`).set('Authorization', manager).send({ decision: 'award', amountMinor, reasons: 'Ranked by the committee', committee: 'Programme committee' });
  const awardOf = async (proposalId: string, status: string) => {
    const res = await t.http.get(`/proposals/${proposalId}`).set('Authorization', manager);
    return res.status === 200 && res.body.award?.status === status ? res.body : undefined;
  };
  const awarded = async (proposalId: string, amountMinor: number) => {
    const answer = await decide(proposalId, amountMinor).expect(200);
    expect(answer.body.award).toEqual({ status: 'pending', grantId: expect.any(String) });
    await eventually(() => awardOf(proposalId, 'awarded'));
    return answer.body.award.grantId as string;
  };
  const ledger = async (organisationId: string) =>
    (await streamEvents(t, `recipient-${organisationId}`)).map((e) => {
      const data = e.data as { callId?: string; role?: string; amountMinor: number; ceilingMinor?: number; totalMinor: number };
      return { type: e.type, callId: data.callId, role: data.role, amountMinor: data.amountMinor, ceilingMinor: data.ceilingMinor, totalMinor: data.totalMinor };
    });

  it('awards one organisation across two calls up to the ceiling, as lead and as partner, then refuses the award that would pass it (422, nothing appended)', async () => {
    const organisation = await scenario.organisation('LB');
    const [otherLead, partnerA, partnerB] = [await scenario.organisation('PS'), await scenario.organisation('MA'), await scenario.organisation('TN')];
    const firstCall = await scenario.publishedCall({ title: 'First call of the programme' });
    const secondCall = await scenario.publishedCall({ title: 'Second call of the programme' });

    // 40,000 as lead under the first call; 20,000 as a partner under the second: exactly EUR 60,000.
    const asLead = await scenario.proposalReadyForDecision({ callId: firstCall, leadOrganisationId: organisation, partnerOrganisationIds: [partnerA], requestedMinor: 4_000_000 });
    const firstGrant = await awarded(asLead, 4_000_000);
    const asPartner = await scenario.proposalReadyForDecision({ callId: secondCall, leadOrganisationId: otherLead, partnerOrganisationIds: [organisation], requestedMinor: 2_000_000 });
    const secondGrant = await awarded(asPartner, 2_000_000);
    expect(await ledger(organisation)).toEqual([
      { type: 'RecipientFundsCommitted', callId: firstCall, role: 'lead', amountMinor: 4_000_000, ceilingMinor: 6_000_000, totalMinor: 4_000_000 },
      { type: 'RecipientFundsCommitted', callId: secondCall, role: 'partner', amountMinor: 2_000_000, ceilingMinor: 6_000_000, totalMinor: 6_000_000 },
    ]);
    // The partners count the whole grant too (no shares are stated): each has its own ledger.
    expect((await ledger(partnerA)).map((e) => [e.role, e.totalMinor])).toEqual([['partner', 4_000_000]]);
    await t.http.get(`/grants/${firstGrant}`).set('Authorization', manager).expect(200);
    await t.http.get(`/grants/${secondGrant}`).set('Authorization', manager).expect(200);

    // One cent more, under the second call: refused at the door with the rule, nothing appended anywhere.
    const past = await scenario.proposalReadyForDecision({ callId: secondCall, leadOrganisationId: partnerB, partnerOrganisationIds: [organisation], requestedMinor: 500_000 });
    const before = await streamEvents(t, `proposal-${past}`);
    const refused = await decide(past, 500_000).expect(422);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.rule).toBe('recipient.ceiling.exceeded');
    expect(await streamEvents(t, `proposal-${past}`)).toHaveLength(before.length);
    expect(await ledger(organisation)).toHaveLength(2);
    expect(await ledger(partnerB)).toEqual([]);
    // The proposal's own rules answer first: an award on a proposal already decided is a 409, whatever the ceiling.
    await decide(asLead, 500_000).expect(409);
    const call = await t.http.get(`/calls/${secondCall}`).set('Authorization', manager).expect(200);
    expect(call.body.committedMinor).toBe(2_000_000);

    // A decision within the ceiling for everyone else still goes through (the refusal appended nothing).
    await awarded(await scenario.proposalReadyForDecision({ callId: secondCall, leadOrganisationId: partnerB, partnerOrganisationIds: [partnerA], requestedMinor: 500_000 }), 500_000);
  });

  it("holds a call's awards to its own ceiling when it states one (here above the programme's), and counts each programme apart", async () => {
    const organisation = await scenario.organisation('TN');
    const partner = await scenario.organisation('LB');
    const defaultCall = await scenario.publishedCall({ title: 'Call under the default ceiling' });
    const generousCall = await scenario.publishedCall({ title: 'Call with its own ceiling', recipientCeilingMinor: 9_000_000 });
    const otherProgramme = await scenario.publishedCall({ title: 'Call of another programme', programme: 'Another programme 2027' });

    await awarded(await scenario.proposalReadyForDecision({ callId: defaultCall, leadOrganisationId: organisation, partnerOrganisationIds: [partner], requestedMinor: 5_000_000 }), 5_000_000);
    const underDefault = await scenario.proposalReadyForDecision({ callId: defaultCall, leadOrganisationId: organisation, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 });
    expect((await decide(underDefault, 3_000_000).expect(422)).body.rule).toBe('recipient.ceiling.exceeded');
    // The same 30,000 under the call whose ceiling is EUR 90,000: 80,000 in all.
    await awarded(await scenario.proposalReadyForDecision({ callId: generousCall, leadOrganisationId: organisation, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 }), 3_000_000);
    // Another programme has a ceiling of its own: 60,000 there still fits. (Currencies are counted apart too: recipient.decider.spec.)
    await awarded(await scenario.proposalReadyForDecision({ callId: otherProgramme, leadOrganisationId: organisation, partnerOrganisationIds: [partner], requestedMinor: 6_000_000 }), 6_000_000);

    expect((await ledger(organisation)).map((e) => [e.amountMinor, e.ceilingMinor, e.totalMinor])).toEqual([
      [5_000_000, 6_000_000, 5_000_000],
      [3_000_000, 9_000_000, 8_000_000],
      [6_000_000, 6_000_000, 6_000_000],
    ]);
  });

  it("refuses a call whose own ceiling is below its maximum award (422), and an amendment that would take a recipient past its ceiling (422, nothing amended)", async () => {
    const draft = await t.http.post('/calls').set('Authorization', manager).send(callBody({ recipientCeilingMinor: 1_000_000 })).expect(422);
    expect(draft.body.rule).toBe('call.recipient-ceiling.invalid');
    // The configured ceiling (6,000,000) is in EUR: a call in yen or Lebanese pounds states its own (JPY 6,000,000 is not EUR 60,000).
    for (const currency of ['JPY', 'LBP']) {
      const foreign = await t.http.post('/calls').set('Authorization', manager).send(callBody({ currency })).expect(422);
      expect(foreign.body).toMatchObject({ rule: 'call.recipient-ceiling.required', detail: expect.stringContaining(`is in EUR, the call in ${currency}`) });
    }
    await t.http.post('/calls').set('Authorization', manager).send(callBody({ currency: 'JPY', recipientCeilingMinor: 10_000_000 })).expect(201);

    const organisation = await scenario.organisation('MA');
    const partner = await scenario.organisation('PS');
    const callId = await scenario.publishedCall({ title: 'Call with an amendment' });
    const grantId = await awarded(await scenario.proposalReadyForDecision({ callId, leadOrganisationId: organisation, partnerOrganisationIds: [partner], requestedMinor: 5_000_000 }), 5_000_000);
    await t.http.post(`/grants/${grantId}/agreement`).set('Authorization', manager).send({ signatories: [{ name: 'Amina Idrissi', role: 'Coordinator' }] }).expect(200);
    const amend = (newAmountMinor: number) => t.http.post(`/grants/${grantId}/amendments`).set('Authorization', manager).send({ kind: 'amount-change', newAmountMinor, reason: 'Extra activities' });

    const ledgersBefore = [(await ledger(organisation)).length, (await ledger(partner)).length];
    const callBefore = (await streamEvents(t, `call-${callId}`)).length;
    const tooMuch = await amend(6_000_001);
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.rule).toBe('recipient.ceiling.exceeded');
    expect([(await ledger(organisation)).length, (await ledger(partner)).length]).toEqual(ledgersBefore);
    expect(await streamEvents(t, `call-${callId}`)).toHaveLength(callBefore);
    const grant = await t.http.get(`/grants/${grantId}`).set('Authorization', manager).expect(200);
    expect(grant.body.amountMinor).toBe(5_000_000);
    // Up to the ceiling is fine: both ledgers follow the grant.
    await amend(6_000_000).expect(201);
    for (const id of [organisation, partner]) expect((await ledger(id)).at(-1)).toMatchObject({ type: 'RecipientCommitmentAdjusted', amountMinor: 6_000_000, totalMinor: 6_000_000 });
    // A decrease is counted down by the grant-funds process manager.
    await amend(4_500_000).expect(201);
    await eventually(async () => ((await ledger(organisation)).at(-1)?.totalMinor === 4_500_000 ? true : undefined));
  });
});
