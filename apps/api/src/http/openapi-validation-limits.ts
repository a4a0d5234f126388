import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

/**
 * The lengths the validation pipe enforces (`@MaxLength`, `@MinLength`, also `{ each: true }` on an
 * array's strings), and the patterns (`@Matches` with a regular expression without flags: its source,
 * which OpenAPI reads as ECMA-262, as it is), written into the document's schemas: without them a
 * client (the console's forms included) learnt a reason's 2,000-character limit, or what a reviewer
 * id may hold, only from the 400 it met. Schemas are keyed by the DTO class's name, which is unique
 * among documented classes (openapi.e2e-spec.ts).
 */
/** The part of an OpenAPI schema object this reads and writes. */
interface SchemaObject {
  type?: string;
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject | { $ref: string };
  maxLength?: number;
  minLength?: number;
  pattern?: string;
}

type DtoClass = abstract new (...args: never[]) => unknown;

export function documentValidationLimits(document: OpenAPIObject): OpenAPIObject {
  const schemas = document.components?.schemas ?? {};
  const storage = getMetadataStorage();
  const targets = (storage as unknown as { validationMetadatas: Map<DtoClass, unknown> }).validationMetadatas.keys();
  for (const target of targets) {
    const schema = schemas[target.name] as SchemaObject | undefined;
    if (!schema?.properties) continue;
    for (const metadata of storage.getTargetValidationMetadatas(target as new () => object, '', true, false)) {
      const limit = metadata.name === 'maxLength' ? 'maxLength' : metadata.name === 'minLength' ? 'minLength' : metadata.name === 'matches' ? 'pattern' : undefined;
      const value = patternOrLength(metadata.name ?? '', metadata.constraints);
      if (limit === undefined || value === undefined) continue;
      const property = schema.properties[metadata.propertyName] as SchemaObject | undefined;
      if (!property) continue;
      const holder = metadata.each && property.type === 'array' && property.items && !('$ref' in property.items) ? (property.items as SchemaObject) : property;
      if (holder.type === 'string' && holder[limit] === undefined) (holder as Record<string, unknown>)[limit] = value;
    }
  }
  return document;
}

/** A length constraint's number, or a `@Matches` expression's source when it has no flags (a flag has no OpenAPI form). */
function patternOrLength(name: string, constraints: unknown[] | undefined): number | string | undefined {
  const value = constraints?.[0];
  if (name === 'matches') return value instanceof RegExp && value.flags === '' && constraints?.[1] === undefined ? value.source : undefined;
  return typeof value === 'number' ? value : undefined;
}
