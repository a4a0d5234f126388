import { ProposalsQuery } from '@app/read-models/proposals/proposals.query';
import { GrantsQuery } from '@app/read-models/grants/grants.query';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftCallBody } from '../support/call-fixtures';
import { GrantScenario } from './grants-support';

/**
 * Lists people can read (issue 14, item 3): names beside ids, text search, filters by country,
 * organisation, status and call, paging as before, and CSV (`Accept: text/csv`), streamed, under the
 * same filters and the same access scope. Organisation names follow the publication rule: applicants
 * and reviewers read their own organisation's name and those of public organisations only.
 */
const NOW = '2027-01-10T09:00:00Z';
const WITHIN_WINDOW = '2027-02-01T10:00:00Z';

type OrgKey = 'beirut' | 'hebron' | 'sfax' | 'amazigh' | 'dom';
const ORGANISATIONS: Record<OrgKey, { name: string; country: string; publicationConsent: 'public' | 'withheld' }> = {
  beirut: { name: 'Beirut Housing Rights Collective', country: 'LB', publicationConsent: 'public' },
  // A comma and quotes: RFC 4180 quoting.
  hebron: { name: 'Hebron Tenants\' Committee, "Al-Khalil"', country: 'PS', publicationConsent: 'withheld' },
  // A spreadsheet formula: the injection guard.
  sfax: { name: '=HYPERLINK("http://evil.example","Sfax Settlements")', country: 'TN', publicationConsent: 'public' },
  // LIKE wildcards in a name: searched for as themselves.
  amazigh: { name: 'Amazigh 100%_Land Network', country: 'MA', publicationConsent: 'withheld' },
  dom: { name: 'Dom Community Association', country: 'LB', publicationConsent: 'withheld' },
};
const WITHHELD = 'Withheld recipient';
const CONTACT_EMAIL = 'lists-contact@example.org';

const proposalBody = (callId: string, title: string, partners: string[]) => ({
  callId,
  partners: partners.map((organisationId) => ({ organisationId, role: 'partner' })),
  title,
  summary: 'Legal aid and advocacy.',
  policyIssue: 'housing rights for minorities',
  requestedMinor: 3_000_000,
  currency: 'EUR',
  budgetLines: [{ label: 'Legal aid', amountMinor: 3_000_000 }],
  durationMonths: 12,
});

