/**
 * The public event catalogue: which internal events partners see, and the explicit mapping from
 * each internal event to its public payload. The public payload is a contract of its own, pinned by
 * the JSON Schemas in ./schemas: an internal rename changes a mapper here, never what partners get.
 *
 * What never crosses this boundary: personal data (contact persons, signatories), who acted
 * (actor, reviewer, approver, committee member ids), free-text reasons and notes (they may name
 * people, as can proposal titles and summaries), payment references, and organisations' names
 * and ids unless the organisation chose to be public (see `publicOrganisationsContext`).
 */
import type { RecordedEvent } from '@app/event-store';
import type { CallClosedData, CallPublishedData } from '@app/domain/call';
import type {
  DisbursementPaidData,
  GrantAgreementSignedData,
  GrantAmendedData,
  GrantAwardedData,
  GrantClosedData,
  GrantReinstatedData,
  GrantSuspendedData,
  GrantTerminatedData,
} from '@app/domain/grant';
import { isPersonalDataEnvelope } from '../personal-data/encrypting-event-codec';
import { personalDataPolicy } from '../personal-data/personal-data.policy';
import { encodeFeedCursor } from './feed-cursor';

export interface PublicEvent {
  /** The stored event id: stable across the feed, the SSE stream and webhooks (use it to deduplicate). */
  id: string;
  /** Public type, e.g. 'grant.awarded'. */
  type: string;
  /** Version of the public schema of `type` (./schemas/<type>.v<version>.schema.json). */
  version: number;
  /** When it happened, by the application's clock (ISO 8601). */
  occurredAt: string;
  /** Opaque feed cursor (the event's log position, encoded: see feed-cursor.ts). Resume with `after=<cursor>`. */
  cursor: string;
  data: Record<string, unknown>;
}

/** An organisation as partners see it. */
export interface PublicOrganisation {
  /** A stable id that never reveals the internal one when the organisation is withheld. */
  id: string;
  name: string;
  withheld: boolean;
}

/**
 * What a mapping needs beyond the event itself. Kept synchronous so a batch can be mapped in one
 * pass; anything that needs I/O is prepared per batch by whoever builds the context.
 */
export interface PublicMappingContext {
  /** `at`: when the grant the payload shows was awarded (a withheld organisation's pseudonym depends on it); now, without it. */
  organisation(organisationId: string, at?: string): PublicOrganisation;
}

interface PublicMapping {
  publicType: string;
  version: number;
  internalType: string;
  /**
   * The schema version this mapper reads. Mappings are applied to events as stored (the feed does
   * not decode them), so a new internal version needs a mapper of its own beside this one — or the
   * caller must decode (upcast) first; an unmapped version is refused, never guessed.
   */
  internalSchemaVersion: number;
  /** Later stored versions this mapper reads as they are, because what changed is not in the public form. */
  alsoReadsSchemaVersions?: readonly number[];
  /** The organisations the payload shows, so that a batch's context can look them all up at once. */
  organisationIds?(data: never): string[];
  map(data: never, context: PublicMappingContext): { occurredAt: string; data: Record<string, unknown> };
}

const mapping = <TData>(
  m: Omit<PublicMapping, 'map' | 'organisationIds'> & {
    organisationIds?(data: TData): string[];
    map(data: TData, context: PublicMappingContext): { occurredAt: string; data: Record<string, unknown> };
  },
): PublicMapping => m as PublicMapping;

