import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { authConfigFromEnv } from '@app/platform';
import { ManualClock } from '@app/platform/clock';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/configure-app';
import { ExpressPrototypesAdapter } from '../../apps/api/src/http/express-server';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount as logEventCount, logIsPostgres, storedText, streamEvents, type LogReader } from '../support/log';

const NOW = '2027-01-10T09:00:00Z';
const APPLICANT_ORG = '3f0c2a11-7d9b-4f38-9c55-1b0e6f3c0a3e';

// Fictional organisations and people.
function registerBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Bidoun Rights Collective',
    country: 'LB',
    legalStatus: 'unregistered-group',
    focusGroups: ['stateless-people', 'nationality-rights'],
    contactPerson: { name: 'Rima Haddad', email: 'rima.haddad@bidoun-rights.example.org', phone: '+961 1 555 010' },
    ...overrides,
  };
}

const bearer = (token: string) => `Bearer ${token}`;

describe('organisations over HTTP', () => {
  let t: TestApp;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
  });

  afterAll(async () => {
    await t.close();
  });

  const viewAt = (id: string, version: number, token = manager) =>
    eventually(async () => {
      const res = await t.http.get(`/organisations/${id}`).set('Authorization', bearer(token));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    }, 2000);
  const eventCount = () => logEventCount(t);

  it('registers, updates and records due diligence, each visible in GET /organisations/:id', async () => {
    const registered = await t.http.post('/organisations').set('Authorization', bearer(manager)).send(registerBody({ memberUserIds: ['applicant-rima'] })).expect(201);
    expect(registered.body).toEqual({ id: expect.any(String), version: 0 });
    const id = registered.body.id;
    expect(await viewAt(id, 0)).toMatchObject({
      id,
      name: 'Bidoun Rights Collective',
      country: 'LB',
      legalStatus: 'unregistered-group',
      focusGroups: ['stateless-people', 'nationality-rights'],
      contactPerson: { name: 'Rima Haddad', email: 'rima.haddad@bidoun-rights.example.org', phone: '+961 1 555 010' },
      personalDataErased: false,
      memberUserIds: ['applicant-rima'],
      dueDiligence: null,
      version: 0,
    });

    await t.http
      .patch(`/organisations/${id}`)
      .set('Authorization', bearer(manager))
      .set('If-Match', '"0"')
      .send({ legalStatus: 'registered-association', focusGroups: ['stateless-people'] })
      .expect(200, { id, version: 1 });
    expect(await viewAt(id, 1)).toMatchObject({ legalStatus: 'registered-association', focusGroups: ['stateless-people'], name: 'Bidoun Rights Collective' });

    await t.http
      .post(`/organisations/${id}/due-diligence`)
      .set('Authorization', bearer(manager))
      .send({ outcome: 'conditional', notes: 'Fiscal sponsor agreement seen' })
      .expect(200, { id, version: 2 });
    expect((await viewAt(id, 2)).dueDiligence).toEqual({ outcome: 'conditional', notes: 'Fiscal sponsor agreement seen', checkedBy: 'alice', recordedAt: '2027-01-10T09:00:00.000Z' });

    const stored = await streamEvents(t, `organisation-${id}`);
    expect(stored.map((e) => e.type)).toEqual(['OrganisationRegistered', 'OrganisationProfileUpdated', 'DueDiligenceRecorded']);
    for (const event of stored) expect(event.metadata).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager' });

    const list = await t.http.get('/organisations?country=LB').set('Authorization', bearer(manager)).expect(200);
    expect(list.body.items.map((o: { id: string }) => o.id)).toContain(id);
  });

  it('answers invalid input with 400, a broken rule with 422, an unknown organisation with 404, a stale version with 409', async () => {
    const before = await eventCount();
    const invalid = await t.http
      .post('/organisations')
      .set('Authorization', bearer(manager))
      .send(registerBody({ legalStatus: 'charity', contactPerson: { name: 'X', email: 'not-an-email' }, surprise: 1 }))
      .expect(400);
    expect(invalid.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['contactPerson.email', 'legalStatus', 'surprise']);
    expect(JSON.stringify(invalid.body)).not.toContain('not-an-email');

    const rule = await t.http.post('/organisations').set('Authorization', bearer(manager)).send(registerBody({ country: 'XX' })).expect(422);
    expect(rule.body.rule).toBe('organisation.country.invalid');
    expect(await eventCount()).toBe(before);

    await t.http.patch('/organisations/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11').set('Authorization', bearer(manager)).send({ name: 'New' }).expect(404);
    await t.http.get('/organisations/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11').set('Authorization', bearer(manager)).expect(404);
    await t.http.get('/organisations/not-a-uuid').set('Authorization', bearer(manager)).expect(400);

    const { body } = await t.http.post('/organisations').set('Authorization', bearer(manager)).send(registerBody({ name: 'Dom Community Voices' })).expect(201);
    await t.http.patch(`/organisations/${body.id}`).set('Authorization', bearer(manager)).send({ name: 'Dom Community Voices' }).expect(422);
    await t.http.patch(`/organisations/${body.id}`).set('Authorization', bearer(manager)).set('If-Match', '"3"').send({ country: 'PS' }).expect(409);
    await t.http.post(`/organisations/${body.id}/erasure`).set('Authorization', bearer(manager)).send({ reason: ' ' }).expect(422);
  });

  it('lets an applicant register and change only the organisation its token names, without setting members', async () => {
    const applicant = await t.token({ role: 'applicant', id: 'applicant-nadia', organisationId: APPLICANT_ORG });
    await t.http
      .post('/organisations')
      .set('Authorization', bearer(applicant))
      .send(registerBody({ name: 'Amazigh Voices', country: 'MA', memberUserIds: ['someone-else'] }))
      .expect(403);
    const own = await t.http.post('/organisations').set('Authorization', bearer(applicant)).send(registerBody({ name: 'Amazigh Voices', country: 'MA' })).expect(201);
    expect(own.body).toEqual({ id: APPLICANT_ORG, version: 0 });
    await t.http.post('/organisations').set('Authorization', bearer(applicant)).send(registerBody({ name: 'Amazigh Voices', country: 'MA' })).expect(409);
    expect(await viewAt(APPLICANT_ORG, 0, applicant)).toMatchObject({ name: 'Amazigh Voices', memberUserIds: ['applicant-nadia'] });

    await t.http
      .patch(`/organisations/${APPLICANT_ORG}`)
      .set('Authorization', bearer(applicant))
      .send({ contactPerson: { name: 'Nadia Amrani', email: 'nadia.amrani@amazigh-voices.example.org' } })
      .expect(200, { id: APPLICANT_ORG, version: 1 });
    await t.http.patch(`/organisations/${APPLICANT_ORG}`).set('Authorization', bearer(applicant)).send({ memberUserIds: ['applicant-nadia', 'x'] }).expect(403);

    const { body: other } = await t.http.post('/organisations').set('Authorization', bearer(manager)).send(registerBody({ name: 'Someone Else' })).expect(201);
    await t.http.patch(`/organisations/${other.id}`).set('Authorization', bearer(applicant)).send({ name: 'Hijacked' }).expect(403);
    await viewAt(other.id, 0);
    await t.http.get(`/organisations/${other.id}`).set('Authorization', bearer(applicant)).expect(404);
    await t.http.get('/organisations').set('Authorization', bearer(applicant)).expect(403);
    await t.http.post(`/organisations/${APPLICANT_ORG}/due-diligence`).set('Authorization', bearer(applicant)).send({ outcome: 'passed', notes: '' }).expect(403);
    await t.http.post(`/organisations/${APPLICANT_ORG}/erasure`).set('Authorization', bearer(applicant)).send({ reason: 'mine' }).expect(403);

    // A token naming an organisation that is not a UUID is not a valid token (401), whatever the route.
    const noOrg = await t.token({ role: 'applicant', id: 'applicant-without-org', organisationId: 'not-a-uuid' });
    await t.http.post('/organisations').set('Authorization', bearer(noOrg)).send(registerBody()).expect(401);
    await t.http.get('/grants').set('Authorization', bearer(noOrg)).expect(401);
  });

  it('organisation.publication-consent: withheld by default; the organisation (or the programme team for it) chooses to be public', async () => {
    const { body: byTeam } = await t.http.post('/organisations').set('Authorization', bearer(manager)).send(registerBody({ name: 'Quiet Circle' })).expect(201);
    expect(await viewAt(byTeam.id, 0)).toMatchObject({ publicationConsent: 'withheld' });
    const stored = await streamEvents(t, `organisation-${byTeam.id}`);
    expect(stored[0].data).toMatchObject({ publicationConsent: 'withheld' });

    const { body: open } = await t.http
      .post('/organisations')
      .set('Authorization', bearer(manager))
      .send(registerBody({ name: 'Open Network', publicationConsent: 'public' }))
      .expect(201);
    expect(await viewAt(open.id, 0)).toMatchObject({ publicationConsent: 'public' });
    await t.http.patch(`/organisations/${open.id}`).set('Authorization', bearer(manager)).send({ publicationConsent: 'withheld' }).expect(200, { id: open.id, version: 1 });
    expect(await viewAt(open.id, 1)).toMatchObject({ publicationConsent: 'withheld' });

    const ownId = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const applicant = await t.token({ role: 'applicant', id: 'applicant-samir', organisationId: ownId });
    await t.http.post('/organisations').set('Authorization', bearer(applicant)).send(registerBody({ name: 'Samir Collective' })).expect(201);
    await t.http.patch(`/organisations/${ownId}`).set('Authorization', bearer(applicant)).send({ publicationConsent: 'public' }).expect(200, { id: ownId, version: 1 });
    expect(await viewAt(ownId, 1, applicant)).toMatchObject({ publicationConsent: 'public' });
    await t.http.patch(`/organisations/${ownId}`).set('Authorization', bearer(applicant)).send({ publicationConsent: 'public' }).expect(422);
    await t.http.patch(`/organisations/${ownId}`).set('Authorization', bearer(applicant)).send({ publicationConsent: 'yes' }).expect(400);
    await t.http.patch(`/organisations/${byTeam.id}`).set('Authorization', bearer(applicant)).send({ publicationConsent: 'public' }).expect(403);
  });

  it('bounds the list query: a huge offset or limit is a 400 problem, never a database error', async () => {
    for (const query of ['offset=99999999999999999999', 'offset=1000001', 'limit=201', 'limit=99999999999999999999', 'offset=-1']) {
      const res = await t.http.get(`/organisations?${query}`).set('Authorization', bearer(manager)).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await t.http.get('/organisations?offset=1000000&limit=200').set('Authorization', bearer(manager)).expect(200);
  });

  it('lets auditors read everything and write nothing; reviewers and partners get nothing here', async () => {
    const { body } = await t.http.post('/organisations').set('Authorization', bearer(manager)).send(registerBody({ name: 'Religious Minorities Forum', country: 'TN' })).expect(201);
    await viewAt(body.id, 0);
    const auditor = await t.token({ role: 'auditor' });
    await t.http.get(`/organisations/${body.id}`).set('Authorization', bearer(auditor)).expect(200);
    await t.http.get('/organisations').set('Authorization', bearer(auditor)).expect(200);
    await t.http.post('/organisations').set('Authorization', bearer(auditor)).send(registerBody()).expect(403);
    await t.http.patch(`/organisations/${body.id}`).set('Authorization', bearer(auditor)).send({ name: 'x' }).expect(403);
    await t.http.post(`/organisations/${body.id}/erasure`).set('Authorization', bearer(auditor)).send({ reason: 'x' }).expect(403);
    for (const role of ['reviewer', 'partner'] as const) {
      const token = await t.token({ role });
      await t.http.post('/organisations').set('Authorization', bearer(token)).send(registerBody()).expect(403);
      await t.http.get(`/organisations/${body.id}`).set('Authorization', bearer(token)).expect(403);
      await t.http.get('/organisations').set('Authorization', bearer(token)).expect(403);
    }
    await t.http.get('/organisations').expect(401);
  });

  it('documents every command body with an example and the problem responses', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(res.body.paths['/organisations'].post.responses['422'].content['application/problem+json']).toBeDefined();
    expect(res.body.paths['/organisations/{id}/erasure'].post.responses['403']).toBeDefined();
    for (const name of ['RegisterOrganisationDto', 'ContactPersonDto', 'RecordDueDiligenceDto', 'EraseOrganisationPersonalDataDto']) {
      const schema = res.body.components.schemas[name];
      for (const [prop, spec] of Object.entries<{ example?: unknown; $ref?: string; allOf?: unknown }>(schema.properties)) {
        const documented = spec.example !== undefined || spec.$ref !== undefined || spec.allOf !== undefined;
        expect({ name, prop, documented }).toEqual({ name, prop, documented: true });
      }
    }
  });
});

