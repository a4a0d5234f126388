import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../database-options';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { eventFactsPage, eventFactsPageFromText } from './audit-digest';
import { jsonbCanonicalBytes } from './verify-text-encoder';
import { canonicalJson } from '@app/event-store/hash-chain';

/**
 * The verifier's facts from PostgreSQL's jsonb text (eventFactsPageFromText) must be exactly those
 * computed from the parsed events (eventFactsPage), whatever the stored JSON holds: jsonb reorders
 * keys (by length, then bytes), rewrites numbers (numeric's text), escapes control characters, and
 * a tampered row may carry anything in its metadata.
 */
const awkwardValues: unknown[] = [
  { b: 1, a: 2, aa: 3, B: 4, é: 5, '\u{1F600}': 6, '\uffff': 7, z: { y: [1, { d: 0, c: -0 }], x: {} } },
  { n: [1.5, 1.50, 100, 1e3, 1e21, 1.2e-7, 123456789012345, 1234567890123456, 12345678901234567890, -0.0, 0.1, -3, 2.5e300] },
  { s: 'quote " backslash \\ slash / tab \t nl \n ctrl \u0001 del \u007f é \u2028 \u{1F600}', '': 'empty key', 'k"q': 1, 'k\\b': 2 },
  [],
  {},
  'just a string',
  42,
  true,
  null,
  [{ b: null, a: false }, [], [[]], ''],
  { 'a b': 1, 'a!': 2, a: 3, 'a\u0001': 4 },
];

describe('verify facts from jsonb text (PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('audit_text');
    const dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    await dataSource.destroy();
    pool = new Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined);
    store = new PostgresEventStore({ pool });
    const chaining = new HashChainingEventStore(store);
    let version = -1;
    for (const value of awkwardValues) {
      await chaining.append('case-text', [{ type: 'Case.Noted.v1', schemaVersion: 2, data: value, metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause', extra: value, zz: 1.5, recordedAt: 'client' } }], version < 0 ? 'no_stream' : version);
      version += 1;
    }
    // Rows as a tamperer might leave them (the table refuses UPDATE and DELETE: inserted as they are).
    const rows: [string, string][] = [
      ['{"a": 1}', '{"actorId": "x"}'],
      ['{"a": 1}', '{"chain": {"hash": "zz", "prev": "00"}}'],
      ['{"a": 1}', '{"chain": {"hash": "' + 'a'.repeat(64) + '", "prev": "' + 'b'.repeat(64) + '", "extra": 1}}'],
      ['{"a": 1}', '{"chain": {"hash": "' + 'a'.repeat(64) + '", "prev": "' + 'B'.repeat(64) + '"}}'],
      ['{"a": 1}', '{"chain": {"hash": "' + 'A'.repeat(64) + '", "prev": "' + 'b'.repeat(64) + '"}}'],
      ['{"a": 1}', '{"chain": {"hash": "' + 'a'.repeat(64) + '", "prev": "' + 'b'.repeat(64) + '"}, "recordedAt": "forged", "b": [1.0]}'],
      ['{"a": 1}', '{"chain": "not an object"}'],
      ['{"a": 1}', '[1, 2]'],
      ['"a string"', '{}'],
    ];
    for (let i = 0; i < rows.length; i++) {
      await pool.query(
        `INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
         VALUES ($1, 0, $2, 'Case "odd" \\ type', 1, $3::jsonb, $4::jsonb, now())`,
        [`case-raw-${i}-ü`, randomUUID(), rows[i][0], rows[i][1]],
      );
    }
  });

  afterAll(async () => {
    await store.close();
    await pool.end();
    await db.drop();
  });

  it('canonicalises jsonb text as canonicalJson does the parsed value', async () => {
    for (const value of awkwardValues) {
      const { rows } = await pool.query<{ text: string }>({ text: 'SELECT $1::jsonb::text AS text', values: [JSON.stringify(value)], types: { getTypeParser: () => (text: string) => text } });
      const text = rows[0].text;
      const canonical = jsonbCanonicalBytes(text);
      // Texts with a backslash or a key beyond ASCII are left to the general path (undefined); the rest must agree byte for byte.
      if (text.includes('\\') || /"[^"]*[^\x00-\x7f][^"]*":/.test(text)) expect(canonical).toBeUndefined();
      else expect(canonical?.toString('hex')).toBe(Buffer.from(canonicalJson(JSON.parse(text))).toString('hex'));
    }
  });

  it('gives the facts eventFactsPage gives for the events readAll returns', async () => {
    await db.settled();
    const events = await store.readAll({ maxCount: 1000 });
    const text = await store.readAllStoredText({ maxCount: 1000 });
    expect(text.count).toBe(events.length);
    expect(text.count).toBe(awkwardValues.length + 9);
    const fromText = eventFactsPageFromText(text);
    const parsed = eventFactsPage(events);
    const comparable = (facts: typeof parsed) => ({ ...facts, digests: Buffer.from(facts.digests).toString('hex'), links: Buffer.from(facts.links).toString('hex'), linked: [...facts.linked], linkHolds: [...facts.linkHolds] });
    expect(comparable(fromText)).toEqual(comparable(parsed));
    expect([...parsed.linkHolds].slice(0, awkwardValues.length)).toEqual(awkwardValues.map(() => 1));
  });
});
