/**
 * Awarded grants as 360Giving data (https://standard.threesixtygiving.org, schema 1.4): pure
 * mapping from read-model rows.
 *
 * Recipients are withheld unless they chose to be public (see `publicOrganisationsContext`): a
 * withheld recipient is an organisation entry with a pseudonymous id in our own 360G namespace and
 * the name "Withheld recipient", as 360Giving's data-protection guidance asks for recipients that
 * cannot be named, and nothing the applicant wrote is exported for its grant: title and description
 * are generated from facts that identify no one (the call and programme). A proposal's title and
 * summary may name the lead or its partners ("A network led by …"), so they are used only when the
 * recipient and every partner of the grant are public. Beneficiary locations are countries, named
 * by their ISO 3166 English short names. No contact, address or registration numbers are ever
 * exported.
 *
 * A grant that ended says so with the standard's own fields, since 360Giving 1.4 has no status
 * field: `actualDates` holds one event titled "Terminated" or "Closed" (when it actually ran, with
 * its duration), and `amountDisbursed` what was actually paid; an unspent advance the grantee
 * repaid is stated in the description and counted in the unspent amount. A grant declined before
 * its agreement was signed is not exported (see `isPublishedAsGrant`). The termination reason is
 * never exported: it is free text and may name people.
 */
import type { PublicOrganisation } from '@app/application/public-events';
import { iso3166EnglishShortName } from './country-names';
import { iso4217MinorUnits } from './iso-4217-minor-units';

export interface ThreeSixtyGivingConfig {
  /** The publisher's 360Giving prefix ("360G-…"), used for grant and withheld-recipient ids. */
  prefix: string;
  funder: { id: string; name: string };
}

export const THREE_SIXTY_GIVING_CONFIG = Symbol('THREE_SIXTY_GIVING_CONFIG');

/** THREESIXTYGIVING_PREFIX, THREESIXTYGIVING_FUNDER_ID, THREESIXTYGIVING_FUNDER_NAME. */
export function threeSixtyGivingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ThreeSixtyGivingConfig {
  const prefix = env.THREESIXTYGIVING_PREFIX?.trim() || '360G-grantledger';
  if (!/^360G-[A-Za-z0-9]+$/.test(prefix)) throw new Error('THREESIXTYGIVING_PREFIX must look like 360G-<letters and digits>');
  return {
    prefix,
    funder: {
      id: env.THREESIXTYGIVING_FUNDER_ID?.trim() || `${prefix}-funder`,
      name: env.THREESIXTYGIVING_FUNDER_NAME?.trim() || 'Grant Ledger programme',
    },
  };
}

export interface ExportedGrantSource {
  grant: {
    id: string;
    currency: string;
    amountMinor: number;
    paidMinor: number;
    periodStart: string;
    periodEnd: string;
    awardedAt: Date;
    updatedAt: Date;
    granteeOrganisationId: string;
    /** Null until the agreement is signed: a grant terminated without one was declined and never started. */
    agreementSignedAt: Date | null;
    /** The unspent advance the settlement found the grantee owes back, repaid (`recovered`) or not; null when none. */
    recovery: { recoveryMinor: number; recovered: boolean } | null;
  };
  /** How the grant ended, from its GrantTerminated / GrantClosed event; null while it runs. */
  ending: GrantEnding | null;
  call: { id: string; title: string; programme: string; description: string } | null;
  proposal: { title: string; summary: string; requestedMinor: number } | null;
  /** ISO 3166-1 alpha-2 countries of the network (lead and partners), as far as known. */
  countries: string[];
  recipient: PublicOrganisation;
  /** The grant's partner organisations as partners see them: applicant text is published only when none is withheld. */
  partners: PublicOrganisation[];
}

export interface GrantEnding {
  status: 'terminated' | 'closed';
  /** When the grant was terminated or closed (ISO 8601 timestamp). */
  at: string;
}

export interface ThreeSixtyGivingPackage {
  version: string;
  grants: Record<string, unknown>[];
}

