import type { CallStatus, ExistingCall } from '../call/call.decider';
import type { OrganisationState } from '../organisation/organisation.decider';

/**
 * Facts from other streams that the proposal's rules need. The application loads them (folding
 * the call and organisation streams) and passes them in on the command as plain data, so the
 * decider stays pure and a test can state them directly.
 */
export interface CallSnapshot {
  callId: string;
  status: CallStatus;
  currency: string;
  minAwardMinor: number;
  maxAwardMinor: number;
  eligibleCountries: readonly string[];
  /** Minimum organisations per network, the lead INCLUDED (as in CallDrafted). */
  minPartners: number;
  criteria: readonly { id: string; maxScore: number; weight: number }[];
  reviewsRequired: number;
  opensAt: string;
  /** The current deadline, extensions included. */
  closesAt: string;
}

export interface OrganisationSnapshot {
  country: string;
  /** Users who act for the organisation; used to keep them from reviewing its proposals. */
  memberUserIds: readonly string[];
  /** Its latest due diligence (absent: never checked): no award to a network one of whose organisations failed it. */
  dueDiligence?: 'passed' | 'failed' | 'conditional' | 'not-checked';
}

/** Organisations by id; must hold every organisation the rule looks at (lead, partners, joining partner). */
export type OrganisationSnapshots = Readonly<Record<string, OrganisationSnapshot>>;

export function callSnapshotOf(call: ExistingCall): CallSnapshot {
  const { terms } = call;
  return {
    callId: call.callId,
    status: call.status,
    currency: terms.currency,
    minAwardMinor: terms.minAwardMinor,
    maxAwardMinor: terms.maxAwardMinor,
    eligibleCountries: [...terms.eligibleCountries],
    minPartners: terms.minPartners,
    criteria: terms.criteria.map(({ id, maxScore, weight }) => ({ id, maxScore, weight })),
    reviewsRequired: terms.reviewsRequired,
    opensAt: terms.opensAt,
    closesAt: call.closesAt,
  };
}

export function organisationSnapshotOf(organisation: OrganisationState): OrganisationSnapshot {
  return { country: organisation.country, memberUserIds: [...organisation.memberUserIds], dueDiligence: organisation.dueDiligence };
}
