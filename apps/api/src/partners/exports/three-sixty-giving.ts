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
 * from ISO codes. No contact, address or registration numbers are ever exported.
 */
import type { PublicOrganisation } from '@app/grants/application/public-events';

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
  };
  call: { id: string; title: string; programme: string; description: string } | null;
  proposal: { title: string; summary: string; requestedMinor: number } | null;
  /** ISO 3166-1 alpha-2 countries of the network (lead and partners), as far as known. */
  countries: string[];
  recipient: PublicOrganisation;
  /** The grant's partner organisations as partners see them: applicant text is published only when none is withheld. */
  partners: PublicOrganisation[];
}

export interface ThreeSixtyGivingPackage {
  version: string;
  grants: Record<string, unknown>[];
}

/** Decimal major units from integer minor units, by the currency's ISO 4217 exponent (EUR 2, JPY 0, KWD 3). */
export function majorUnits(amountMinor: number, currency: string): number {
  const exponent = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  // A single division of an exact integer gives the double nearest the decimal, which JSON prints exactly.
  return amountMinor / 10 ** exponent;
}

const COUNTRY_NAMES = new Intl.DisplayNames(['en'], { type: 'region' });

export function toThreeSixtyGivingGrant(source: ExportedGrantSource, config: ThreeSixtyGivingConfig, dataSource: string): Record<string, unknown> {
  const { grant, call, proposal } = source;
  const { title, description } = describe(source);
  return {
    id: `${config.prefix}-${grant.id}`,
    title,
    description,
    currency: grant.currency,
    ...(proposal ? { amountAppliedFor: majorUnits(proposal.requestedMinor, grant.currency) } : {}),
    amountAwarded: majorUnits(grant.amountMinor, grant.currency),
    amountDisbursed: majorUnits(grant.paidMinor, grant.currency),
    awardDate: grant.awardedAt.toISOString().slice(0, 10),
    plannedDates: [{ startDate: grant.periodStart, endDate: grant.periodEnd }],
    recipientOrganization: [{ id: `${config.prefix}-${source.recipient.id}`, name: source.recipient.name }],
    ...(source.countries.length
      ? { beneficiaryLocation: source.countries.map((countryCode) => ({ name: COUNTRY_NAMES.of(countryCode) ?? countryCode, countryCode })) }
      : {}),
    fundingOrganization: [{ id: config.funder.id, name: config.funder.name }],
    ...(call ? { grantProgramme: [{ code: `${config.prefix}-call-${call.id}`, title: call.title, description: call.programme }] } : {}),
    fromOpenCall: 'Yes',
    dateModified: grant.updatedAt.toISOString(),
    dataSource,
  };
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