/**
 * The currency's ISO 4217 exponent (EUR 2, JPY 0, LBP 2, TND 3), from the vendored List One table, not
 * Intl's display digits (see iso-4217-minor-units.ts). A code ISO does not list can only come from a
 * grant recorded before currencies were validated, when amounts were in hundredths: 2.
 */
export function currencyExponent(currency: string): number {
  return iso4217MinorUnits(currency) ?? 2;
}

/** Decimal major units from integer minor units, by the currency's ISO 4217 exponent (EUR 2, JPY 0, KWD 3). */
export function majorUnits(amountMinor: number, currency: string): number {
  const exponent = currencyExponent(currency);
  // A single division of an exact integer gives the double nearest the decimal, which JSON prints exactly.
  return amountMinor / 10 ** exponent;
}

/**
 * Whether a grant belongs in the 360Giving data at all. A grant terminated before its agreement was
 * signed (the grantee declined it) never started: nothing was paid and its whole amount went back to
 * the call. 360Giving data is a record of grants made — GrantNav and other consumers add up
 * `amountAwarded` as the funder's giving — and 1.4 has no status field, so such a grant published
 * as "Terminated" (with `actualDates` claiming it ran from its planned start) counts money never
 * given and an activity that never took place. It is left out, as a withdrawn award is: a consumer
 * that harvested it while it was awarded sees it disappear, which is how withdrawn grants read in
 * 360Giving data. A grant awarded and not yet signed is an award in force, and is published.
 */
export function isPublishedAsGrant(grant: Pick<ExportedGrantSource['grant'], 'agreementSignedAt'>, ending: GrantEnding | null): boolean {
  return !(ending?.status === 'terminated' && grant.agreementSignedAt === null);
}

export function toThreeSixtyGivingGrant(source: ExportedGrantSource, config: ThreeSixtyGivingConfig, dataSource: string): Record<string, unknown> {
  const { grant, call, proposal } = source;
  const { title, description } = describe(source);
  // Only codes ISO 3166-1 assigns (the 360Giving codelist): an organisation's country is not validated on registration.
  const locations = source.countries.flatMap((countryCode) => {
    const name = iso3166EnglishShortName(countryCode);
    return name === undefined ? [] : [{ name, countryCode }];
  });
  return {
    id: `${config.prefix}-${grant.id}`,
    title,
    description,
    currency: grant.currency,
    ...(proposal ? { amountAppliedFor: majorUnits(proposal.requestedMinor, grant.currency) } : {}),
    amountAwarded: majorUnits(grant.amountMinor, grant.currency),
    amountDisbursed: majorUnits(grant.paidMinor, grant.currency),
    awardDate: grant.awardedAt.toISOString().slice(0, 10),
    plannedDates: [{ startDate: grant.periodStart, endDate: grant.periodEnd, duration: durationInMonths(grant.periodStart, grant.periodEnd) }],
    ...(source.ending ? { actualDates: [actualDates(source)] } : {}),
    recipientOrganization: [{ id: `${config.prefix}-${source.recipient.id}`, name: source.recipient.name }],
    ...(locations.length ? { beneficiaryLocation: locations } : {}),
    fundingOrganization: [{ id: config.funder.id, name: config.funder.name }],
    ...(call ? { grantProgramme: [{ code: `${config.prefix}-call-${call.id}`, title: call.title, description: call.programme }] } : {}),
    fromOpenCall: 'Yes',
    dateModified: grant.updatedAt.toISOString(),
    dataSource,
  };
}

/**
 * When a terminated or closed grant actually ran. Terminated: from the planned start (or the
 * termination day, if it came first) to the day of termination. Closed: the planned period, ending
 * on the day of closure if that came before the planned end. The description states the figures
 * (paid, awarded, unspent), never the reason for a termination.
 */