/** RFC 4180, enough for what the API writes: quoted cells with doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || record.length > 0) throw new Error('the CSV does not end with CRLF');
  return records;
}

/** The CSV as objects by header, with the raw text. */
function csvObjects(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [header, ...records] = parseCsv(text);
  return { header, rows: records.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

describe('lists people can read: names, search, filters, CSV', () => {
  let t: TestApp;
  const org = {} as Record<OrgKey, string>;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
  let callA: string;
  let callB: string;
  let grantsCall: string;
  const proposals = {} as Record<'housing' | 'land' | 'emergency' | 'grantBeirut' | 'grantAmazigh', string>;
  const grants = {} as Record<'beirut' | 'amazigh', string>;

  const get = (path: string, who = 'manager') => t.http.get(path).set(bearer(who));
  const getCsv = (path: string, who = 'manager') => t.http.get(path).set(bearer(who)).set('Accept', 'text/csv');
  const ids = (body: { items: { id: string }[] }) => body.items.map((item) => item.id).sort();

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    tokens.manager = await t.token({ role: 'grant-manager', id: 'alice' });
    tokens.auditor = await t.token({ role: 'auditor', id: 'audrey' });
    tokens.partnerSystem = await t.token({ role: 'partner', id: 'donor-system' });
    tokens.reviewer = await t.token({ role: 'reviewer', id: 'reviewer-1' });
    for (const key of Object.keys(ORGANISATIONS) as OrgKey[]) {
      const { name, country, publicationConsent } = ORGANISATIONS[key];
      const registered = await t.http
        .post('/organisations')
        .set(bearer('manager'))
        .send({
          name,
          country,
          legalStatus: 'registered-association',
          focusGroups: ['refugees'],
          contactPerson: { name: 'Lists Contact', email: CONTACT_EMAIL },
          memberUserIds: [`applicant-${key}`],
          publicationConsent,
        })
        .expect(201);
      org[key] = registered.body.id;
      tokens[key] = await t.token({ role: 'applicant', id: `applicant-${key}`, organisationId: org[key] });
    }

    // Two calls drafted from the shared fixture, proposals drafted over HTTP by their leads.
    const publish = async (overrides: Record<string, unknown>) => {
      const call = await t.http.post('/calls').set(bearer('manager')).send(draftCallBody(overrides)).expect(201);
      await t.http.post(`/calls/${call.body.id}/publish`).set(bearer('manager')).expect(200);
      return call.body.id as string;
    };
    callA = await publish({});
    callB = await publish({ title: 'Emergency support for human rights defenders' });
    t.clock.set(WITHIN_WINDOW);
    const draft = async (lead: OrgKey, callId: string, title: string, partners: OrgKey[]) => {
      const drafted = await t.http.post('/proposals').set(bearer(lead)).send(proposalBody(callId, title, partners.map((key) => org[key]))).expect(201);
      for (const partner of partners) {
        await t.http
          .post(`/proposals/${drafted.body.id}/partners/${org[partner]}/acceptance`)
          .set(bearer(partner))
          .send({ mandateStatement: 'Board resolution to join the network', termsVersion: 1 })
          .expect(200);
      }
      return drafted.body.id as string;
    };
    proposals.housing = await draft('beirut', callA, 'Secure tenure for refugee and migrant households', ['hebron', 'sfax']);
    proposals.land = await draft('amazigh', callA, 'Collective land titles for village commons', ['dom', 'beirut']);
    // Starts with "-" and holds a comma and quotes: quoted, and guarded against formula injection.
    proposals.emergency = await draft('hebron', callB, '-Emergency legal aid, "urgent" cases', ['beirut']);

    // Two grants, through the grant scenario's call (the shared fixture with one review required).
    const scenario = new GrantScenario(t);
    grantsCall = await scenario.publishedCall({ title: 'Grants call for stateless children' });
    proposals.grantBeirut = await scenario.proposalReadyForDecision({ callId: grantsCall, leadOrganisationId: org.beirut, partnerOrganisationIds: [org.hebron, org.dom], requestedMinor: 1_000_000 });
    proposals.grantAmazigh = await scenario.proposalReadyForDecision({ callId: grantsCall, leadOrganisationId: org.amazigh, partnerOrganisationIds: [org.sfax, org.beirut], requestedMinor: 2_000_000 });
    grants.beirut = await scenario.award(proposals.grantBeirut, 1_000_000);
    grants.amazigh = await scenario.award(proposals.grantAmazigh, 2_000_000);
    t.clock.set('2027-05-10T09:00:00Z');

    // The decisions are the last proposal events this setup appends: once both show, every earlier one (the acceptances) does.
    await eventually(async () => {
      const listed = await get('/proposals?limit=200');
      const granted = await get('/grants');
      const decided = listed.body.items?.filter((item: { decision: unknown }) => item.decision !== null).length;
      return listed.body.total === 5 && decided === 2 && granted.body.total === 2 ? true : undefined;
    }, 15_000);
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  describe('names beside ids', () => {
    it('shows the programme team the lead, its country, every partner and the call by name', async () => {
      const res = await get(`/proposals?callId=${callA}`).expect(200);
      const housing = res.body.items.find((item: { id: string }) => item.id === proposals.housing);
      expect(housing).toMatchObject({
        leadOrganisationId: org.beirut,
        leadOrganisationName: ORGANISATIONS.beirut.name,
        leadOrganisationCountry: 'LB',
        callId: callA,
        callTitle: 'Small grants for issue-based networks',
        partners: [
          { organisationId: org.hebron, organisationName: ORGANISATIONS.hebron.name, status: 'accepted' },
          { organisationId: org.sfax, organisationName: ORGANISATIONS.sfax.name, status: 'accepted' },
        ],
      });
      // No personal data in a list.
      expect(JSON.stringify(res.body)).not.toContain(CONTACT_EMAIL);
      expect(JSON.stringify(res.body)).not.toContain('Lists Contact');
    });

    it("gives each grant its proposal's title, its call's title and the grantee's name and country", async () => {
      const res = await get('/grants').expect(200);
      const grant = res.body.items.find((item: { id: string }) => item.id === grants.beirut);
      expect(grant).toMatchObject({
        title: 'Nationality rights for stateless children',
        callTitle: 'Grants call for stateless children',
        granteeOrganisationId: org.beirut,
        granteeOrganisationName: ORGANISATIONS.beirut.name,
        granteeOrganisationCountry: 'LB',
        partners: [
          { organisationId: org.hebron, organisationName: ORGANISATIONS.hebron.name },
          { organisationId: org.dom, organisationName: ORGANISATIONS.dom.name },
        ],
      });
      expect(JSON.stringify(res.body)).not.toContain(CONTACT_EMAIL);
    });

    it('shows a new name as soon as the organisation is renamed (names are read with the list, not copied into it)', async () => {
      const renamed = 'Dom Community Association of Beirut';
      await t.http.patch(`/organisations/${org.dom}`).set(bearer('manager')).send({ name: renamed }).expect(200);
      const land = await eventually(async () => {
        const res = await get(`/proposals?organisationId=${org.dom}&callId=${callA}`);
        const item = res.body.items[0];
        return item?.partners.some((p: { organisationName: string }) => p.organisationName === renamed) ? item : undefined;
      });
      expect(land.id).toBe(proposals.land);
      await t.http.patch(`/organisations/${org.dom}`).set(bearer('manager')).send({ name: ORGANISATIONS.dom.name }).expect(200);
      await eventually(async () => {
        const res = await get(`/proposals?organisationId=${org.dom}&callId=${callA}`);
        return res.body.items[0]?.partners.some((p: { organisationName: string }) => p.organisationName === ORGANISATIONS.dom.name) ? true : undefined;
      });
    });
  });

  describe('the publication rule: others see a withheld organisation as partner systems do', () => {
    it("shows an applicant its own organisation's name and public ones, and a withheld partner or lead as 'Withheld recipient' without a country", async () => {
      const res = await get(`/proposals?callId=${callA}`, 'beirut').expect(200);
      expect(ids(res.body)).toEqual([proposals.housing, proposals.land].sort());
      const housing = res.body.items.find((item: { id: string }) => item.id === proposals.housing);
      expect(housing.leadOrganisationName).toBe(ORGANISATIONS.beirut.name);
      expect(housing.partners.map((p: { organisationName: string }) => p.organisationName)).toEqual([WITHHELD, ORGANISATIONS.sfax.name]);
      const land = res.body.items.find((item: { id: string }) => item.id === proposals.land);
      expect(land).toMatchObject({ leadOrganisationId: org.amazigh, leadOrganisationName: WITHHELD, leadOrganisationCountry: null });
      expect(land.partners.map((p: { organisationName: string }) => p.organisationName)).toEqual([WITHHELD, ORGANISATIONS.beirut.name]);
      expect(JSON.stringify(res.body)).not.toContain(ORGANISATIONS.amazigh.name);
      expect(JSON.stringify(res.body)).not.toContain('Al-Khalil');
    });

    it('shows a withheld organisation its own name', async () => {
      const res = await get(`/proposals?callId=${callA}`, 'amazigh').expect(200);
      expect(res.body.items).toEqual([expect.objectContaining({ id: proposals.land, leadOrganisationName: ORGANISATIONS.amazigh.name, leadOrganisationCountry: 'MA' })]);
    });

    it('shows a reviewer public names only', async () => {
      const res = await get('/proposals', 'reviewer').expect(200);
      expect(ids(res.body)).toEqual([proposals.grantBeirut, proposals.grantAmazigh].sort());
      const names = Object.fromEntries(res.body.items.map((item: { id: string; leadOrganisationName: string }) => [item.id, item.leadOrganisationName]));
      expect(names).toEqual({ [proposals.grantBeirut]: ORGANISATIONS.beirut.name, [proposals.grantAmazigh]: WITHHELD });
    });

    it('never matches a search or a country filter on what is withheld from the caller', async () => {
      const q = encodeURIComponent('100%_Land');
      expect(ids((await get(`/proposals?q=${q}`).expect(200)).body)).toEqual([proposals.land, proposals.grantAmazigh].sort());
      expect((await get(`/proposals?q=${q}`, 'beirut').expect(200)).body).toMatchObject({ items: [], total: 0 });
      expect(ids((await get(`/proposals?q=${q}`, 'amazigh').expect(200)).body)).toEqual([proposals.land, proposals.grantAmazigh].sort());
      expect(ids((await get('/proposals?country=MA').expect(200)).body)).toEqual([proposals.land, proposals.grantAmazigh].sort());
      expect((await get('/proposals?country=MA', 'beirut').expect(200)).body.total).toBe(0);
      expect((await get(`/proposals?q=${encodeURIComponent('al-khalil')}`, 'beirut').expect(200)).body.total).toBe(0);
      expect((await get('/proposals?q=Hebron', 'reviewer').expect(200)).body.total).toBe(0);
      const csv = csvObjects((await getCsv(`/proposals?q=${q}`, 'beirut').expect(200)).text);
      expect(csv.rows).toEqual([]);
    });
  });

  describe('search and filters', () => {
    it('searches titles case-insensitively, and lead and partner names', async () => {
      expect(ids((await get('/proposals?q=TENURE').expect(200)).body)).toEqual([proposals.housing]);
      expect(ids((await get('/grants?q=stateless%20CHILDREN').expect(200)).body)).toEqual([grants.beirut, grants.amazigh].sort());
      // Hebron leads the emergency proposal and is a partner of the housing one and of a grant's.
      expect(ids((await get(`/proposals?q=${encodeURIComponent('tenants\' committee')}`).expect(200)).body)).toEqual(
        [proposals.housing, proposals.emergency, proposals.grantBeirut].sort(),
      );
      expect(ids((await get('/grants?q=amazigh').expect(200)).body)).toEqual([grants.amazigh]);
      expect(ids((await get('/grants?q=sfax').expect(200)).body)).toEqual([grants.amazigh]);
    });

    it('matches % and _ as themselves, and an empty q as no search', async () => {
      expect(ids((await get('/proposals?q=%25').expect(200)).body)).toEqual([proposals.land, proposals.grantAmazigh].sort());
      expect(ids((await get('/proposals?q=_').expect(200)).body)).toEqual([proposals.land, proposals.grantAmazigh].sort());
      expect((await get('/proposals?q=%25%25').expect(200)).body.total).toBe(0);
      expect((await get('/proposals?q=').expect(200)).body.total).toBe(5);
    });

    it('filters by country, organisation, status and call, alone and together', async () => {
      expect(ids((await get('/proposals?country=LB').expect(200)).body)).toEqual([proposals.housing, proposals.grantBeirut].sort());
      expect(ids((await get(`/proposals?country=LB&callId=${callA}`).expect(200)).body)).toEqual([proposals.housing]);
      expect(ids((await get(`/proposals?organisationId=${org.dom}`).expect(200)).body)).toEqual([proposals.land, proposals.grantBeirut].sort());
      expect(ids((await get(`/proposals?organisationId=${org.hebron}&status=draft`).expect(200)).body)).toEqual([proposals.housing, proposals.emergency].sort());
      expect(ids((await get(`/proposals?callId=${callB}`).expect(200)).body)).toEqual([proposals.emergency]);
      expect(ids((await get('/grants?country=LB').expect(200)).body)).toEqual([grants.beirut]);
      expect(ids((await get('/grants?country=MA').expect(200)).body)).toEqual([grants.amazigh]);
      expect(ids((await get(`/grants?organisationId=${org.hebron}`).expect(200)).body)).toEqual([grants.beirut]);
      expect(ids((await get(`/grants?organisationId=${org.beirut}`).expect(200)).body)).toEqual([grants.beirut, grants.amazigh].sort());
      expect(ids((await get(`/grants?status=awarded&callId=${grantsCall}&q=nationality`).expect(200)).body)).toEqual([grants.beirut, grants.amazigh].sort());
      expect((await get(`/grants?callId=${callA}`).expect(200)).body.total).toBe(0);
    });

    it("keeps each caller's scope under every filter: an applicant sees its organisation's grants only", async () => {
      expect(ids((await get('/grants', 'beirut').expect(200)).body)).toEqual([grants.beirut]);
      expect(ids((await get(`/grants?organisationId=${org.amazigh}`, 'beirut').expect(200)).body)).toEqual([]);
      const own = (await get('/grants', 'amazigh').expect(200)).body.items;
      expect(own).toEqual([expect.objectContaining({ id: grants.amazigh, granteeOrganisationName: ORGANISATIONS.amazigh.name, granteeOrganisationCountry: 'MA' })]);
      expect(ids((await get('/proposals?q=Collective', 'dom').expect(200)).body)).toEqual([proposals.land, proposals.grantBeirut].sort());
    });
  });

  describe('paging as before', () => {
    it('pages with limit and offset, with the total of the filtered list', async () => {
      const all = (await get('/proposals?limit=200').expect(200)).body;
      const first = (await get('/proposals?limit=2&offset=0').expect(200)).body;
      const second = (await get('/proposals?limit=2&offset=2').expect(200)).body;
      const third = (await get('/proposals?limit=2&offset=4').expect(200)).body;
      expect([first.total, second.total, third.total]).toEqual([5, 5, 5]);
      expect(first).toMatchObject({ limit: 2, offset: 0 });
      expect([...first.items, ...second.items, ...third.items].map((item: { id: string }) => item.id)).toEqual(all.items.map((item: { id: string }) => item.id));
      expect((await get('/proposals?country=LB&limit=1&offset=1').expect(200)).body).toMatchObject({ total: 2, items: [expect.any(Object)] });
    });

    it('reads an export in keyset pages that add up to the list, in its order', async () => {
      const listed = (await get('/proposals?limit=200').expect(200)).body.items.map((item: { id: string }) => item.id);
      const read: string[] = [];
      for await (const page of t.app.get(ProposalsQuery).pages({ scope: { kind: 'all' } }, 2)) read.push(...page.items.map((p) => p.id));
      expect(read).toEqual(listed);
      const offsetRead: string[] = [];
      for await (const page of t.app.get(ProposalsQuery).pages({ scope: { kind: 'all' }, offset: 1, limit: 3 }, 2)) offsetRead.push(...page.items.map((p) => p.id));
      expect(offsetRead).toEqual(listed.slice(1, 4));
      const grantIds: string[] = [];
      for await (const page of t.app.get(GrantsQuery).pages({}, 1)) grantIds.push(...page.items.map((g) => g.id));
      expect(grantIds).toEqual((await get('/grants').expect(200)).body.items.map((item: { id: string }) => item.id));
    });
  });

  describe('CSV (Accept: text/csv)', () => {
    it('answers every proposal as RFC 4180 CSV with a header row, quoting, and formula cells guarded', async () => {
      const res = await getCsv('/proposals').expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="proposals.csv"');
      expect(res.headers.vary).toMatch(/Accept/);
      const text = res.text;
      expect(text.startsWith('id,title,status,callId,callTitle,leadOrganisationId,leadOrganisationName,leadOrganisationCountry,partnerOrganisationIds,partnerOrganisationNames,')).toBe(true);
      const { header, rows } = csvObjects(text);
      expect(header).toContain('requestedMinor');
      expect(rows.map((row) => row.id)).toEqual((await get('/proposals?limit=200')).body.items.map((item: { id: string }) => item.id));
      const emergency = rows.find((row) => row.id === proposals.emergency)!;
      // Starts with "-": prefixed with a quote; the comma and quotes are quoted as RFC 4180 says.
      expect(emergency.title).toBe('\'-Emergency legal aid, "urgent" cases');
      expect(text).toContain('"\'-Emergency legal aid, ""urgent"" cases"');
      expect(emergency).toMatchObject({ leadOrganisationName: ORGANISATIONS.hebron.name, leadOrganisationCountry: 'PS', callTitle: 'Emergency support for human rights defenders', requestedMinor: '3000000', currency: 'EUR' });
      expect(text).toContain('"Hebron Tenants\' Committee, ""Al-Khalil"""');
      const housing = rows.find((row) => row.id === proposals.housing)!;
      expect(housing.partnerOrganisationIds).toBe(`${org.hebron}; ${org.sfax}`);
      // The partner names cell starts with the Hebron name here, so only the standalone formula name shows the guard:
      const grantAmazigh = rows.find((row) => row.id === proposals.grantAmazigh)!;
      expect(grantAmazigh.partnerOrganisationNames.startsWith(`'=HYPERLINK(`)).toBe(true);
      expect(text).not.toContain(',=HYPERLINK');
      expect(text).not.toContain(',"=HYPERLINK');
      expect(text).not.toContain(CONTACT_EMAIL);
    });

    it('answers the grant portfolio as CSV with titles and names, the grantee formula guarded', async () => {
      const res = await getCsv('/grants').expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const { header, rows } = csvObjects(res.text);
      expect(header.slice(0, 9)).toEqual(['id', 'title', 'status', 'callId', 'callTitle', 'proposalId', 'granteeOrganisationId', 'granteeOrganisationName', 'granteeOrganisationCountry']);
      expect(rows.map((row) => row.id).sort()).toEqual([grants.beirut, grants.amazigh].sort());
      expect(rows.find((row) => row.id === grants.beirut)).toMatchObject({
        title: 'Nationality rights for stateless children',
        callTitle: 'Grants call for stateless children',
        granteeOrganisationName: ORGANISATIONS.beirut.name,
        amountMinor: '1000000',
        currency: 'EUR',
        overdue: 'false',
        unspentMinor: '',
      });
      expect(header).toContain('unspentMinor');
      expect(rows.find((row) => row.id === grants.amazigh)?.partnerOrganisationNames).toBe(`'${ORGANISATIONS.sfax.name}; ${ORGANISATIONS.beirut.name}`);
    });

    it('honours the filters, and limit and offset when given', async () => {
      const lb = csvObjects((await getCsv('/proposals?country=LB').expect(200)).text);
      expect(lb.rows.map((row) => row.id).sort()).toEqual([proposals.housing, proposals.grantBeirut].sort());
      const searched = csvObjects((await getCsv(`/grants?q=amazigh&status=awarded`).expect(200)).text);
      expect(searched.rows.map((row) => row.id)).toEqual([grants.amazigh]);
      const paged = csvObjects((await getCsv('/proposals?limit=2&offset=1').expect(200)).text);
      expect(paged.rows.map((row) => row.id)).toEqual((await get('/proposals?limit=2&offset=1')).body.items.map((item: { id: string }) => item.id));
      const none = csvObjects((await getCsv(`/proposals?callId=${grantsCall}&status=withdrawn`).expect(200)).text);
      expect(none).toMatchObject({ rows: [] });
      expect(none.header[0]).toBe('id');
    });

    it("holds only the caller's scope: an applicant's CSV has only its organisation's rows, its names as the JSON shows them", async () => {
      const proposalsCsv = csvObjects((await getCsv('/proposals', 'hebron').expect(200)).text);
      expect(proposalsCsv.rows.map((row) => row.id).sort()).toEqual([proposals.housing, proposals.emergency, proposals.grantBeirut].sort());
      expect(proposalsCsv.rows.find((row) => row.id === proposals.housing)?.leadOrganisationName).toBe(ORGANISATIONS.beirut.name);
      const grantsCsv = csvObjects((await getCsv('/grants', 'amazigh').expect(200)).text);
      expect(grantsCsv.rows.map((row) => row.id)).toEqual([grants.amazigh]);
      expect(grantsCsv.rows[0].granteeOrganisationName).toBe(ORGANISATIONS.amazigh.name);
      const beirutCsv = csvObjects((await getCsv('/proposals', 'beirut').expect(200)).text);
      const land = beirutCsv.rows.find((row) => row.id === proposals.land);
      expect(land).toMatchObject({ leadOrganisationName: WITHHELD, leadOrganisationCountry: '' });
      expect(JSON.stringify(beirutCsv)).not.toContain('Amazigh 100%');
    });

    it('answers JSON without an Accept header, to */* and when JSON is preferred', async () => {
      for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/csv;q=0.5', 'text/html']) {
        const request = t.http.get('/proposals?limit=1').set(bearer('manager'));
        const res = await (accept ? request.set('Accept', accept) : request).expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
      }
      const preferred = await t.http.get('/grants').set(bearer('manager')).set('Accept', 'application/json;q=0.4, text/csv').expect(200);
      expect(preferred.headers['content-type']).toBe('text/csv; charset=utf-8');
    });
  });

  describe('bad parameters: 400 problem+json, never 500', () => {
    const bad = [
      'q=a&q=b',
      `q=${'x'.repeat(201)}`,
      'country=lb',
      'country=LBN',
      'country=',
      'organisationId=not-a-uuid',
      'status=bogus',
      'limit=0',
      'limit=201',
      'offset=-1',
      'sort=title',
      'q[$ne]=1',
    ];
    it.each(bad)('refuses GET /proposals?%s', async (query) => {
      const res = await get(`/proposals?${query}`).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
    it.each(bad)('refuses GET /grants?%s, also when CSV is asked for', async (query) => {
      for (const accept of ['application/json', 'text/csv']) {
        const res = await t.http.get(`/grants?${query}`).set(bearer('manager')).set('Accept', accept).expect(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });
    it('refuses partner systems the lists, as before', async () => {
      await get('/proposals', 'partnerSystem').expect(403);
      await getCsv('/grants', 'partnerSystem').expect(403);
    });
    it('takes odd but valid text as plain text', async () => {
      for (const q of ["'; DROP TABLE proposals; --", '\\', '\\%', "''", 'ñandú ✓', '%_\\']) {
        const res = await get(`/proposals?q=${encodeURIComponent(q)}`).expect(200);
        expect(res.body.total).toBe(0);
      }
    });
  });
});
