import callClosedV1 from './schemas/call.closed.v1.schema.json';
import callPublishedV1 from './schemas/call.published.v1.schema.json';
import grantAgreementSignedV1 from './schemas/grant.agreement-signed.v1.schema.json';
import grantAmendedV1 from './schemas/grant.amended.v1.schema.json';
import grantAwardedV1 from './schemas/grant.awarded.v1.schema.json';
import grantClosedV1 from './schemas/grant.closed.v1.schema.json';
import grantDisbursementPaidV1 from './schemas/grant.disbursement-paid.v1.schema.json';
import grantReinstatedV1 from './schemas/grant.reinstated.v1.schema.json';
import grantSuspendedV1 from './schemas/grant.suspended.v1.schema.json';
import grantTerminatedV1 from './schemas/grant.terminated.v1.schema.json';
import { PUBLIC_EVENT_TYPES, PUBLIC_EVENT_VERSIONS } from './public-events';

/** A JSON Schema (draft 2020-12) of one public event type at one version, as checked in under ./schemas. */
export type PublicEventSchema = { $id: string; title: string; description: string; examples: unknown[] } & Record<string, unknown>;

/**
 * Every published schema version, old ones included: a partner on v1 keeps its schema after a v2
 * appears. Add a file `schemas/<type>.v<N>.schema.json` and list it here.
 */
const SCHEMAS: readonly { type: string; version: number; schema: PublicEventSchema }[] = [
  { type: 'call.published', version: 1, schema: callPublishedV1 },
  { type: 'call.closed', version: 1, schema: callClosedV1 },
  { type: 'grant.awarded', version: 1, schema: grantAwardedV1 },
  { type: 'grant.agreement-signed', version: 1, schema: grantAgreementSignedV1 },
  { type: 'grant.disbursement-paid', version: 1, schema: grantDisbursementPaidV1 },
  { type: 'grant.amended', version: 1, schema: grantAmendedV1 },
  { type: 'grant.suspended', version: 1, schema: grantSuspendedV1 },
  { type: 'grant.reinstated', version: 1, schema: grantReinstatedV1 },
  { type: 'grant.terminated', version: 1, schema: grantTerminatedV1 },
  { type: 'grant.closed', version: 1, schema: grantClosedV1 },
];

export interface PublicEventCatalogueEntry {
  type: string;
  /** The version the feed, the stream and webhooks emit today. */
  currentVersion: number;
  description: string;
  /** Every published version of this type's schema, oldest first. */
  versions: { version: number; schema: PublicEventSchema }[];
}

export function publicEventSchema(type: string, version: number): PublicEventSchema | undefined {
  return SCHEMAS.find((s) => s.type === type && s.version === version)?.schema;
}

export function publicEventSchemas(): readonly PublicEventSchema[] {
  return SCHEMAS.map((s) => s.schema);
}

export function publicEventCatalogue(): PublicEventCatalogueEntry[] {
  return PUBLIC_EVENT_TYPES.map((type) => {
    const versions = SCHEMAS.filter((s) => s.type === type)
      .sort((a, b) => a.version - b.version)
      .map(({ version, schema }) => ({ version, schema }));
    const currentVersion = PUBLIC_EVENT_VERSIONS[type];
    const current = versions.find((v) => v.version === currentVersion);
    if (!current) throw new Error(`No checked-in schema for ${type} v${currentVersion}`);
    return { type, currentVersion, description: current.schema.description, versions };
  });
}
