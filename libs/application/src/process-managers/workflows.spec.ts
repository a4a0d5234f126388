/**
 * The process managers' workflows, given / when / then: given the facts (plain data), when an
 * input arrives, then these commands — no I/O anywhere.
 */
import type { CallState, ExistingCall } from '@app/domain/call';
import type { GrantAmendedData, GrantState } from '@app/domain/grant';
import { type FundingDecisionRecordedData, initialProposalState, type ProposalState } from '@app/domain/proposal';
import { BudgetExceeded } from '@app/domain/call';
import { InvalidStateTransition, StreamNotFound } from '@app/domain/shared/decider';
import { RecipientCeilingExceeded } from '@app/domain/recipient';
import { awardRefusalReason } from './award.process-manager';
import { type AwardDecision, decideAward } from './award.workflow';
import { decideAwardOutcomeBackfill } from './award-outcome-backfill';
import { decideRecipientLedgerBackfill } from './recipient-ledger-backfill';
import { decideGrantFunds } from './grant-funds.workflow';

const now = '2027-03-01T10:00:00.000Z';
const callId = '0b6f5d2e-4c1a-4f7e-9a53-7f1d2c3b4a01';
const proposalId = 'c3c3c3c3-0000-4000-8000-000000000003';
const grantId = 'a1a1a1a1-0000-4000-8000-000000000001';
const lead = '11111111-0000-4000-8000-000000000001';
const partner = '22222222-0000-4000-8000-000000000002';

const proposal: ProposalState = {
  ...initialProposalState,
  status: 'awarded',
  proposalId,
  callId,
  leadOrganisationId: lead,
  partners: [{ organisationId: partner, role: 'co-applicant' } as ProposalState['partners'][number]],
  details: { ...initialProposalState.details, title: 'Nationality rights', currency: 'EUR', requestedMinor: 5_000_000, durationMonths: 12 },
};

const award: AwardDecision = {
  proposalId,
  decision: 'award',
  amountMinor: 4_000_000,
  reasons: 'Strong network',
  decidedBy: 'committee-chair',
  committee: 'Grants committee',
  grantId,
  decidedAt: '2027-02-15T09:00:00.000Z',
};

const programme = 'Civic Space and Minority Rights Programme 2027';
const call = (committedMinor: number, commitments: ExistingCall['commitments'] = {}): CallState =>
  ({ status: 'published', callId, terms: { budgetMinor: 10_000_000, programme, currency: 'EUR' }, closesAt: '2027-04-30T23:59:59.000Z', committedMinor, commitments }) as unknown as ExistingCall;
const recipientCeilingMinor = 6_000_000;

