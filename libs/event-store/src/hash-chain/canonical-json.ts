/**
 * Canonical JSON (the RFC 8785 "JCS" rules for the values a JSON document can hold): object keys
 * sorted by UTF-16 code units, no whitespace, numbers and strings as ECMAScript's JSON.stringify
 * writes them. Two stores that return the same JSON value in a different key order (Postgres jsonb
 * reorders keys; EventStoreDB keeps bytes) give the same text, so hashes over it are stable.
 *
 * The value is first passed through JSON.stringify/parse, exactly as an adapter serialises it
 * (toJSON, dropped undefined properties), so the hash taken before an append equals the hash
 * recomputed from what the store returns. scripts/verify-bundle.js carries a copy of this
 * function (it may import nothing from the project): change both together.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'null' : write(JSON.parse(text) as unknown);
}

function write(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key])}`).join(',')}}`;
}