const MAPPINGS: readonly PublicMapping[] = [
  mapping<CallPublishedData>({
    publicType: 'call.published',
    version: 1,
    internalType: 'CallPublished',
    internalSchemaVersion: 1,
    map: (d) => ({ occurredAt: d.publishedAt, data: { callId: d.callId, publishedAt: d.publishedAt } }),
  }),
  mapping<CallClosedData>({
    publicType: 'call.closed',
    version: 1,
    internalType: 'CallClosed',
    internalSchemaVersion: 1,
    map: (d) => ({ occurredAt: d.closedAt, data: { callId: d.callId, closedAt: d.closedAt } }),
  }),
  mapping<GrantAwardedData>({
    publicType: 'grant.awarded',
    version: 1,
    internalType: 'GrantAwarded',
    internalSchemaVersion: 1,
    organisationIds: (d) => [d.granteeOrganisationId, ...d.partnerOrganisationIds],
    map: (d, context) => ({
      occurredAt: d.awardedAt,
      data: {
        grantId: d.grantId,
        callId: d.callId,
        recipient: context.organisation(d.granteeOrganisationId, d.awardedAt),
        partners: d.partnerOrganisationIds.map((id) => context.organisation(id, d.awardedAt)),
        amountMinor: d.amountMinor,
        currency: d.currency,
        periodStart: d.periodStart,
        periodEnd: d.periodEnd,
        awardedAt: d.awardedAt,
      },
    }),
  }),
  mapping<GrantAgreementSignedData>({
    publicType: 'grant.agreement-signed',
    version: 1,
    internalType: 'GrantAgreementSigned',
    internalSchemaVersion: 1,
    // Version 2 only adds the agreement's document references, which are not public.
    alsoReadsSchemaVersions: [2],
    // Signatories are personal data: only the fact and the date are public.
    map: (d) => ({ occurredAt: d.signedAt, data: { grantId: d.grantId, signedAt: d.signedAt } }),
  }),
  mapping<DisbursementPaidData>({
    publicType: 'grant.disbursement-paid',
    version: 1,
    internalType: 'DisbursementPaid',
    internalSchemaVersion: 1,
    // The bank's payment reference stays internal; the currency is the grant's (see grant.awarded).
    map: (d) => ({ occurredAt: d.paidAt, data: { grantId: d.grantId, trancheId: d.trancheId, amountMinor: d.amountMinor, paidAt: d.paidAt } }),
  }),
  mapping<GrantAmendedData>({
    publicType: 'grant.amended',
    version: 1,
    internalType: 'GrantAmended',
    internalSchemaVersion: 1,
    map: (d) => {
      const base = { grantId: d.grantId, amendmentId: d.amendmentId, kind: d.kind, amendedAt: d.amendedAt };
      switch (d.kind) {
        case 'amount-change':
          return { occurredAt: d.amendedAt, data: { ...base, previousAmountMinor: d.previousAmountMinor, newAmountMinor: d.newAmountMinor } };
        case 'no-cost-extension':
          return { occurredAt: d.amendedAt, data: { ...base, previousPeriodEnd: d.previousPeriodEnd, newPeriodEnd: d.newPeriodEnd } };
        case 'budget-reallocation':
          // Budget lines are free text written by the grantee: only the fact is public.
          return { occurredAt: d.amendedAt, data: base };
        default: {
          const unhandled: never = d;
          throw new Error(`No public mapping for amendment kind ${(unhandled as { kind: string }).kind}`);
        }
      }
    },
  }),
  mapping<GrantSuspendedData>({
    publicType: 'grant.suspended',
    version: 1,
    internalType: 'GrantSuspended',
    internalSchemaVersion: 1,
    map: (d) => ({ occurredAt: d.suspendedAt, data: { grantId: d.grantId, suspendedAt: d.suspendedAt } }),
  }),
  mapping<GrantReinstatedData>({
    publicType: 'grant.reinstated',
    version: 1,
    internalType: 'GrantReinstated',
    internalSchemaVersion: 1,
    map: (d) => ({ occurredAt: d.reinstatedAt, data: { grantId: d.grantId, reinstatedAt: d.reinstatedAt } }),
  }),
  mapping<GrantTerminatedData>({
    publicType: 'grant.terminated',
    version: 1,
    internalType: 'GrantTerminated',
    internalSchemaVersion: 1,
    map: (d) => ({ occurredAt: d.terminatedAt, data: { grantId: d.grantId, unspentMinor: d.unspentMinor, terminatedAt: d.terminatedAt } }),
  }),
  mapping<GrantClosedData>({
    publicType: 'grant.closed',
    version: 1,
    internalType: 'GrantClosed',
    internalSchemaVersion: 1,
    map: (d) => ({ occurredAt: d.closedAt, data: { grantId: d.grantId, unspentMinor: d.unspentMinor, closedAt: d.closedAt } }),
  }),
];