describe('award workflow', () => {
  it("given an award decision, when it is recorded, then the lead and every partner first count it on their ledgers, held to the call's ceiling per recipient", () => {
    const commit = (organisationId: string, role: 'lead' | 'partner') => ({
      stream: 'recipient',
      id: organisationId,
      command: { type: 'CommitRecipientFunds', data: { organisationId, grantId, proposalId, callId, programme, currency: 'EUR', role, amountMinor: 4_000_000, ceilingMinor: 6_000_000 }, now },
    });
    expect(decideAward({ type: 'DecisionRecorded', decision: award, proposal, call: call(0), recipientCeilingMinor, now })).toEqual([commit(lead, 'lead'), commit(partner, 'partner')]);
  });

  it('given the recipients counted the award, then funds are committed on the call', () => {
    expect(decideAward({ type: 'RecipientsCommitted', decision: award, proposal, now })).toEqual([
      { stream: 'call', id: callId, command: { type: 'CommitFunds', data: { callId, grantId, proposalId, amountMinor: 4_000_000 }, now } },
    ]);
  });

  it('given the call already holds funds for the grant (an award older than the recipient ledger, or a redelivery), then it goes straight to the call, never re-judged against a ceiling', () => {
    const committed = call(4_000_000, { [grantId]: { proposalId, amountMinor: 4_000_000, releasedMinor: 0 } });
    expect(decideAward({ type: 'DecisionRecorded', decision: award, proposal, call: committed, recipientCeilingMinor, now }).map((o) => o.command.type)).toEqual(['CommitFunds']);
  });

  it('given a rejection or a reserve-list decision, then nothing', () => {
    const rejection: FundingDecisionRecordedData = { ...award, decision: 'reject', grantId: undefined, amountMinor: undefined };
    expect(decideAward({ type: 'DecisionRecorded', decision: rejection, proposal, call: call(0), recipientCeilingMinor, now })).toEqual([]);
    expect(decideAward({ type: 'DecisionRecorded', decision: { ...award, decision: 'reserve' } as FundingDecisionRecordedData, proposal, call: call(0), recipientCeilingMinor, now })).toEqual([]);
  });

  it('given a grant the proposal already records as unfunded, when the decision is redelivered, then it is never funded later: the recipients are only released (again)', () => {
    const outputs = decideAward({ type: 'DecisionRecorded', decision: award, proposal: { ...proposal, unfundedGrantIds: [grantId] }, call: call(0), recipientCeilingMinor, now });
    expect(outputs.map((o) => [o.stream, o.id, o.command.type])).toEqual([
      ['recipient', lead, 'ReleaseRecipientFunds'],
      ['recipient', partner, 'ReleaseRecipientFunds'],
    ]);
  });

  it('given the funds were committed, then the grant is awarded to the network for the implied period, then the proposal records its award funded', () => {
    expect(decideAward({ type: 'FundsCommitted', decision: award, proposal, now })).toEqual([
      {
        stream: 'grant',
        id: grantId,
        command: {
          type: 'AwardGrant',
          data: {
            grantId, proposalId, callId, granteeOrganisationId: lead, partnerOrganisationIds: [partner], amountMinor: 4_000_000, currency: 'EUR',
            periodStart: '2027-02-15', periodEnd: '2028-02-14', conditions: [],
          },
          now,
        },
      },
      { stream: 'proposal', id: proposalId, command: { type: 'RecordAwardFunded', data: { proposalId, grantId, amountMinor: 4_000_000 }, now } },
    ]);
  });

  it('given the call refused the commitment, then the proposal records it with the refusal rule and what the call truly has left', () => {
    const reason = 'call.budget.exceeded';
    const release = (organisationId: string) => ({
      stream: 'recipient',
      id: organisationId,
      command: { type: 'ReleaseRecipientFunds', data: { organisationId, grantId, reason: 'Award funds unavailable: call.budget.exceeded' }, now },
    });
    expect(decideAward({ type: 'FundsRefused', decision: award, proposal, call: call(7_500_000), reason, now })).toEqual([
      {
        stream: 'proposal',
        id: proposalId,
        command: { type: 'RecordAwardFundsUnavailable', data: { proposalId, grantId, amountMinor: 4_000_000, remainingMinor: 2_500_000, reason }, now },
      },
      release(lead),
      release(partner),
    ]);
    expect(decideAward({ type: 'FundsRefused', decision: award, proposal, call: { status: 'none' }, reason: 'call.not-found', now })[0].command.data).toMatchObject({
      remainingMinor: 0,
      reason: 'call.not-found',
    });
  });

  it('given a cancelled call refused the commitment, then the proposal records the rule code of its state, and nothing left: a cancelled call commits no funds', () => {
    // What the call decider throws for a cancelled call (a state conflict, which carries no rule of its own).
    const reason = awardRefusalReason('call', new InvalidStateTransition('cancelled', 'commit funds'));
    expect(reason).toBe('call.state.cancelled');
    const cancelled = { ...call(0), status: 'cancelled' } as CallState;
    const outputs = decideAward({ type: 'FundsRefused', decision: award, proposal, call: cancelled, reason, now });
    expect(outputs[0].command.data).toEqual({ proposalId, grantId, amountMinor: 4_000_000, remainingMinor: 0, reason: 'call.state.cancelled' });
    expect(outputs.slice(1).map((o) => [o.id, o.command.type, (o.command.data as { reason?: string }).reason])).toEqual([
      [lead, 'ReleaseRecipientFunds', 'Award funds unavailable: call.state.cancelled'],
      [partner, 'ReleaseRecipientFunds', 'Award funds unavailable: call.state.cancelled'],
    ]);
    // A closed call still commits what its budget has left.
    expect(decideAward({ type: 'FundsRefused', decision: award, proposal, call: { ...call(7_500_000), status: 'closed' } as CallState, reason: 'call.budget.exceeded', now })[0].command.data).toMatchObject({
      remainingMinor: 2_500_000,
    });
  });

  it("the reason recorded is always a rule code: the refusing decider's rule, else the refusing stream's state or absence, never an exception's class name", () => {
    expect(awardRefusalReason('call', new BudgetExceeded(10_000_000, 7_500_000, 4_000_000))).toBe('call.budget.exceeded');
    expect(awardRefusalReason('recipient', new RecipientCeilingExceeded(lead, 6_000_000, 4_000_000, 4_000_000, 'EUR'))).toBe('recipient.ceiling.exceeded');
    expect(awardRefusalReason('call', new InvalidStateTransition('draft', 'commit funds'))).toBe('call.state.draft');
    expect(awardRefusalReason('call', new StreamNotFound(`call-${callId}`))).toBe('call.not-found');
  });

  it("given a recipient's ceiling refused the award, then the proposal records that rule, with what the call has left, and the network's ledgers are released", () => {
    const outputs = decideAward({ type: 'FundsRefused', decision: award, proposal, call: call(1_000_000), reason: 'recipient.ceiling.exceeded', now });
    expect(outputs[0].command.data).toMatchObject({ reason: 'recipient.ceiling.exceeded', remainingMinor: 9_000_000 });
    expect(outputs.slice(1).map((o) => [o.id, o.command.type])).toEqual([
      [lead, 'ReleaseRecipientFunds'],
      [partner, 'ReleaseRecipientFunds'],
    ]);
  });
});

