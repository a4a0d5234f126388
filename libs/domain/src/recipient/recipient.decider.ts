import { assertNever, type Decider } from '../shared/decider';
import type { AdjustRecipientCommitment, CommitRecipientFunds, RecipientCommand, RecordAwardedGrant, ReleaseRecipientFunds, ReleaseUnspentRecipientFunds } from './recipient.commands';
import {
  InvalidRecipientAmount,
  InvalidRecipientCeiling,
  MissingRecipientDetails,
  RecipientCeilingExceeded,
  RecipientCommitmentConflict,
  RecipientCommitmentNotFound,
} from './recipient.errors';
import type { RecipientEvent, RecipientRole } from './recipient.events';

// ---------------------------------------------------------------------------------------------
// State

/** What one grant counts towards the organisation. */
export interface RecipientCommitment {
  proposalId: string;
  callId: string;
  programme: string;
  currency: string;
  role: RecipientRole;
  /** As committed at the award, moved by adjustments; counts while not released. */
  amountMinor: number;
  ceilingMinor: number;
  released: boolean;
  adjustmentIds: readonly string[];
}

/** A grant the ledger refused: the same answer for it ever after. */
export interface RecipientRefusal {
  currency: string;
  amountMinor: number;
  ceilingMinor: number;
  totalMinor: number;
}

export interface RecipientState {
  /** null until the first commitment or refusal. */
  organisationId: string | null;
  commitments: Readonly<Record<string, RecipientCommitment>>;
  refusals: Readonly<Record<string, RecipientRefusal>>;
}

export const initialRecipientState: RecipientState = { organisationId: null, commitments: {}, refusals: {} };

/** What the organisation has been awarded in one programme and currency: every commitment not released. */
export function recipientTotalMinor(state: RecipientState, programme: string, currency: string): number {
  const key = programmeKey(programme);
  let total = 0;
  for (const commitment of Object.values(state.commitments)) {
    if (!commitment.released && commitment.currency === currency && programmeKey(commitment.programme) === key) total += commitment.amountMinor;
  }
  return total;
}

/**
 * A programme's name as the ceiling counts it: `Civic Space 2027`, `CIVIC SPACE 2027` and
 * `Civic  Space 2027` are one programme (until 2026-12-07 each was a ceiling of its own, and an
 * organisation could be awarded the ceiling once per spelling).
 */
