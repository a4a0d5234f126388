import { createHash, randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount, streamEvents } from '../support/log';
import { grantDecider, grantStreamName } from '@app/domain/grant';
import { draftProposal } from './draft-support';
import { DURING_WINDOW, GrantScenario, humanContext } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const MAX_BYTES = 64 * 1024;

/** A small but real PDF (file-type recognises it by its header). */
function pdf(text: string): Buffer {
  return Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1');
}

/** A 1×1 PNG, built chunk by chunk. */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('grant documents over HTTP (multipart upload, encrypted storage, download)', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;
  let auditor: string;
  let reviewer: string;
  let partnerSystem: string;
  let lead: string;
  let partner: string;
  let grantee: string;
  let stranger: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW, config: { documents: { maxBytes: MAX_BYTES, allowedTypes: ['application/pdf', 'image/png'], storage: 'postgres' } } });
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
    reviewer = await t.token({ role: 'reviewer', id: 'rami' });
    partnerSystem = await t.token({ role: 'partner', id: 'donor-system' });
    lead = await scenario.organisation('LB', ['applicant-user']);
    partner = await scenario.organisation('PS');
    const other = await scenario.organisation('TN', ['other-user']);
    grantee = await t.token({ role: 'applicant', id: 'applicant-user', organisationId: lead });
    stranger = await t.token({ role: 'applicant', id: 'other-user', organisationId: other });
  });

  afterAll(async () => {
    await t.close();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const upload = (token: string, grantId: string, bytes: Buffer, filename = 'interim-financial-report.pdf') =>
    t.http.post(`/grants/${grantId}/documents`).set(as(token)).attach('file', bytes, { filename, contentType: 'application/octet-stream' });
  const download = (token: string, recordId: string, documentId: string, records: 'grants' | 'proposals' = 'grants') =>
    t.http
      .get(`/${records}/${recordId}/documents/${documentId}`)
      .set(as(token))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

  /** A grant awarded straight on its stream (as the award process manager does): documents need nothing more. */
  async function awardedGrant(organisationId = lead): Promise<string> {
    const grantId = randomUUID();
    await scenario.executor.execute(
      grantDecider,
      grantStreamName(grantId),
      grantId,
      {
        type: 'AwardGrant',
        data: {
          grantId, proposalId: randomUUID(), callId: randomUUID(), granteeOrganisationId: organisationId, partnerOrganisationIds: [partner],
          amountMinor: 5_000_000, currency: 'EUR', periodStart: '2027-02-01', periodEnd: '2028-01-31', conditions: [],
        },
        now: NOW,
      },
      humanContext('award-process-manager', 'system'),
    );
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set(as(manager))).status === 200 ? true : undefined), 10_000);
    return grantId;
  }

  it('stores an uploaded PDF encrypted and content-addressed, records name, size, type and SHA-256, and serves it back to who may see the grant', async () => {
    const grantId = await awardedGrant();
    const bytes = pdf('Interim financial statement, Beirut office');
    const res = await upload(grantee, grantId, bytes).expect(201);
    expect(res.body).toMatchObject({ id: grantId, sha256: sha256(bytes), sizeBytes: bytes.length, contentType: 'application/pdf' });
    const { documentId } = res.body as { documentId: string };

    // The event: name encrypted (personal data, the organisation's key), the rest in clear.
    const attached = (await streamEvents(t, `grant-${grantId}`)).find((e) => e.type === 'GrantDocumentAttached');
    expect(attached?.data).toMatchObject({ documentId, organisationId: lead, sizeBytes: bytes.length, contentType: 'application/pdf', sha256: sha256(bytes), attachedBy: 'applicant-user' });
    expect((attached?.data as { name: { $pii: { subject: string } } }).name.$pii.subject).toBe(`organisation-${lead}`);
    expect(JSON.stringify(attached?.data)).not.toContain('interim-financial-report');

    // At rest: ciphertext only, under the content address.
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ key: string; bytes: Buffer }>('SELECT key, bytes FROM document_blobs');
      expect(rows.map((r) => r.key)).toEqual([`organisation-${lead}/${sha256(bytes)}`]);
      expect(rows[0].bytes.includes(Buffer.from('Beirut office'))).toBe(false);
      expect(rows[0].bytes.includes(Buffer.from('%PDF'))).toBe(false);
    } finally {
      await client.end();
    }

    for (const token of [grantee, manager, auditor]) {
      const got = await download(token, grantId, documentId).expect(200);
      expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
      expect(got.headers['content-type']).toBe('application/pdf');
      expect(got.headers['content-disposition']).toContain("filename*=UTF-8''interim-financial-report.pdf");
      expect(got.headers['repr-digest']).toBe(`sha-256=:${Buffer.from(sha256(bytes), 'hex').toString('base64')}:`);
    }
    const list = await t.http.get(`/grants/${grantId}/documents`).set(as(manager)).expect(200);
    expect(list.body.items).toEqual([{ documentId, name: 'interim-financial-report.pdf', sizeBytes: bytes.length, contentType: 'application/pdf', sha256: sha256(bytes), attachedAt: expect.any(String) }]);

    // The programme may upload on the grantee's behalf; the same content is stored once.
    const again = await upload(manager, grantId, bytes, 'copy.pdf').expect(201);
    expect(again.body.documentId).not.toBe(documentId);
    expect(again.body.sha256).toBe(sha256(bytes));
  });

  it('refuses the grant and its documents to anyone who may not see the grant', async () => {
    const grantId = await awardedGrant();
    const { documentId } = (await upload(grantee, grantId, png(), 'site-visit.png').expect(201)).body as { documentId: string };
    const before = await eventCount(t);

    // Another organisation's applicant: the grant is not there for it (404), exactly as GET /grants/:id.
    expect((await upload(stranger, grantId, pdf('not yours')).expect(404)).headers['content-type']).toContain('application/problem+json');
    await download(stranger, grantId, documentId).expect(404);
    await t.http.get(`/grants/${grantId}/documents`).set(as(stranger)).expect(404);
    // Roles that never see grants: 403; no token: 401; an auditor reads but never writes.
    await download(reviewer, grantId, documentId).expect(403);
    await download(partnerSystem, grantId, documentId).expect(403);
    await t.http.get(`/grants/${grantId}/documents/${documentId}`).expect(401);
    await upload(auditor, grantId, pdf('auditors write nothing')).expect(403);
    // A document id of another grant, or none at all: 404.
    // Nothing refused was appended.
    expect(await eventCount(t)).toBe(before);
    const otherGrant = await awardedGrant();
    await download(manager, otherGrant, documentId).expect(404);
  });

  it('answers 413 problem+json to a file larger than DOCUMENT_MAX_BYTES, and appends nothing', async () => {
    const grantId = await awardedGrant();
    const before = (await streamEvents(t, `grant-${grantId}`)).length;
    // Just past the limit: refused while streaming, at the first byte too many.
    const tooLarge = Buffer.concat([pdf('large'), Buffer.alloc(MAX_BYTES)]);
    const res = await upload(grantee, grantId, tooLarge).expect(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 413, instance: `/grants/${grantId}/documents` });
    // Far past it: refused from the declared Content-Length, before reading the body.
    await upload(grantee, grantId, Buffer.concat([pdf('huge'), Buffer.alloc(4 * MAX_BYTES)])).expect(413);
    // Exactly at the limit: accepted.
    const atLimit = Buffer.concat([pdf('at the limit')]);
    const padded = Buffer.concat([atLimit, Buffer.alloc(MAX_BYTES - atLimit.length, 0x20)]);
    expect((await upload(grantee, grantId, padded).expect(201)).body.sizeBytes).toBe(MAX_BYTES);
    expect((await streamEvents(t, `grant-${grantId}`)).length).toBe(before + 1);
  });

  it('answers 415 problem+json to a type not allowed (sniffed from the bytes, whatever the name says), and 400/415 to bodies that are not one file upload', async () => {
    const grantId = await awardedGrant();
    const before = (await streamEvents(t, `grant-${grantId}`)).length;
    const gif = Buffer.concat([Buffer.from('GIF89a', 'ascii'), Buffer.alloc(64)]);
    const refused = await upload(grantee, grantId, gif, 'budget.pdf').expect(415);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 415, detail: expect.stringContaining('image/gif') });
    // Text cannot be recognised from its bytes: refused too.
    await upload(grantee, grantId, Buffer.from('just some text, not a PDF at all'), 'notes.pdf').expect(415);
    // A JSON body instead of multipart: 415; multipart without the file part: 400.
    await t.http.post(`/grants/${grantId}/documents`).set(as(grantee)).send({ file: 'x' }).expect(415);
    const noFile = await t.http.post(`/grants/${grantId}/documents`).set(as(grantee)).field('note', 'no file here').expect(400);
    expect(noFile.headers['content-type']).toContain('application/problem+json');
    expect((await streamEvents(t, `grant-${grantId}`)).length).toBe(before);
  });

  it('the agreement and reports name stored documents by id; an id never attached to the grant is refused (422)', async () => {
    const grantId = await awardedGrant();
    const agreementPdf = pdf('Signed agreement');
    const agreementDoc = (await upload(manager, grantId, agreementPdf, 'agreement-signed.pdf').expect(201)).body.documentId as string;
    await t.http.post(`/grants/${grantId}/agreement`).set(as(manager)).send({ signatories: [{ name: 'Rania Haddad', role: 'Director' }], documentIds: [agreementDoc] }).expect(200);
    const report = (await t.http.post(`/grants/${grantId}/reports`).set(as(manager)).send({ kind: 'interim', dueDate: '2027-12-31' }).expect(201)).body.reportId as string;
    const evidence = (await upload(grantee, grantId, png(), 'hearing.png').expect(201)).body as { documentId: string; sha256: string };

    const unknown = await t.http
      .post(`/grants/${grantId}/reports/${report}/submission`)
      .set(as(grantee))
      .send({ summary: 'Hearings held', documentIds: ['7d1f3a57-1a2b-4c3d-8e9f-0a1b2c3d4e5f'] })
      .expect(422);
    expect(unknown.body.rule).toBe('grant.document.not-attached');
    await t.http.post(`/grants/${grantId}/reports/${report}/submission`).set(as(grantee)).send({ summary: 'Hearings held', documentIds: [evidence.documentId] }).expect(200);

    const events = await streamEvents(t, `grant-${grantId}`);
    expect(events.find((e) => e.type === 'GrantAgreementSigned')?.data).toMatchObject({ documents: [{ documentId: agreementDoc, sha256: sha256(agreementPdf) }] });
    expect(events.find((e) => e.type === 'ReportSubmitted')?.data).toMatchObject({ documents: [{ documentId: evidence.documentId, sha256: evidence.sha256 }] });
  });

  it('a draft proposal carries documents of its lead: uploaded by the lead, read under the proposal\'s access rule, frozen with the submission', async () => {
    const callId = await scenario.publishedCall();
    const proposalId = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner] });
    const bytes = pdf('Statutes of the lead organisation');
    const res = await t.http.post(`/proposals/${proposalId}/documents`).set(as(grantee)).attach('file', bytes, { filename: 'statutes.pdf' }).expect(201);
    expect(res.body).toMatchObject({ id: proposalId, sha256: sha256(bytes), contentType: 'application/pdf', sizeBytes: bytes.length });
    const { documentId } = res.body as { documentId: string };
    const attached = (await streamEvents(t, `proposal-${proposalId}`)).find((e) => e.type === 'ProposalDocumentAttached');
    expect((attached?.data as { name: { $pii: { subject: string } } }).name.$pii.subject).toBe(`organisation-${lead}`);

    for (const token of [grantee, manager, auditor]) {
      expect(Buffer.compare((await download(token, proposalId, documentId, 'proposals').expect(200)).body as Buffer, bytes)).toBe(0);
    }
    const list = await t.http.get(`/proposals/${proposalId}/documents`).set(as(manager)).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ documentId, name: 'statutes.pdf', sha256: sha256(bytes) })]);
    // Not the proposal of another organisation's applicant, nor of an unassigned reviewer: 404; the programme reads but does not upload.
    await download(stranger, proposalId, documentId, 'proposals').expect(404);
    await download(reviewer, proposalId, documentId, 'proposals').expect(404);
    await t.http.post(`/proposals/${proposalId}/documents`).set(as(stranger)).attach('file', bytes, { filename: 'x.pdf' }).expect(404);
    await t.http.post(`/proposals/${proposalId}/documents`).set(as(manager)).attach('file', bytes, { filename: 'x.pdf' }).expect(403);
    // The limits are the same as for grants.
    await t.http.post(`/proposals/${proposalId}/documents`).set(as(grantee)).attach('file', Buffer.from('GIF89a' + ' '.repeat(40)), { filename: 'x.pdf' }).expect(415);

    // Submitted, the proposal is frozen: no more documents (409), the existing ones still read.
    t.clock.set(DURING_WINDOW); // submissions only while the call is open
    await t.http.post(`/proposals/${proposalId}/submit`).set(as(grantee)).expect(200);
    t.clock.set(NOW);
    const frozen = await t.http.post(`/proposals/${proposalId}/documents`).set(as(grantee)).attach('file', pdf('late annex'), { filename: 'late.pdf' }).expect(409);
    expect(frozen.headers['content-type']).toContain('application/problem+json');
    await download(manager, proposalId, documentId, 'proposals').expect(200);
  });

  it('an erased organisation\'s documents are no longer readable: 410, and their names read as erased', async () => {
    const erasable = await scenario.organisation('MA', ['erasable-user']);
    const erasableApplicant = await t.token({ role: 'applicant', id: 'erasable-user', organisationId: erasable });
    const grantId = await awardedGrant(erasable);
    const bytes = pdf('List of participants');
    const { documentId } = (await upload(erasableApplicant, grantId, bytes, 'participants.pdf').expect(201)).body as { documentId: string };
    await download(manager, grantId, documentId).expect(200);

    await t.http.post(`/organisations/${erasable}/erasure`).set(as(manager)).send({ reason: 'Data subject request' }).expect(200);

    const gone = await download(manager, grantId, documentId).expect(410);
    expect(gone.headers['content-type']).toContain('application/problem+json');
    await download(erasableApplicant, grantId, documentId).expect(410);
    const list = await t.http.get(`/grants/${grantId}/documents`).set(as(manager)).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ documentId, name: null, sha256: sha256(bytes) })]);
    // Another organisation's documents are untouched.
    const kept = await awardedGrant();
    const keptDoc = (await upload(grantee, kept, pdf('kept')).expect(201)).body.documentId as string;
    await download(manager, kept, keptDoc).expect(200);
  });
});
