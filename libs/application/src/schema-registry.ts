import { callEventSchemaVersions } from '@app/domain/call';
import { grantEventSchemaVersions, grantEventUpcasters } from '@app/domain/grant';
import { organisationEventSchemaVersions } from '@app/domain/organisation';
import { proposalEventSchemaVersions, proposalEventUpcasters } from '@app/domain/proposal';
import { recipientEventSchemaVersions } from '@app/domain/recipient';
import { SchemaRegistry } from './event-codec';

/** Every stream's current schema versions and the upcasters from older ones (see SchemaRegistry). */
export function schemaRegistry(): SchemaRegistry {
  return new SchemaRegistry()
    .register(callEventSchemaVersions)
    .register(organisationEventSchemaVersions)
    .register(proposalEventSchemaVersions, proposalEventUpcasters)
    .register(grantEventSchemaVersions, grantEventUpcasters)
    .register(recipientEventSchemaVersions);
}
