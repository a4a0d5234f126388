/**
 * No personal data at rest in clear: the read models keep a contact person (and redress grounds) as
 * the log holds it (ciphertext under the organisation's key) and the API opens it on each read. So
 * the clear text never reaches a file of the database cluster — heap, indexes, TOAST, WAL, server
 * log — and destroying the key erases it from every answer at once, whatever a projection is doing.
 */
import { randomUUID } from 'node:crypto';
import { type Dirent, promises as fs } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { GrantScenario } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const bearer = (token: string) => `Bearer ${token}`;

function registerBody(contactPerson: { name: string; email: string; phone?: string }) {
  return { name: 'Stateless Voices Network', country: 'LB', legalStatus: 'unregistered-group', focusGroups: ['stateless-people'], contactPerson };
}

/** Distinctive per run, so nothing else in the cluster (other test files share it) can hold these bytes. */
function probeContact() {
  const tag = randomUUID().replace(/-/g, '').slice(0, 12);
  return { name: `Probe Person ${tag}`, email: `probe.${tag}@at-rest-probe.example.org`, phone: '+961 1 000 000' };
}

/** How often `needle` occurs in `haystack`, as bytes. */
function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed meanwhile (another test dropped its database)
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Every file of the test PostgreSQL cluster — its data directory (every database's heap, index
 * and TOAST files, `pg_wal`, `global`, …) and the server log next to it — that holds one of the
 * needles, with how many times each. Relation files of this test's database are named by their table.
 */
