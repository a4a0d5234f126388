import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

/**
 * The lengths the validation pipe enforces (`@MaxLength`, `@MinLength`, also `{ each: true }` on an
 * array's strings), written into the document's schemas: without them a client (the console's forms
 * included) learnt a reason's 2,000-character limit only from the 400 it met. Schemas are keyed by
 * the DTO class's name, which is unique among documented classes (openapi.e2e-spec.ts).
 */
/** The part of an OpenAPI schema object this reads and writes. */
interface SchemaObject {
  type?: string;
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject | { $ref: string };
  maxLength?: number;
  minLength?: number;
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
      const limit = metadata.name === 'maxLength' ? 'maxLength' : metadata.name === 'minLength' ? 'minLength' : undefined;
      const value = metadata.constraints?.[0];
      if (limit === undefined || typeof value !== 'number') continue;
      const property = schema.properties[metadata.propertyName] as SchemaObject | undefined;
      if (!property) continue;
      const holder = metadata.each && property.type === 'array' && property.items && !('$ref' in property.items) ? (property.items as SchemaObject) : property;
      if (holder.type === 'string' && holder[limit] === undefined) holder[limit] = value;
    }
  }
  return document;
}