describe('grant-funds workflow', () => {
  const committed = { [grantId]: { proposalId, amountMinor: 4_000_000, releasedMinor: 0 } };
  const network = [lead, partner];
  const releasedOnLedger = (organisationId: string, unspentMinor: number, end: 'closure' | 'termination') => ({
    stream: 'recipient',
    id: organisationId,
    command: {
      type: 'ReleaseUnspentRecipientFunds',
      data: { organisationId, grantId, adjustmentId: `unspent-at-${end}`, unspentMinor, reason: end === 'closure' ? 'Unspent at grant closure' : 'Unspent at grant termination' },
      now,
    },
  });

  it('given a closed grant with unspent funds, then they are released to the call, and stop counting on every recipient ledger of its network', () => {
    expect(decideGrantFunds({ type: 'GrantClosed', data: { grantId, unspentMinor: 1_000_000, closedAt: now }, callId, call: call(4_000_000, committed), recipientOrganisationIds: network, now })).toEqual([
      { stream: 'call', id: callId, command: { type: 'ReleaseFunds', data: { callId, grantId, amountMinor: 1_000_000, reason: 'Unspent at grant closure' }, now } },
      releasedOnLedger(lead, 1_000_000, 'closure'),
      releasedOnLedger(partner, 1_000_000, 'closure'),
    ]);
  });

  it('given a terminated grant, then at most what is still committed is released on the call (each ledger caps its own release at what the grant counts there)', () => {
    const outputs = decideGrantFunds({ type: 'GrantTerminated', data: { grantId, unspentMinor: 9_000_000 } as never, callId, call: call(4_000_000, committed), recipientOrganisationIds: network, now });
    expect(outputs.filter((o) => o.stream === 'call').map((o) => o.command.data)).toEqual([{ callId, grantId, amountMinor: 4_000_000, reason: 'Unspent at grant termination' }]);
    expect(outputs.filter((o) => o.stream === 'recipient')).toEqual([releasedOnLedger(lead, 9_000_000, 'termination'), releasedOnLedger(partner, 9_000_000, 'termination')]);
  });

  it('given a commitment that already shows a release (a runner stopped after the call), when the closure is redelivered, then nothing more on the call, and the ledgers are asked again (idempotent by the grant end)', () => {
    const released = { [grantId]: { proposalId, amountMinor: 4_000_000, releasedMinor: 1_000_000 } };
    expect(decideGrantFunds({ type: 'GrantClosed', data: { grantId, unspentMinor: 1_000_000, closedAt: now }, callId, call: call(3_000_000, released), recipientOrganisationIds: network, now })).toEqual([
      releasedOnLedger(lead, 1_000_000, 'closure'),
      releasedOnLedger(partner, 1_000_000, 'closure'),
    ]);
  });

  it('given nothing unspent, then nothing; given no commitment on the call for the grant, then the ledgers only', () => {
    expect(decideGrantFunds({ type: 'GrantClosed', data: { grantId, unspentMinor: 0, closedAt: now }, callId, call: call(4_000_000, committed), recipientOrganisationIds: network, now })).toEqual([]);
    expect(decideGrantFunds({ type: 'GrantClosed', data: { grantId, unspentMinor: 5, closedAt: now }, callId, call: call(0), recipientOrganisationIds: network, now })).toEqual([
      releasedOnLedger(lead, 5, 'closure'),
      releasedOnLedger(partner, 5, 'closure'),
    ]);
  });

  const amended = (previousAmountMinor: number, newAmountMinor: number): GrantAmendedData =>
    ({ grantId, amendmentId: 'amend-1', kind: 'amount-change', previousAmountMinor, newAmountMinor }) as unknown as GrantAmendedData;

  it('given an amount decrease, then the difference is given back to the call and counted down on every recipient ledger, keyed by the amendment', () => {
    const reason = 'Grant amount lowered by amendment amend-1';
    const recipient = (organisationId: string) => ({
      stream: 'recipient',
      id: organisationId,
      command: { type: 'AdjustRecipientCommitment', data: { organisationId, grantId, adjustmentId: 'amend-1', changeMinor: -1_000_000, reason }, now },
    });
    expect(decideGrantFunds({ type: 'GrantAmended', data: amended(4_000_000, 3_000_000), callId, recipientOrganisationIds: [lead, partner], now })).toEqual([
      { stream: 'call', id: callId, command: { type: 'AdjustCommitment', data: { callId, grantId, adjustmentId: 'amend-1', changeMinor: -1_000_000, reason }, now } },
      recipient(lead),
      recipient(partner),
    ]);
  });

  it('given an increase, then the same adjustment is asked again as a backstop (idempotent by its id)', () => {
    expect(decideGrantFunds({ type: 'GrantAmended', data: amended(4_000_000, 4_500_000), callId, recipientOrganisationIds: [lead, partner], now })[0].command.data).toMatchObject({ changeMinor: 500_000, adjustmentId: 'amend-1' });
  });

  it('given an amendment of another kind, or no change, then nothing', () => {
    expect(decideGrantFunds({ type: 'GrantAmended', data: amended(4_000_000, 4_000_000), callId, recipientOrganisationIds: [lead, partner], now })).toEqual([]);
    expect(decideGrantFunds({ type: 'GrantAmended', data: { ...amended(1, 2), kind: 'no-cost-extension' } as unknown as GrantAmendedData, callId, recipientOrganisationIds: [lead, partner], now })).toEqual([]);
  });
});