async function clusterFilesHolding(pg: Client, needles: Readonly<Record<string, string>>): Promise<Record<string, Record<string, number>>> {
  const dataDir: string = (await pg.query('SHOW data_directory')).rows[0].data_directory;
  const databaseOid: string = String((await pg.query('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0].oid);
  const bytes = Object.entries(needles).map(([what, needle]) => [what, Buffer.from(needle, 'utf8')] as const);
  const found: Record<string, Record<string, number>> = {};
  const scan = async (path: string) => {
    let content: Buffer;
    try {
      content = await fs.readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const counts = Object.fromEntries(bytes.map(([what, needle]) => [what, occurrences(content, needle)] as const).filter(([, n]) => n > 0));
    if (Object.keys(counts).length > 0) found[await label(pg, relative(dataDir, path), databaseOid)] = counts;
  };
  for await (const path of filesUnder(dataDir)) await scan(path);
  await scan(join(dirname(dataDir), 'log'));
  return found;
}

/** `base/<this database>/<filenode>[.n|_fsm|…]` → `table organisations (base/…)`; anything else as is. */
async function label(pg: Client, path: string, databaseOid: string): Promise<string> {
  const match = new RegExp(`^base/${databaseOid}/(\\d+)`).exec(path);
  if (!match) return path;
  const relation: string | null = (await pg.query('SELECT pg_filenode_relation(0, $1::oid)::regclass::text AS name', [match[1]])).rows[0].name;
  return relation ? `relation ${relation} (${path})` : path;
}

const CONTROL = `scan-control-${randomUUID()}`;

/** The files that hold `what`, and the findings without the control. */
const filesHolding = (found: Record<string, Record<string, number>>, what: string) => Object.keys(found).filter((file) => found[file][what] > 0);
function withoutControl(found: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(found).flatMap(([file, { control: _control, ...personal }]) => (Object.keys(personal).length > 0 ? [[file, personal]] : [])),
  );
}

describe('personal data at rest', () => {
  let t: TestApp;
  let pg: Client;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    admin = await t.token({ role: 'admin', id: 'dpo-admin' });
    // A superuser connection to this test's database (the test cluster's own `postgres` role): SHOW data_directory, VACUUM, CHECKPOINT.
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
    // The scan's control: bytes this test writes in clear on purpose, which it must find (in the table's heap and in the WAL).
    await pg.query('CREATE TABLE at_rest_scan_control (marker text NOT NULL)');
    await pg.query('INSERT INTO at_rest_scan_control VALUES ($1)', [CONTROL]);
  });

  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const view = async (id: string) => (await t.http.get(`/organisations/${id}`).set('Authorization', bearer(admin)).expect(200)).body;
  const viewAt = (id: string, version: number) =>
    eventually(async () => {
      const res = await t.http.get(`/organisations/${id}`).set('Authorization', bearer(admin));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    }, 5_000);
  /** What the organisations projection itself has applied to the row (not what the API answers). */
  const projectedRow = async (id: string) => (await pg.query('SELECT personal_data_erased, version FROM organisations WHERE id = $1', [id])).rows[0];
  /** Flushes every dirty page of the cluster to its data files, so a scan sees what a backup would. */
  const checkpoint = () => pg.query('CHECKPOINT');
  /**
   * Writes the control again, then flushes: the WAL that held its first copy may be recycled by the
   * time of a scan (other test files write to the same cluster), so each scan gets a fresh copy in
   * the current WAL segment, which this checkpoint keeps.
   */
  const controlledCheckpoint = async () => {
    await pg.query('INSERT INTO at_rest_scan_control VALUES ($1)', [CONTROL]);
    await checkpoint();
  };

  it("never writes the clear contact, signatory, grant document's name, partner's mandate or redress grounds to any file of the cluster: not after registration, not after erasure, VACUUM FULL and CHECKPOINT", async () => {
    const contact = probeContact();
    const signatory = { name: `Probe Signatory ${randomUUID().slice(0, 8)}`, role: 'Director' };
    const mandate = `Board resolution signed by Probe Chair ${randomUUID().slice(0, 8)}`;
    const grounds = `Our treasurer Probe Treasurer ${randomUUID().slice(0, 8)} is named in the annex`;
    // A file name that names a person: personal data of the organisation that uploads it.
    const documentName = `Passport_Probe_Holder_${randomUUID().slice(0, 8)}.pdf`;
    const needles = { contactEmail: contact.email, contactName: contact.name, signatoryName: signatory.name, mandate, grounds, documentName, control: CONTROL };
    const { body } = await t.http.post('/organisations').set('Authorization', bearer(admin)).send(registerBody(contact)).expect(201);
    const id: string = body.id;

    // The API answers the contact in clear (opened with the organisation's key for this answer)…
    expect(await viewAt(id, 0)).toMatchObject({ contactPerson: contact, personalDataErased: false });
    // …and the organisation gets a grant whose agreement names a signatory (personal data of the grant's stream).
    const scenario = new GrantScenario(t);
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({
      callId, leadOrganisationId: id, partnerOrganisationIds: [await scenario.organisation('PS'), await scenario.organisation('MA')], requestedMinor: 1_000_000,
    });
    const grantId = await scenario.award(proposalId, 1_000_000);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', bearer(admin))).status === 200 ? true : undefined), 5_000);
    await t.http.post(`/grants/${grantId}/agreement`).set('Authorization', bearer(admin)).send({ signatories: [signatory] }).expect(200);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', bearer(admin))).body.status === 'active' ? true : undefined), 5_000);
    // The grantee attaches a document to the grant; the grants projection applies it (its row's version moves on).
    const applicant = await t.token({ role: 'applicant', id: 'applicant-probe', organisationId: id });
    const grantVersion = (await t.http.get(`/grants/${grantId}`).set('Authorization', bearer(admin)).expect(200)).body.version as number;
    await t.http
      .post(`/grants/${grantId}/documents`)
      .set('Authorization', bearer(applicant))
      .attach('file', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'), { filename: documentName, contentType: 'application/octet-stream' })
      .expect(201);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', bearer(admin))).body.version > grantVersion ? true : undefined), 5_000);
    const listed = await t.http.get(`/grants/${grantId}/documents`).set('Authorization', bearer(applicant)).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ name: documentName })]);
    // It is also a partner of another network: it accepted with a mandate naming its chair, and once
    // that proposal is rejected it asks for redress with grounds naming its treasurer (personal data of the organisation).
    const partnered = await scenario.proposalReadyForDecision({
      callId, leadOrganisationId: await scenario.organisation('PS'), partnerOrganisationIds: [id, await scenario.organisation('MA')], requestedMinor: 1_000_000, mandateStatement: mandate,
    });
    await t.http.post(`/proposals/${partnered}/decision`).set('Authorization', bearer(admin)).send({ decision: 'reject', reasons: 'Below the line', committee: 'Grants committee' }).expect(200);
    await t.http.post(`/proposals/${partnered}/redress-requests`).set('Authorization', bearer(applicant)).send({ grounds }).expect(200);
    await eventually(async () => ((await t.http.get(`/proposals/${partnered}/evaluation-summary`).set('Authorization', bearer(admin))).body.redressRequests?.[0]?.grounds === grounds ? true : undefined), 5_000);
    await controlledCheckpoint();
    // The cluster's files hold none of it: heap, TOAST and index files of every table of every database, the WAL, the server log.
    const afterRegistration = await clusterFilesHolding(pg, needles);

    await t.http.post(`/organisations/${id}/erasure`).set('Authorization', bearer(admin)).send({ reason: 'Data subject request DSR-0107' }).expect(200);
    // Once the projection has applied the erasure too (the answer is erased before: see the next test),
    // and the worker's erasure reaction has destroyed the grant's key as well.
    await eventually(async () => ((await projectedRow(id))?.personal_data_erased ? true : undefined), 5_000);
    await eventually(async () => ((await pg.query('SELECT 1 FROM personal_data_keys WHERE subject = $1 AND wrapped_key IS NULL', [`grant-${grantId}`])).rowCount ? true : undefined), 5_000);
    expect(await view(id)).toMatchObject({ contactPerson: null, personalDataErased: true });
    expect((await t.http.get(`/proposals/${partnered}/evaluation-summary`).set('Authorization', bearer(admin)).expect(200)).body.redressRequests[0].grounds).toBeNull();
    // Old row versions of every table rewritten away, every page flushed.
    await pg.query('VACUUM FULL');
    await controlledCheckpoint();
    const afterErasure = await clusterFilesHolding(pg, needles);

    // The scan does see what is written in clear (else finding nothing would prove nothing)…
    for (const found of [afterRegistration, afterErasure]) {
      expect(filesHolding(found, 'control')).toEqual(expect.arrayContaining([expect.stringMatching(/^relation at_rest_scan_control /), expect.stringMatching(/^pg_wal\//)]));
    }
    // …and finds the personal data nowhere.
    expect({ afterRegistration: withoutControl(afterRegistration), afterErasure: withoutControl(afterErasure) }).toEqual({ afterRegistration: {}, afterErasure: {} });
  }, 120_000); // two scans of every file of the cluster, a VACUUM FULL and a CHECKPOINT: ~20 s alone, over the default 30 s beside other suites

  it('an erasure empties GET /organisations/:id at once while the organisations projection is stalled', async () => {
    const contact = probeContact();
    const { body } = await t.http.post('/organisations').set('Authorization', bearer(admin)).send(registerBody(contact)).expect(201);
    const id: string = body.id;
    expect(await viewAt(id, 0)).toMatchObject({ contactPerson: contact, personalDataErased: false });

    // A poison event for this projection alone: it cannot apply the erasure, retries, and stalls.
    await pg.query(`
      CREATE FUNCTION refuse_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'test: the organisations projection is stalled'; END $$`);
    await pg.query(`
      CREATE TRIGGER refuse_erasure BEFORE UPDATE ON organisations FOR EACH ROW
        WHEN (NEW.personal_data_erased AND NOT OLD.personal_data_erased) EXECUTE FUNCTION refuse_erasure()`);
    try {
      await t.http.post(`/organisations/${id}/erasure`).set('Authorization', bearer(admin)).send({ reason: 'Data subject request DSR-0108' }).expect(200);
      // At once: the very next read, with the row as the projection left it (not erased, version 0).
      expect(await view(id)).toMatchObject({ contactPerson: null, personalDataErased: true, version: 0 });
      expect(await projectedRow(id)).toEqual({ personal_data_erased: false, version: 0 });

      // And still so once the runtime has recorded the stall.
      const stalled = await eventually(async () => {
        const { rows } = await pg.query(`SELECT stalled_position FROM log_consumers WHERE name = 'organisations'`);
        return rows[0]?.stalled_position ?? undefined;
      }, 10_000);
      expect(stalled).toEqual(expect.any(String));
      // The public readiness answer says which consumer stalled and where, never why: the error names
      // the organisation's stream and quotes the database. An admin reads it at /admin/consumers.
      const ready = await t.http.get('/health/ready');
      expect(ready.body.components.consumers.stalled).toEqual([{ name: 'organisations', position: stalled, since: expect.any(String) }]);
      expect(JSON.stringify(ready.body)).not.toContain(id);
      expect(JSON.stringify(ready.body)).not.toContain('test: the organisations projection is stalled');
      const consumers = await t.http.get('/admin/consumers').set('Authorization', bearer(admin)).expect(200);
      expect(JSON.stringify(consumers.body)).toContain('test: the organisations projection is stalled');
      expect(await view(id)).toMatchObject({ contactPerson: null, personalDataErased: true, version: 0 });
      const list = await t.http.get('/organisations').set('Authorization', bearer(admin)).expect(200);
      expect(list.body.items.find((item: { id: string }) => item.id === id)).toMatchObject({ contactPerson: null, personalDataErased: true });
    } finally {
      await pg.query('DROP TRIGGER refuse_erasure ON organisations');
      await pg.query('DROP FUNCTION refuse_erasure()');
    }

    // Once the cause is fixed and the stall cleared, the projection catches up to the same answer.
    await t.http.post('/admin/consumers/organisations/retry').set('Authorization', bearer(admin)).expect(200);
    expect(await viewAt(id, 1)).toMatchObject({ contactPerson: null, personalDataErased: true, version: 1 });
    expect(await projectedRow(id)).toEqual({ personal_data_erased: true, version: 1 });
  });
});
