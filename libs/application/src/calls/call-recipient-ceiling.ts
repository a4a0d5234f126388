import { programmeKey, recipientCeilingFor, type RecipientCeilingPolicy } from '@app/domain/recipient';

/** Where a call's ceiling per recipient comes from. */
export const RECIPIENT_CEILING_SOURCES = ['call', 'programme', 'default'] as const;
export type RecipientCeilingSource = (typeof RECIPIENT_CEILING_SOURCES)[number];

/** The ceiling per recipient that applies to a call, as `GET /calls/:id` shows it. */
export interface CallRecipientCeiling {
  amountMinor: number;
  currency: string;
  source: RecipientCeilingSource;
}

/**
 * The ceiling per recipient awards under a call are held to — the very number the award's check and
 * workflow take (recipientCeilingFor) — and where it comes from: the call's own term (`call`), else
 * the configuration's ceiling for the call's programme (`programme`, RECIPIENT_CEILINGS, matched as
 * the ledger matches programmes), else its default (`default`, RECIPIENT_CEILING_MINOR). It is
 * counted in the call's currency: a call without its own ceiling is in the configured currency
 * (RECIPIENT_CEILING_CURRENCY; one in another is refused since 2026-12-07,
 * call.recipient-ceiling.required), except a call drafted so before, which is held to the configured
 * number in its own currency, and shown so. The configured ceilings are the configuration's now.
 */
export function callRecipientCeiling(
  call: { programme: string; currency: string; recipientCeilingMinor: number | null },
  policy: RecipientCeilingPolicy,
): CallRecipientCeiling {
  const own = call.recipientCeilingMinor ?? undefined;
  const amountMinor = recipientCeilingFor({ programme: call.programme, ...(own !== undefined ? { recipientCeilingMinor: own } : {}) }, policy);
  if (own !== undefined) return { amountMinor, currency: call.currency, source: 'call' };
  const names = Object.keys(policy.byProgramme);
  const programme = names.length === 0 ? '' : programmeKey(call.programme);
  const named = names.some((name) => programmeKey(name) === programme);
  return { amountMinor, currency: call.currency, source: named ? 'programme' : 'default' };
}
