/** What an audit reader sees in place of a personal field: whether it is there, never its value. */
export type PersonalDataMarker = { personalData: 'present' } | { personalData: 'erased' } | { personalData: 'unreadable' };

function readPath(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function withPath(data: unknown, path: string, replacement: unknown): unknown {
  const [key, ...rest] = path.split('.');
  if (typeof data !== 'object' || data === null || !(key in data)) return data;
  const record = data as Record<string, unknown>;
  return { ...record, [key]: rest.length === 0 ? replacement : withPath(record[key], rest.join('.'), replacement) };
}

/**
 * Replaces every personal field of an event's data by a marker, for audit readers (least
 * privilege: an auditor checks that a contact or signatory was recorded, and whether it has been
 * shredded since, without reading it). `stored` is the data as in the log (ciphertext envelopes),
 * `decoded` the codec's answer (`null` where the subject's key is gone), or null when decoding
 * failed. A field absent or recorded as null stays as it is: there is nothing to hide.
 */
export function maskPersonalData(stored: unknown, decoded: unknown | null, fields: readonly string[]): unknown {
  let masked = stored;
  for (const path of fields) {
    const original = readPath(stored, path);
    if (original === undefined || original === null) continue;
    const marker: PersonalDataMarker =
      decoded === null ? { personalData: 'unreadable' } : readPath(decoded, path) === null ? { personalData: 'erased' } : { personalData: 'present' };
    masked = withPath(masked, path, marker);
  }
  return masked;
}
