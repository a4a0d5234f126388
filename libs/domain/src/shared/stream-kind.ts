/** What every stream's events file needs from its table of schema versions: one definition, four streams. */

/** Every event type of a stream, from its schema-version table. */
export function eventTypesOf<T extends string>(schemaVersions: Readonly<Record<T, number>>): readonly T[] {
  return Object.keys(schemaVersions) as T[];
}

/** Is the event one of the stream's own types? */
export function isEventOf(schemaVersions: Readonly<Record<string, number>>, event: { type: string }): boolean {
  return Object.prototype.hasOwnProperty.call(schemaVersions, event.type);
}