function actualDates(source: ExportedGrantSource): Record<string, unknown> {
  const { grant } = source;
  const ending = source.ending!;
  const endedOn = ending.at.slice(0, 10);
  const endDate = ending.status === 'terminated' || endedOn < grant.periodEnd ? endedOn : grant.periodEnd;
  const startDate = grant.periodStart <= endDate ? grant.periodStart : endDate;
  const exponent = currencyExponent(grant.currency);
  const money = (minor: number) => `${grant.currency} ${majorUnits(minor, grant.currency).toFixed(exponent)}`;
  // What the grantee kept is what was paid net of the unspent advance it repaid or owes back (as the
  // grant's own GrantTerminated/GrantClosed counts it): the rest of the amount goes back to the programme.
  // `amountDisbursed` stays what was paid, as the schema defines it ("Total amount disbursed (paid)").
  const recovery = grant.recovery && grant.recovery.recoveryMinor > 0 ? grant.recovery : null;
  const repaid = recovery ? `, of which ${money(recovery.recoveryMinor)} ${recovery.recovered ? 'was repaid' : 'is owed back'}` : '';
  const paid = `${money(grant.paidMinor)} of ${money(grant.amountMinor)} disbursed${repaid}`;
  const unspent = grant.amountMinor - (grant.paidMinor - (recovery?.recoveryMinor ?? 0));
  const released = unspent <= 0 ? '' : recovery ? `; the unspent ${money(unspent)} goes back to the programme` : `; the unspent ${money(unspent)} will not be paid`;
  const description =
    ending.status === 'terminated'
      ? `Terminated on ${endedOn}, before the end of its planned period (${grant.periodEnd}): ${paid}${released}.`
      : `Closed on ${endedOn} with its final report accepted: ${paid}${released}.`;
  return {
    title: ending.status === 'terminated' ? 'Terminated' : 'Closed',
    startDate,
    endDate,
    duration: durationInMonths(startDate, endDate),
    description,
  };
}

/**
 * Months from `start` to `end`, both `YYYY-MM-DD` and both days included (the 360Giving `duration`
 * is a number of months): whole calendar months, plus the rest as a share of the following month,
 * to one decimal. A grant period of 24 months (2027-05-03 to 2029-05-02) is 24.
 */
export function durationInMonths(start: string, end: string): number {
  const [sy, sm, sd] = start.split('-').map(Number);
  const after = new Date(Date.UTC(Number(end.slice(0, 4)), Number(end.slice(5, 7)) - 1, Number(end.slice(8, 10)) + 1));
  const [ey, em, ed] = [after.getUTCFullYear(), after.getUTCMonth() + 1, after.getUTCDate()];
  let whole = (ey - sy) * 12 + (em - sm);
  if (ed < sd) whole -= 1;
  if (whole < 0) return 0;
  /** `start` moved by n months, the day clamped to the end of a shorter month. */
  const monthsLater = (n: number) => {
    const lastDay = new Date(Date.UTC(sy, sm - 1 + n + 1, 0)).getUTCDate();
    return Date.UTC(sy, sm - 1 + n, Math.min(sd, lastDay));
  };
  const anchor = monthsLater(whole);
  const share = (after.getTime() - anchor) / (monthsLater(whole + 1) - anchor);
  return Math.round((whole + share) * 10) / 10;
}

/**
 * Title and description. Applicant free text (proposal title and summary) only when nobody in the
 * grant's network is withheld; otherwise generated from the call, which the programme team wrote.
 */
function describe(source: ExportedGrantSource): { title: string; description: string } {
  const { call, proposal, recipient, partners } = source;
  const nobodyWithheld = !recipient.withheld && partners.every((partner) => !partner.withheld);
  if (nobodyWithheld && proposal && proposal.title.trim() !== '' && proposal.summary.trim() !== '') {
    return { title: truncate(proposal.title, 140), description: proposal.summary };
  }
  const title = truncate(call ? `Grant under "${call.title}"` : 'Grant', 140);
  const awardedUnder = call ? `Awarded under ${call.programme}: ${call.title}.` : 'Awarded under an open call.';
  const who = recipient.withheld
    ? 'The recipient is withheld to protect the people it works with.'
    : `Awarded to ${recipient.name}; partners in its network are withheld to protect the people they work with.`;
  return { title, description: `${awardedUnder} ${who}` };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