export function programmeKey(programme: string): string {
  return programme.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Who counts what

/** The ceiling per recipient when neither the call nor the programme's configuration sets one: 6,000,000 minor units (EUR 60,000). */
export const DEFAULT_RECIPIENT_CEILING_MINOR = 6_000_000;

/** The programme's configuration: a default ceiling, and ceilings of named programmes, in one currency. */
export interface RecipientCeilingPolicy {
  defaultMinor: number;
  byProgramme: Readonly<Record<string, number>>;
  /** ISO 4217: the currency of `defaultMinor` and `byProgramme`. A call in another currency states its own ceiling. */
  currency: string;
}

export const DEFAULT_RECIPIENT_CEILING_POLICY: RecipientCeilingPolicy = { defaultMinor: DEFAULT_RECIPIENT_CEILING_MINOR, byProgramme: {}, currency: 'EUR' };

/** The ceiling the configuration gives a programme (its own, else the default), with the currency it is in. */
export function configuredRecipientCeiling(programme: string, policy: RecipientCeilingPolicy): { currency: string; minor: number } {
  const key = programmeKey(programme);
  for (const [name, minor] of Object.entries(policy.byProgramme)) if (programmeKey(name) === key) return { currency: policy.currency, minor };
  return { currency: policy.currency, minor: policy.defaultMinor };
}

/**
 * The ceiling an award under a call is held to: the call's own term, else its programme's, else the
 * default. Since 2026-12-07 a call in another currency than the configuration's states its own
 * (call.recipient-ceiling.required); one drafted before in such a currency is held to the
 * configured number in its own currency, as it was then.
 */
export function recipientCeilingFor(call: { programme: string; recipientCeilingMinor?: number }, policy: RecipientCeilingPolicy): number {
  if (call.recipientCeilingMinor !== undefined) return call.recipientCeilingMinor;
  return configuredRecipientCeiling(call.programme, policy).minor;
}

/**
 * Who a grant's amount counts for, and as what. Proposals state no partner shares (budget lines
 * name no organisation), and the lead may pass any part of the grant to any partner, so the most
 * each organisation of the network can receive is the whole amount: the lead and every partner
 * each count the whole grant. The ceiling errs on the safe side — no organisation can have received
 * more than it — at the cost of refusing some awards a stated split would allow.
 */
export function recipientsOfAward(leadOrganisationId: string, partnerOrganisationIds: readonly string[]): { organisationId: string; role: RecipientRole }[] {
  const partners = [...new Set(partnerOrganisationIds)].filter((id) => id !== leadOrganisationId);
  return [{ organisationId: leadOrganisationId, role: 'lead' }, ...partners.map((organisationId) => ({ organisationId, role: 'partner' as const }))];
}

/**
 * The adjustment id under which a grant's end releases what it left unspent on each recipient's
 * ledger (ReleaseUnspentRecipientFunds). A grant ends once, closed or terminated, so one id per grant
 * end: a redelivered or replayed end releases nothing more. (Amendments adjust under their own ids,
 * UUIDs, and their compensations under `{id}:reverted`: never one of these.)
 */
export function grantEndAdjustmentId(end: 'closure' | 'termination'): string {
  return `unspent-at-${end}`;
}

// ---------------------------------------------------------------------------------------------
// Evolve

export function evolveRecipient(state: RecipientState, event: RecipientEvent): RecipientState {
  switch (event.type) {
    case 'RecipientFundsCommitted': {
      const { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor, adjustmentIds } = event.data;
      return {
        ...state,
        organisationId,
        commitments: { ...state.commitments, [grantId]: { proposalId, callId, programme, currency, role, amountMinor, ceilingMinor, released: false, adjustmentIds: [...(adjustmentIds ?? [])] } },
      };
    }
    case 'RecipientFundsRefused': {
      const { organisationId, grantId, currency, amountMinor, ceilingMinor, totalMinor } = event.data;
      return { ...state, organisationId, refusals: { ...state.refusals, [grantId]: { currency, amountMinor, ceilingMinor, totalMinor } } };
    }
    case 'RecipientFundsReleased': {
      const commitment = state.commitments[event.data.grantId];
      if (!commitment) return state;
      return { ...state, commitments: { ...state.commitments, [event.data.grantId]: { ...commitment, released: true } } };
    }
    case 'RecipientCommitmentAdjusted': {
      const { grantId, adjustmentId, amountMinor } = event.data;
      const commitment = state.commitments[grantId];
      if (!commitment) return state;
      return { ...state, commitments: { ...state.commitments, [grantId]: { ...commitment, amountMinor, adjustmentIds: [...commitment.adjustmentIds, adjustmentId] } } };
    }
    default:
      return assertNever(event);
  }
}

// ---------------------------------------------------------------------------------------------
// Decide

export function decideRecipient(command: RecipientCommand, state: RecipientState): RecipientEvent[] {
  switch (command.type) {
    case 'CommitRecipientFunds':
      return commitRecipientFunds(command, state);
    case 'RecordAwardedGrant':
      return recordAwardedGrant(command, state);
    case 'ReleaseRecipientFunds':
      return releaseRecipientFunds(command, state);
    case 'AdjustRecipientCommitment':
      return adjustRecipientCommitment(command, state);
    case 'ReleaseUnspentRecipientFunds':
      return releaseUnspentRecipientFunds(command, state);
    default:
      return assertNever(command);
  }
}

export const recipientDecider: Decider<RecipientCommand, RecipientEvent, RecipientState> = {
  initialState: initialRecipientState,
  evolve: evolveRecipient,
  decide: decideRecipient,
};

/**
 * Counts a grant towards the organisation within its ceiling. Idempotent per grant: the same
 * commitment again (a redelivered award) appends nothing. Up to the ceiling is allowed; past it the
 * refusal is recorded (RecipientFundsRefused), and any later attempt for that grant is refused with
 * RecipientCeilingExceeded, so every runner of the award reaches the same outcome. A released
 * commitment is never committed again: its award was refused elsewhere.
 */
function commitRecipientFunds({ data, now }: CommitRecipientFunds, state: RecipientState): RecipientEvent[] {
  const { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor } = data;
  const refused = state.refusals[grantId];
  if (refused) throw new RecipientCeilingExceeded(organisationId, refused.ceilingMinor, refused.totalMinor, refused.amountMinor, refused.currency);
  const existing = state.commitments[grantId];
  if (existing && !existing.released && existing.amountMinor === amountMinor && existing.callId === callId && existing.role === role) return [];
  if ([organisationId, grantId, proposalId, callId, programme, currency].some(isBlank)) {
    throw new MissingRecipientDetails('A commitment names the organisation, grant, proposal, call, programme and currency');
  }
  if (!isIntegerAtLeast(amountMinor, 1)) throw new InvalidRecipientAmount(amountMinor);
  if (!isIntegerAtLeast(ceilingMinor, 1)) throw new InvalidRecipientCeiling(ceilingMinor);
  if (existing) {
    throw new RecipientCommitmentConflict(
      existing.released ? `Grant ${grantId}'s commitment was released: its award was refused` : `Grant ${grantId} already counts ${existing.amountMinor} for organisation ${organisationId}`,
    );
  }
  const totalMinor = recipientTotalMinor(state, programme, currency);
  if (totalMinor + amountMinor > ceilingMinor) {
    return [{ type: 'RecipientFundsRefused', data: { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor, totalMinor, refusedAt: now } }];
  }
  return [
    {
      type: 'RecipientFundsCommitted',
      data: { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor, totalMinor: totalMinor + amountMinor, committedAt: now },
    },
  ];
}

/** A grant awarded before the ledger existed: counted as it stands, never refused for the ceiling (it is a fact). */
function recordAwardedGrant({ data, now }: RecordAwardedGrant, state: RecipientState): RecipientEvent[] {
  const { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor, adjustmentIds } = data;
  if (state.commitments[grantId] || state.refusals[grantId]) return [];
  if ([organisationId, grantId, proposalId, callId, programme, currency].some(isBlank)) {
    throw new MissingRecipientDetails('A commitment names the organisation, grant, proposal, call, programme and currency');
  }
  if (!isIntegerAtLeast(amountMinor, 1)) throw new InvalidRecipientAmount(amountMinor);
  if (!isIntegerAtLeast(ceilingMinor, 1)) throw new InvalidRecipientCeiling(ceilingMinor);
  const totalMinor = recipientTotalMinor(state, programme, currency) + amountMinor;
  return [
    {
      type: 'RecipientFundsCommitted',
      data: { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor, totalMinor, committedAt: now, recordedAfterAward: true, adjustmentIds: [...adjustmentIds] },
    },
  ];
}

/** Compensation for an award refused after the organisation's share was counted. Nothing counted (or already released): nothing to do. */
function releaseRecipientFunds({ data, now }: ReleaseRecipientFunds, state: RecipientState): RecipientEvent[] {
  const { organisationId, grantId, reason } = data;
  const commitment = state.commitments[grantId];
  if (!commitment || commitment.released) return [];
  if (isBlank(reason)) throw new MissingRecipientDetails('A release needs a reason');
  const totalMinor = recipientTotalMinor(state, commitment.programme, commitment.currency) - commitment.amountMinor;
  return [{ type: 'RecipientFundsReleased', data: { organisationId, grantId, amountMinor: commitment.amountMinor, reason: reason.trim(), totalMinor, releasedAt: now } }];
}

/**
 * An amendment's change of a grant's amount. An increase is held to the ceiling recorded with the
 * grant's commitment (the one its award was held to); a decrease never counts less than nothing.
 * The same adjustment id again appends nothing.
 */
function adjustRecipientCommitment({ data, now }: AdjustRecipientCommitment, state: RecipientState): RecipientEvent[] {
  const { organisationId, grantId, adjustmentId, changeMinor, reason } = data;
  const commitment = state.commitments[grantId];
  if (!commitment) throw new RecipientCommitmentNotFound(organisationId, grantId);
  if (commitment.adjustmentIds.includes(adjustmentId)) return [];
  if (commitment.released) throw new RecipientCommitmentConflict(`Grant ${grantId}'s commitment was released: its award was refused`);
  if (isBlank(adjustmentId)) throw new MissingRecipientDetails('An adjustment needs an id');
  if (isBlank(reason)) throw new MissingRecipientDetails('An adjustment needs a reason');
  if (!Number.isSafeInteger(changeMinor) || changeMinor === 0 || commitment.amountMinor + changeMinor < 0) throw new InvalidRecipientAmount(changeMinor);
  const totalMinor = recipientTotalMinor(state, commitment.programme, commitment.currency);
  if (changeMinor > 0 && totalMinor + changeMinor > commitment.ceilingMinor) {
    throw new RecipientCeilingExceeded(organisationId, commitment.ceilingMinor, totalMinor, changeMinor, commitment.currency);
  }
  return [
    {
      type: 'RecipientCommitmentAdjusted',
      data: {
        organisationId,
        grantId,
        adjustmentId,
        changeMinor,
        amountMinor: commitment.amountMinor + changeMinor,
        ceilingMinor: commitment.ceilingMinor,
        totalMinor: totalMinor + changeMinor,
        reason: reason.trim(),
        adjustedAt: now,
      },
    },
  ];
}

/**
 * A grant ended with money unspent (GrantClosed / GrantTerminated `unspentMinor`: its amount minus
 * what was paid net of recoveries): the commitment comes down by that much, at most to nothing,
 * like the call's (ReleaseFunds of at most what is still committed). Nothing to release — a grant
 * the ledger never counted (one awarded before it existed: the ledger backfill records such a grant
 * net of what it left unspent), an award refused (released whole), nothing unspent, or this grant
 * end already released — appends nothing.
 */
function releaseUnspentRecipientFunds({ data, now }: ReleaseUnspentRecipientFunds, state: RecipientState): RecipientEvent[] {
  const { organisationId, grantId, adjustmentId, unspentMinor, reason } = data;
  if (isBlank(adjustmentId)) throw new MissingRecipientDetails('A release of unspent funds needs an adjustment id');
  if (isBlank(reason)) throw new MissingRecipientDetails('A release of unspent funds needs a reason');
  if (!isIntegerAtLeast(unspentMinor, 0)) throw new InvalidRecipientAmount(unspentMinor);
  const commitment = state.commitments[grantId];
  if (!commitment || commitment.released || commitment.adjustmentIds.includes(adjustmentId)) return [];
  const releasedMinor = Math.min(unspentMinor, commitment.amountMinor);
  if (releasedMinor === 0) return [];
  const totalMinor = recipientTotalMinor(state, commitment.programme, commitment.currency);
  return [
    {
      type: 'RecipientCommitmentAdjusted',
      data: {
        organisationId,
        grantId,
        adjustmentId,
        changeMinor: -releasedMinor,
        amountMinor: commitment.amountMinor - releasedMinor,
        ceilingMinor: commitment.ceilingMinor,
        totalMinor: totalMinor - releasedMinor,
        reason: reason.trim(),
        adjustedAt: now,
      },
    },
  ];
}

function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

function isIntegerAtLeast(value: number, minimum: number): boolean {
  return Number.isSafeInteger(value) && value >= minimum;
}