describe('award-outcome backfill (awards made before AwardFunded existed)', () => {
  const pending: ProposalState = { ...proposal, award: { grantId, amountMinor: 4_000_000, funded: false } };
  const committed = call(4_000_000, { [grantId]: { proposalId, amountMinor: 4_000_000, releasedMinor: 0 } });
  const grant = { terms: { grantId } } as unknown as GrantState;
  const noGrant = { terms: null } as unknown as GrantState;

  it('given an award still pending whose call holds its funds and whose grant exists, then the proposal records it funded', () => {
    expect(decideAwardOutcomeBackfill({ decision: award, proposal: pending, call: committed, grant, now })).toEqual([
      { type: 'RecordAwardFunded', data: { proposalId, grantId, amountMinor: 4_000_000 }, now },
    ]);
  });

  it('given no commitment or no grant yet, then nothing: finishing a live award is the award process manager\'s step', () => {
    expect(decideAwardOutcomeBackfill({ decision: award, proposal: pending, call: call(0), grant, now })).toEqual([]);
    expect(decideAwardOutcomeBackfill({ decision: award, proposal: pending, call: committed, grant: noGrant, now })).toEqual([]);
  });

  it('given an outcome already recorded (funded, unfunded) or a later decision, then nothing', () => {
    expect(decideAwardOutcomeBackfill({ decision: award, proposal: { ...pending, award: { grantId, amountMinor: 4_000_000, funded: true } }, call: committed, grant, now })).toEqual([]);
    expect(decideAwardOutcomeBackfill({ decision: award, proposal: { ...pending, unfundedGrantIds: [grantId] }, call: committed, grant, now })).toEqual([]);
    expect(decideAwardOutcomeBackfill({ decision: award, proposal: { ...pending, award: { grantId: 'another-grant', amountMinor: 1, funded: false } }, call: committed, grant, now })).toEqual([]);
  });
});