const BY_INTERNAL_TYPE = new Map(MAPPINGS.map((m) => [m.internalType, m]));
const BY_PUBLIC_TYPE = new Map(MAPPINGS.map((m) => [m.publicType, m]));

/** Every public event type, in catalogue order. */
export const PUBLIC_EVENT_TYPES: readonly string[] = MAPPINGS.map((m) => m.publicType);

/** The public types with the version each is currently published in. */
export const PUBLIC_EVENT_VERSIONS: Readonly<Record<string, number>> = Object.fromEntries(MAPPINGS.map((m) => [m.publicType, m.version]));

export function isPublicEventType(type: string): boolean {
  return BY_PUBLIC_TYPE.has(type);
}

/** The internal (stored) event types behind some public types (all of them when `publicTypes` is omitted): a store filter. */
export function internalTypesOf(publicTypes: readonly string[] = PUBLIC_EVENT_TYPES): string[] {
  return publicTypes.map((type) => {
    const m = BY_PUBLIC_TYPE.get(type);
    if (!m) throw new UnknownPublicEventTypeError(type);
    return m.internalType;
  });
}

export class UnknownPublicEventTypeError extends Error {
  constructor(readonly publicType: string) {
    super(`Unknown public event type ${publicType}; known: ${PUBLIC_EVENT_TYPES.join(', ')}`);
    this.name = 'UnknownPublicEventTypeError';
  }
}

/** Every organisation the public forms of these events would show (a batch's context looks them up). */
export function organisationIdsOf(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    const m = BY_INTERNAL_TYPE.get(event.type);
    if (m?.organisationIds && readsVersion(m, event.schemaVersion)) {
      for (const id of m.organisationIds(event.data as never)) ids.add(id);
    }
  }
  return [...ids];
}

const readsVersion = (m: PublicMapping, schemaVersion: number): boolean =>
  schemaVersion === m.internalSchemaVersion || (m.alsoReadsSchemaVersions ?? []).includes(schemaVersion);

const PERSONAL_DATA = personalDataPolicy();

/**
 * The public form of a stored event, or null when its type is not public. Works on events as
 * stored (personal fields still encrypted) or decoded: no mapper reads a personal field, and the
 * output is checked so that neither a personal field's name nor an encrypted envelope slips through.
 */
export function toPublicEvent(event: RecordedEvent, context: PublicMappingContext): PublicEvent | null {
  const m = BY_INTERNAL_TYPE.get(event.type);
  if (!m) return null;
  if (!readsVersion(m, event.schemaVersion)) {
    throw new Error(`No public mapping for ${event.type} schema version ${event.schemaVersion} (event ${event.eventId})`);
  }
  const { occurredAt, data } = m.map(event.data as never, context);
  assertNothingPersonal(event.type, data);
  return { id: event.eventId, type: m.publicType, version: m.version, occurredAt, cursor: encodeFeedCursor(event.position), data };
}

function assertNothingPersonal(internalType: string, data: unknown): void {
  const personalKeys = new Set(PERSONAL_DATA.fieldsOf(internalType).map((path) => path.split('.').pop()));
  const visit = (value: unknown): void => {
    if (isPersonalDataEnvelope(value)) throw new Error(`An encrypted personal field reached the public mapping of ${internalType}`);
    if (Array.isArray(value)) return value.forEach(visit);
    if (value && typeof value === 'object') {
      for (const [key, nested] of Object.entries(value)) {
        if (personalKeys.has(key)) throw new Error(`The public mapping of ${internalType} carries the personal field ${key}`);
        visit(nested);
      }
    }
  };
  visit(data);
}