/** A second API (with its worker) on an existing database, as after a restart. */
async function appOn(t: TestApp): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ config: t.config, auth: authConfigFromEnv({}), databaseUrl: t.db.url, clock: new ManualClock(new Date(NOW)) })],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication(new ExpressPrototypesAdapter(), { bufferLogs: true }));
  await app.init();
  return app;
}

describe('erasure of an organisation\'s personal data (crypto-shredding)', () => {
  // Distinctive values, so a search of the database cannot hit anything else.
  const FIRST = { name: 'Zephyrine Quillfeather-Oduya', email: 'zq.first-7f3a@shred-test.example.org', phone: '+961 3 987 6543' };
  const SECOND = { name: 'Zephyrine Q. Oduya-Marlowe', email: 'zq.second-9b2c@shred-test.example.org', phone: '+961 3 246 8135' };
  const CLEAR_TEXT = [FIRST.name, FIRST.email, FIRST.phone, SECOND.name, SECOND.email, SECOND.phone, 'Quillfeather', 'Marlowe', 'shred-test', '987 6543', '246 8135'];

  let t: TestApp;
  let firstAppClosed = false;
  let restarted: INestApplication | undefined;
  let pg: Client;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    admin = await t.token({ role: 'admin', id: 'dpo-admin' });
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg.end();
    await restarted?.close();
    if (firstAppClosed) await t.dropStorage();
    else await t.close();
  });

  /** The running app: the first one, or the one started on the same database and log after it. */
  const running = (): LogReader => ({ app: restarted ?? t.app, config: t.config, db: t.db });
  /** Events holding `text` in their data or metadata: the `events` table itself when it is the log. */
  const occurrencesInEvents = async (text: string) =>
    logIsPostgres(t)
      ? Number((await pg.query(`SELECT count(*) AS n FROM events WHERE data::text ILIKE $1 OR metadata::text ILIKE $1`, [`%${text}%`])).rows[0].n)
      : (await storedText(running())).filter((json) => json.toLowerCase().includes(text.toLowerCase())).length;

  /** Every row of every table, as text: nothing may hold the clear text. */
  async function occurrencesAnywhere(text: string): Promise<Record<string, number>> {
    const tables = (await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r) => r.tablename as string);
    const found: Record<string, number> = {};
    for (const table of tables) {
      const n = Number((await pg.query(`SELECT count(*) AS n FROM "${table}" AS row WHERE row::text ILIKE $1`, [`%${text}%`])).rows[0].n);
      if (n > 0) found[table] = n;
    }
    return found;
  }

  it('leaves no clear text anywhere, shows the contact as erased, and keeps the rest of the stream working — also after a rebuild', async () => {
    const http = () => (restarted ? request(restarted.getHttpServer()) : t.http);
    const viewAt = (id: string, version: number) =>
      eventually(async () => {
        const res = await http().get(`/organisations/${id}`).set('Authorization', bearer(admin));
        return res.status === 200 && res.body.version >= version ? res.body : undefined;
      }, 5000);

    // Register with a distinctive contact, replace it once.
    const { body } = await t.http
      .post('/organisations')
      .set('Authorization', bearer(admin))
      .send(registerBody({ name: 'Nationality For All Network', contactPerson: FIRST }))
      .expect(201);
    const id: string = body.id;
    const streamId = `organisation-${id}`;
    await t.http.patch(`/organisations/${id}`).set('Authorization', bearer(admin)).send({ contactPerson: SECOND }).expect(200, { id, version: 1 });
    expect((await viewAt(id, 1)).contactPerson).toEqual(SECOND);

    // Even before the erasure, the log holds only ciphertext, and so does the read model: the API opened it for the answer.
    for (const text of CLEAR_TEXT) {
      expect({ text, n: await occurrencesInEvents(text) }).toEqual({ text, n: 0 });
      expect({ text, found: await occurrencesAnywhere(text) }).toEqual({ text, found: {} });
    }
    const sealed = (await pg.query('SELECT contact_person FROM organisations WHERE id = $1', [id])).rows[0].contact_person;
    expect(sealed).toMatchObject({ $pii: { subject: streamId }, path: 'contactPerson' });

    // Erase.
    const erased = await t.http
      .post(`/organisations/${id}/erasure`)
      .set('Authorization', bearer(admin))
      .send({ reason: 'Data subject request DSR-0042' })
      .expect(200);
    expect(erased.body).toEqual({ id, version: 2 });
    const afterErasure = await viewAt(id, 2);
    expect(afterErasure).toMatchObject({
      name: 'Nationality For All Network',
      country: 'LB',
      legalStatus: 'unregistered-group',
      contactPerson: null,
      personalDataErased: true,
      personalDataErasedAt: '2027-01-10T09:00:00.000Z',
    });
    const key = await pg.query('SELECT wrapped_key, erased_at FROM personal_data_keys WHERE subject = $1', [streamId]);
    expect(key.rows).toEqual([{ wrapped_key: null, erased_at: expect.any(Date) }]);

    // The history stays: every event is still there, in order, with its envelopes (now unreadable).
    const stored = await streamEvents(t, streamId);
    expect(stored.map((e) => e.type)).toEqual(['OrganisationRegistered', 'OrganisationProfileUpdated', 'OrganisationPersonalDataErased']);
    expect(stored[0].data).toMatchObject({ name: 'Nationality For All Network', contactPerson: { $pii: { subject: streamId } } });
    expect(stored[2].data).toMatchObject({ reason: 'Data subject request DSR-0042', requestedBy: 'dpo-admin' });

    // A repeated request appends nothing (idempotent).
    await t.http.post(`/organisations/${id}/erasure`).set('Authorization', bearer(admin)).send({ reason: 'Data subject request DSR-0042' }).expect(200, { id, version: 2 });

    // The rest of the stream still reads and folds: commands after the erasure work.
    await t.http.patch(`/organisations/${id}`).set('Authorization', bearer(admin)).send({ name: 'Nationality For All' }).expect(200, { id, version: 3 });
    await t.http.post(`/organisations/${id}/due-diligence`).set('Authorization', bearer(admin)).send({ outcome: 'passed', notes: 'Checked' }).expect(200, { id, version: 4 });
    expect(await viewAt(id, 4)).toMatchObject({ name: 'Nationality For All', contactPerson: null, personalDataErased: true, dueDiligence: { outcome: 'passed' } });

    for (const text of CLEAR_TEXT) {
      expect({ text, n: await occurrencesInEvents(text) }).toEqual({ text, n: 0 });
      expect({ text, found: await occurrencesAnywhere(text) }).toEqual({ text, found: {} });
    }

    // Rebuild the read model from the log in a fresh process (no cached keys): same erased answer.
    await t.app.close();
    firstAppClosed = true;
    await pg.query('TRUNCATE organisations');
    await pg.query(`UPDATE log_consumers SET position = NULL WHERE name = 'organisations'`);
    restarted = await appOn(t);
    const rebuilt = await viewAt(id, 4);
    expect(rebuilt).toMatchObject({
      id,
      name: 'Nationality For All',
      country: 'LB',
      contactPerson: null,
      personalDataErased: true,
      personalDataErasedAt: '2027-01-10T09:00:00.000Z',
      dueDiligence: { outcome: 'passed', checkedBy: 'dpo-admin' },
      version: 4,
    });
    for (const text of CLEAR_TEXT) expect({ text, found: await occurrencesAnywhere(text) }).toEqual({ text, found: {} });

    // A new, consenting contact after the erasure gets a fresh key and is readable; the old ones stay gone.
    const NEW = { name: 'Ilyas Contact-After-Erasure', email: 'ilyas@nationality-for-all.example.org' };
    await http().patch(`/organisations/${id}`).set('Authorization', bearer(admin)).send({ contactPerson: NEW }).expect(200, { id, version: 5 });
    expect(await viewAt(id, 5)).toMatchObject({ contactPerson: NEW, personalDataErased: false });
    expect(await occurrencesInEvents('Ilyas')).toBe(0);
    const keys = await pg.query('SELECT wrapped_key IS NOT NULL AS live FROM personal_data_keys WHERE subject = $1', [streamId]);
    expect(keys.rows).toEqual([{ live: true }]);
  });
});