describe('recipient-ledger backfill (grants awarded before the ledger existed)', () => {
  const policy = { defaultMinor: 6_000_000, byProgramme: {}, currency: 'EUR' };
  const grant = { terms: { grantId, proposalId, callId, granteeOrganisationId: lead, partnerOrganisationIds: [partner], amountMinor: 4_500_000 }, amendmentIds: ['amend-1'] } as unknown as GrantState;

  it('given a grant, then its grantee and every partner record it as it stands now, with the ceiling its call would hold it to', () => {
    const record = (organisationId: string, role: 'lead' | 'partner') => ({
      organisationId,
      command: { type: 'RecordAwardedGrant', data: { organisationId, grantId, proposalId, callId, programme, currency: 'EUR', role, amountMinor: 4_500_000, ceilingMinor: 6_000_000, adjustmentIds: ['amend-1'] }, now },
    });
    expect(decideRecipientLedgerBackfill({ grant, call: call(0), policy, now })).toEqual([record(lead, 'lead'), record(partner, 'partner')]);
  });

  it('given a grant already closed or terminated, then it counts what it did not leave unspent, with its end already applied (its release by grant-funds, before or after, counts nothing twice)', () => {
    const terminated = { ...grant, status: 'terminated', unspentMinor: 3_000_000 } as GrantState;
    expect(decideRecipientLedgerBackfill({ grant: terminated, call: call(0), policy, now }).map(({ organisationId, command }) => [organisationId, command.data.amountMinor, command.data.adjustmentIds])).toEqual([
      [lead, 1_500_000, ['amend-1', 'unspent-at-termination']],
      [partner, 1_500_000, ['amend-1', 'unspent-at-termination']],
    ]);
    const closedInFull = { ...grant, status: 'closed', unspentMinor: 0 } as GrantState;
    expect(decideRecipientLedgerBackfill({ grant: closedInFull, call: call(0), policy, now })[0].command.data).toMatchObject({ amountMinor: 4_500_000, adjustmentIds: ['amend-1'] });
    // Terminated before anything was paid: nothing was received, nothing counts.
    expect(decideRecipientLedgerBackfill({ grant: { ...grant, status: 'terminated', unspentMinor: 4_500_000 } as GrantState, call: call(0), policy, now })).toEqual([]);
  });

  it('given no grant or no call, then nothing', () => {
    expect(decideRecipientLedgerBackfill({ grant: { terms: null } as unknown as GrantState, call: call(0), policy, now })).toEqual([]);
    expect(decideRecipientLedgerBackfill({ grant, call: { status: 'none' }, policy, now })).toEqual([]);
  });
});
