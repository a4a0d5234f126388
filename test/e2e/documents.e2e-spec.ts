import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { CommandBus } from '@nestjs/cqrs';
import { parse as parseDisposition } from 'content-disposition';
import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount, streamEvents } from '../support/log';
import { grantDecider, grantStreamName } from '@app/domain/grant';
import { draftProposal } from './draft-support';
import { DURING_WINDOW, GrantScenario, humanContext } from './grants-support';

// While the grant scenarios' call is open: a draft takes documents only then.
const NOW = DURING_WINDOW;
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
      expect(got.headers['content-disposition']).toBe('attachment; filename=interim-financial-report.pdf');
      expect(got.headers['repr-digest']).toBe(`sha-256=:${Buffer.from(sha256(bytes), 'hex').toString('base64')}:`);
    }
    const list = await t.http.get(`/grants/${grantId}/documents`).set(as(manager)).expect(200);
    expect(list.body.items).toEqual([{ documentId, name: 'interim-financial-report.pdf', sizeBytes: bytes.length, contentType: 'application/pdf', sha256: sha256(bytes), attachedAt: expect.any(String) }]);

    // The programme may upload on the grantee's behalf; the same content is stored once.
    const again = await upload(manager, grantId, bytes, 'copy.pdf').expect(201);
    expect(again.body.documentId).not.toBe(documentId);
    expect(again.body.sha256).toBe(sha256(bytes));
  });

  it('keeps a file name as its user wrote it, Arabic included, in the list and the download, for proposals and grants', async () => {
    // The multipart part as a browser (and curl, and supertest's form-data) writes it: the name's
    // UTF-8 bytes in the quoted parameter, a quote in it as %22. Before 2026-12-06 the first read
    // back as mojibake (ÙØ¸Ø§Ù……) and the second kept its %22.
    const names = ['نظام-أساسي-ريما.pdf', 'تقرير "نهائي" (v2).pdf', "Omar's report (final).pdf"];
    const part = (name: string, bytes: Buffer) =>
      Buffer.concat([Buffer.from(`--xyz\r\nContent-Disposition: form-data; name="file"; filename="${name.replaceAll('"', '%22')}"\r\nContent-Type: application/pdf\r\n\r\n`, 'utf8'), bytes, Buffer.from('\r\n--xyz--\r\n', 'latin1')]);
    const callId = await scenario.publishedCall();
    const proposalId = await draftProposal(scenario.executor, { callId, leadOrganisationId: lead, partnerOrganisationIds: [partner] });
    const grantId = await awardedGrant();
    for (const [records, recordId] of [['proposals', proposalId], ['grants', grantId]] as const) {
      for (const [n, name] of names.entries()) {
        const bytes = pdf(`${records} ${n}`);
        const res = await t.http.post(`/${records}/${recordId}/documents`).set(as(grantee)).set('Content-Type', 'multipart/form-data; boundary=xyz').send(part(name, bytes)).expect(201);
        const got = await download(manager, recordId, (res.body as { documentId: string }).documentId, records).expect(200);
        const disposition = parseDisposition(got.headers['content-disposition'] as string);
        expect(disposition.type).toBe('attachment');
        expect(disposition.parameters.filename).toBe(name); // from filename* where the name is not ISO-8859-1
      }
      const list = await t.http.get(`/${records}/${recordId}/documents`).set(as(manager)).expect(200);
      expect((list.body.items as { name: string }[]).map((item) => item.name)).toEqual(names);
    }
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

  it('refuses, not alters or drops: a second file part, a file name that is not UTF-8, a name with a bidirectional override (400, nothing stored or appended)', async () => {
    const grantId = await awardedGrant();
    const before = (await streamEvents(t, `grant-${grantId}`)).length;
    const blobsBefore = await blobCount();
    const head = (name: Buffer | string) =>
      Buffer.concat([Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="', 'latin1'), Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8'), Buffer.from('"\r\nContent-Type: application/pdf\r\n\r\n', 'latin1')]);
    const body = (...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from('--xyz--\r\n', 'latin1')]);
    const file = (name: Buffer | string, bytes: Buffer) => Buffer.concat([head(name), bytes, Buffer.from('\r\n', 'latin1')]);
    const cases: [string, Buffer, RegExp][] = [
      ['two file parts', body(file('first.pdf', pdf('one')), file('second.pdf', pdf('two'))), /more than one file part/],
      ['raw bytes not UTF-8 in the name', body(file(Buffer.from([0x61, 0xff, 0xfe, 0x2e, 0x70, 0x64, 0x66]), pdf('three'))), /not valid UTF-8/],
      ['a right-to-left override', body(file('report\u202efdp.exe', pdf('four'))), /bidirectional override/],
      ['an isolate', body(file('\u2067plan\u2069.pdf', pdf('five'))), /bidirectional override/],
    ];
    for (const [what, payload, detail] of cases) {
      const res = await rawUpload(grantee, `/grants/${grantId}/documents`, payload);
      expect([what, res.status, res.headers['content-type']]).toEqual([what, 400, expect.stringContaining('application/problem+json')]);
      expect(res.body.detail).toMatch(detail);
    }
    // filename* (RFC 8187) with an escape that is not UTF-8: refused too.
    const starred = Buffer.concat([
      Buffer.from("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%ED%A0%80b.pdf\r\nContent-Type: application/pdf\r\n\r\n", 'latin1'),
      pdf('six'),
      Buffer.from('\r\n--xyz--\r\n', 'latin1'),
    ]);
    expect((await rawUpload(grantee, `/grants/${grantId}/documents`, starred)).body.detail).toMatch(/not valid UTF-8/);
    // The marks an Arabic name may carry are kept.
    const marked = await rawUpload(grantee, `/grants/${grantId}/documents`, body(file('تقرير\u200f-2027.pdf', pdf('seven')))).expect(201);
    expect(marked.body.documentId).toEqual(expect.any(String));
    expect((await streamEvents(t, `grant-${grantId}`)).length).toBe(before + 1);
    expect(await blobCount()).toBe(blobsBefore + 1);
  });

  /** A multipart body cut short inside the file part, as a client that stopped writing sends it. */
  const CUT_SHORT = Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4 trunc', 'latin1');
  /** The file part whole, but the body never closed (no final boundary): the form is still malformed. */
  const UNCLOSED = Buffer.concat([Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n', 'latin1'), pdf('unclosed'), Buffer.from('\r\n--xyz', 'latin1')]);
  const rawUpload = (token: string, path: string, body: Buffer) =>
    t.http.post(path).set(as(token)).set('Content-Type', 'multipart/form-data; boundary=xyz').send(body);

  async function blobCount(): Promise<number> {
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM document_blobs')).rows[0].n;
    } finally {
      await client.end();
    }
  }

  it('answers 400 problem+json to a body cut short or never closed, for grants and proposals, known or not: nothing stored or appended, and the app keeps serving', async () => {
    const grantId = await awardedGrant();
    const proposalId = await draftProposal(scenario.executor, { callId: await scenario.publishedCall(), leadOrganisationId: lead, partnerOrganisationIds: [partner] });
    const paths = [`/grants/${randomUUID()}/documents`, `/grants/${grantId}/documents`, `/proposals/${randomUUID()}/documents`, `/proposals/${proposalId}/documents`];
    const events = await eventCount(t);
    const blobs = await blobCount();
    for (const path of paths) {
      for (const body of [CUT_SHORT, UNCLOSED]) {
        const res = await rawUpload(grantee, path, body).expect(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body).toMatchObject({ status: 400, instance: path, detail: expect.stringContaining('cut short') });
        // Still up, and answering.
        await t.http.get(`/grants/${grantId}/documents`).set(as(grantee)).expect(200);
      }
    }
    expect(await eventCount(t)).toBe(events);
    expect(await blobCount()).toBe(blobs);
    // A whole upload still goes through, to both.
    await upload(grantee, grantId, pdf('whole')).expect(201);
    await t.http.post(`/proposals/${proposalId}/documents`).set(as(grantee)).attach('file', pdf('whole'), { filename: 'whole.pdf' }).expect(201);
  });

  it('a client that goes away in the middle of the file leaves nothing pending, stored or appended, and the app keeps serving', async () => {
    const grantId = await awardedGrant();
    const server = t.app.getHttpServer() as Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // Every command the upload starts, to see that it settles once the client is gone.
    const commandBus = t.app.get(CommandBus);
    const started: Promise<unknown>[] = [];
    const original = commandBus.execute.bind(commandBus);
    const execute = jest.spyOn(commandBus, 'execute').mockImplementation((command: Parameters<CommandBus['execute']>[0]) => {
      const running = original(command);
      started.push(running.catch(() => undefined));
      return running;
    });
    const events = await eventCount(t);
    const blobs = await blobCount();
    try {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      const part = Buffer.concat([Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n', 'latin1'), pdf('half of it')]);
      socket.write(
        `POST /grants/${grantId}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${grantee}\r\n` +
          `Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: ${part.length + 10_000}\r\n\r\n`,
      );
      socket.write(part);
      // The upload is under way (its command started, waiting for the rest of the file); then the client is gone.
      await eventually(async () => (started.length > 0 ? true : undefined));
      socket.destroy();
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([Promise.all(started).then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5_000)))]);
      clearTimeout(timer);
      expect(settled).toBe(true);
    } finally {
      execute.mockRestore();
    }
    expect(await eventCount(t)).toBe(events);
    expect(await blobCount()).toBe(blobs);
    await upload(grantee, grantId, pdf('after the disconnect')).expect(201);
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
    await t.http.post(`/proposals/${proposalId}/submit`).set(as(grantee)).expect(200);
    const blobs = await blobCount();
    const frozen = await t.http.post(`/proposals/${proposalId}/documents`).set(as(grantee)).attach('file', pdf('late annex'), { filename: 'late.pdf' }).expect(409);
    expect(frozen.headers['content-type']).toContain('application/problem+json');
    expect(await blobCount()).toBe(blobs); // refused before a byte was stored
    await download(manager, proposalId, documentId, 'proposals').expect(200);
  });

  it('a draft whose call closed, or passed its deadline, takes no more documents: 422 problem+json, nothing stored or appended (until 2026-12-06 it took them)', async () => {
    const closing = await scenario.publishedCall();
    const closed = await draftProposal(scenario.executor, { callId: closing, leadOrganisationId: lead, partnerOrganisationIds: [partner] });
    const late = await draftProposal(scenario.executor, { callId: await scenario.publishedCall(), leadOrganisationId: lead, partnerOrganisationIds: [partner] });
    await t.http.post(`/proposals/${closed}/documents`).set(as(grantee)).attach('file', pdf('in time'), { filename: 'in-time.pdf' }).expect(201);
    t.clock.set('2027-04-01T00:00:00Z'); // past both calls' deadline
    try {
      await t.http.post(`/calls/${closing}/close`).set(as(manager)).expect(200);
      const events = await eventCount(t);
      const blobs = await blobCount();
      for (const [proposalId, rule] of [[closed, 'proposal.call.not-published'], [late, 'proposal.call.outside-window']]) {
        const res = await t.http.post(`/proposals/${proposalId}/documents`).set(as(grantee)).attach('file', pdf(`late for ${proposalId}`), { filename: 'late.pdf' });
        expect(res.status).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body).toMatchObject({ rule });
      }
      expect(await eventCount(t)).toBe(events);
      expect(await blobCount()).toBe(blobs);
      // What was attached in time still reads.
      expect((await t.http.get(`/proposals/${closed}/documents`).set(as(manager)).expect(200)).body.items).toHaveLength(1);
    } finally {
      t.clock.set(NOW);
    }
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

  it('an erased document stays erased (410) when the same bytes come again under the organisation\'s new key, refused or accepted; the new document reads by its own id', async () => {
    const erasable = await scenario.organisation('TN', ['returning-user']);
    const applicant = await t.token({ role: 'applicant', id: 'returning-user', organisationId: erasable });
    const grantId = await awardedGrant(erasable);
    const proposalId = await draftProposal(scenario.executor, { callId: await scenario.publishedCall(), leadOrganisationId: erasable, partnerOrganisationIds: [partner] });
    const bytes = pdf('Minutes of the board, with the members present');
    const { documentId } = (await upload(applicant, grantId, bytes, 'board-minutes.pdf').expect(201)).body as { documentId: string };
    const proposalDocument = (await t.http.post(`/proposals/${proposalId}/documents`).set(as(applicant)).attach('file', bytes, { filename: 'board-minutes.pdf' }).expect(201)).body.documentId as string;
    await t.http.post(`/grants/${grantId}/agreement`).set(as(manager)).send({ signatories: [{ name: 'Omar Khalil', role: 'Director' }], documentIds: [documentId] }).expect(200);
    await t.http.post(`/grants/${grantId}/termination`).set(as(manager)).send({ reason: 'Activities stopped' }).expect(200);
    await t.http.post(`/organisations/${erasable}/erasure`).set(as(manager)).send({ reason: 'Data subject request' }).expect(200);
    await download(manager, grantId, documentId).expect(410);
    await download(manager, proposalId, proposalDocument, 'proposals').expect(410);

    // A new contact person: the organisation has personal data again, under a new key.
    await t.http.patch(`/organisations/${erasable}`).set(as(applicant)).send({ contactPerson: { name: 'Omar Khalil', email: 'omar.khalil@example.org' } }).expect(200);
    // The same bytes to the terminated grant: stored under the new key, then refused.
    expect((await upload(applicant, grantId, bytes, 'board-minutes.pdf').expect(409)).headers['content-type']).toContain('application/problem+json');
    await download(manager, grantId, documentId).expect(410);
    await download(manager, proposalId, proposalDocument, 'proposals').expect(410);
    // And accepted for another grant of the organisation: that new document reads, the erased ones never again.
    const otherGrant = await awardedGrant(erasable);
    const fresh = (await upload(applicant, otherGrant, bytes, 'board-minutes.pdf').expect(201)).body.documentId as string;
    expect(Buffer.compare((await download(applicant, otherGrant, fresh).expect(200)).body as Buffer, bytes)).toBe(0);
    for (const token of [manager, auditor, applicant]) {
      expect((await download(token, grantId, documentId).expect(410)).headers['content-type']).toContain('application/problem+json');
      await download(token, proposalId, proposalDocument, 'proposals').expect(410);
    }
    const list = await t.http.get(`/grants/${grantId}/documents`).set(as(manager)).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ documentId, name: null })]);
  });
});
