import type { IncomingMessage } from 'node:http';
import { getMetadataStorage } from 'class-validator';

/**
 * UUIDs are case-insensitive (RFC 9562: "input is case-insensitive"), and the ledger stores and
 * compares them lower-case: stream ids (`call-<id>`), the read models' keys in the application, a
 * partner named in a network. An upper-case id used to pass validation and then meet nothing: a
 * command on `/calls/<UPPER>` answered 404 while the GET (a uuid column) found the call, and a lead
 * could invite itself as a partner under its upper-case id. So ids are lower-cased on the way in:
 * whole path segments that are UUIDs, and every DTO property validated as one.
 */
const UUID_SEGMENT = /\/[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?=\/|$)/g;
const UPPER_HEX = /[A-F]/;

/** Lower-cases the UUID segments of a request's path (not its query: the DTOs see to that), before routing. */
export function lowerCaseUuidPath(req: IncomingMessage): void {
  const url = req.url;
  if (url === undefined) return;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!UPPER_HEX.test(path)) return; // nearly every request: nothing to do
  const lowered = path.replace(UUID_SEGMENT, (segment) => segment.toLowerCase());
  if (lowered !== path) req.url = query < 0 ? lowered : lowered + url.slice(query);
}

/** Per DTO class: its properties class-validator checks as UUIDs (`@IsUUID`), and whether each holds several. */
const uuidPropertiesOf = new WeakMap<object, readonly { name: string; each: boolean }[]>();

function uuidProperties(target: object): readonly { name: string; each: boolean }[] {
  let found = uuidPropertiesOf.get(target);
  if (found === undefined) {
    found = getMetadataStorage()
      .getTargetValidationMetadatas(target as new () => object, '', true, false)
      .filter((metadata) => metadata.name === 'isUuid')
      .map((metadata) => ({ name: metadata.propertyName, each: metadata.each === true }));
    uuidPropertiesOf.set(target, found);
  }
  return found;
}

/** Lower-cases, in place, every `@IsUUID` property of a validated DTO and of the DTOs nested in it. */
export function lowerCaseUuids(value: unknown, depth = 0): void {
  if (depth > 16 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) lowerCaseUuids(item, depth + 1);
    return;
  }
  const type = (value as object).constructor;
  if (type === Object || typeof type !== 'function' || ArrayBuffer.isView(value)) return; // plain data or bytes, not a DTO
  const record = value as Record<string, unknown>;
  for (const { name, each } of uuidProperties(type)) {
    const property = record[name];
    if (typeof property === 'string') record[name] = property.toLowerCase();
    else if (each && Array.isArray(property)) record[name] = property.map((item: unknown) => (typeof item === 'string' ? item.toLowerCase() : item));
  }
  for (const key of Object.keys(record)) {
    const property = record[key];
    if (property !== null && typeof property === 'object') lowerCaseUuids(property, depth + 1);
  }
}
