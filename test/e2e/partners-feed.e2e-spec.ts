/**
 * The partner feed over HTTP: paging from zero and from a cursor, type filters, concurrent appends,
 * server-sent events across a reconnect, role rules, and a scan of every payload for personal data.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { organisationDecider, organisationStreamName } from '@app/domain/organisation';
import { PUBLIC_EVENT_TYPES } from '@app/application/public-events';
import { EVENT_STORE, type EventStore, type EventSubscription } from '@app/event-store';
import { FEED_OPTIONS } from '../../apps/api/src/partners/feed/feed.service';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { DURING_WINDOW, GrantScenario, humanContext } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const HEARTBEAT_MS = 100;

/** Personal and internal data seeded into the log; none of it may reach a partner. */
const PRIVATE = {
  contactName: 'Zuleika Quasimodo',
  contactEmail: 'zuleika.quasimodo@private-mail.test',
  contactPhone: '+961 70 123 987',
  partnerContactName: 'Bartholomew Ignatius',
  partnerContactEmail: 'b.ignatius@private-mail.test',
  signatory: 'Yusra Xanthippe',
  signatoryRole: 'Treasurer of the hidden collective',
  leadName: 'Qadisha Hidden Collective',
  partnerName: 'Nahr Quiet Circle',
  paymentReference: 'SEPA-PRIVATE-778899',
  suspensionReason: 'Threat reported by Farid Secretname',
  managerId: 'manager-wolfgang',
};

function createPartnersTestApp(): Promise<TestApp> {
  return createTestApp({ now: NOW, overrides: [{ provide: FEED_OPTIONS, useValue: { heartbeatMs: HEARTBEAT_MS, scanBudget: 2_000 } }] });
}

interface FeedItem {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  cursor: string;
  data: Record<string, unknown>;
}

interface SseMessage {
  id: string;
  event: string;
  data: FeedItem;
}

/** Reads a text/event-stream with plain node http, as a partner's client would. */
function openStream(port: number, token: string, options: { lastEventId?: string; query?: string } = {}) {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  let raw = '';
  let buffer = '';
  let status = 0;
  let contentType = '';
  let ended = false;
  const req = http.get({
    host: '127.0.0.1',
    port,
    path: `/feed/stream${options.query ? `?${options.query}` : ''}`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}) },
  });
  const opened = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type'] ?? '');
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
            }
          }
          if (fields.data !== undefined) messages.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) as FeedItem });
        }
      });
      res.on('end', () => (ended = true));
      res.on('error', () => (ended = true));
      resolve();
    });
    req.on('error', (error) => (ended ? resolve() : reject(error)));
  });
  return {
    messages,
    comments,
    get raw() {
      return raw;
    },
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    opened,
    waitFor: (count: number) => eventually(async () => (messages.length >= count ? messages.slice() : undefined), 10_000),
    close() {
      req.destroy();
    },
  };
}

describe('partner feed', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let port: number;
  let partner: string;
  let manager: string;
  let lead: string;
  let partnerOrg: string;
  let grantId: string;

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function registerOrganisation(name: string, country: string, contact: { name: string; email: string; phone?: string }): Promise<string> {
    const organisationId = randomUUID();
    await scenario.executor.execute(
      organisationDecider,
      organisationStreamName(organisationId),
      organisationId,
      {
        type: 'RegisterOrganisation',
        data: { organisationId, name, country, legalStatus: 'unregistered-group', focusGroups: ['LGBTQI+ people'], contactPerson: contact, memberUserIds: ['applicant-user'] },
        now: DURING_WINDOW,
      },
      humanContext(PRIVATE.managerId, 'admin'),
    );
    return organisationId;
  }

  async function readWholeFeed(token = partner, query = ''): Promise<FeedItem[]> {
    const res = await t.http.get(`/feed?limit=500${query}`).set(as(token)).expect(200);
    return res.body.items as FeedItem[];
  }

  /** Follows `next` page by page until a page comes back empty. */
  async function followFeed(from: string | undefined, limit: number, query = ''): Promise<{ items: FeedItem[]; next: string | null; pages: number }> {
    const items: FeedItem[] = [];
    let after = from;
    let pages = 0;
    for (;;) {
      const res = await t.http
        .get(`/feed?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}${query}`)
        .set(as(partner))
        .expect(200);
      pages += 1;
      items.push(...res.body.items);
      if (res.body.items.length === 0) return { items, next: res.body.next, pages };
      after = res.body.next;
    }
  }

  beforeAll(async () => {
    t = await createPartnersTestApp();
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    scenario = new GrantScenario(t);
    partner = await t.token({ role: 'partner', id: 'donor-reporting-system' });
    manager = await t.token({ role: 'grant-manager', id: PRIVATE.managerId });

    lead = await registerOrganisation(PRIVATE.leadName, 'LB', { name: PRIVATE.contactName, email: PRIVATE.contactEmail, phone: PRIVATE.contactPhone });
    partnerOrg = await registerOrganisation(PRIVATE.partnerName, 'PS', { name: PRIVATE.partnerContactName, email: PRIVATE.partnerContactEmail });
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partnerOrg], requestedMinor: 5_000_000 });
    grantId = await scenario.award(proposalId, 5_000_000);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set(as(manager))).status === 200 ? true : undefined));

    await t.http.post(`/grants/${grantId}/agreement`).set(as(manager)).send({ signatories: [{ name: PRIVATE.signatory, role: PRIVATE.signatoryRole }] }).expect(200);
    const tranche = await t.http.post(`/grants/${grantId}/disbursements`).set(as(manager)).send({ amountMinor: 2_000_000, dueDate: '2027-06-15' }).expect(201);
    await t.http.post(`/grants/${grantId}/disbursements/${tranche.body.trancheId}/payment`).set(as(manager)).send({ paymentReference: PRIVATE.paymentReference }).expect(200);
    await t.http.post(`/grants/${grantId}/suspension`).set(as(manager)).send({ reason: PRIVATE.suspensionReason }).expect(200);
    await t.http.post(`/grants/${grantId}/reinstatement`).set(as(manager)).send({ reason: PRIVATE.suspensionReason }).expect(200);
  });

  afterAll(async () => {
    await t.close();
  });

  it('follows the feed from zero, page by page, to the same events in log order as one big page', async () => {
    const all = await readWholeFeed();
    expect(all.map((e) => e.type)).toEqual([
      'call.published',
      'grant.awarded',
      'grant.agreement-signed',
      'grant.disbursement-paid',
      'grant.suspended',
      'grant.reinstated',
    ]);
    const followed = await followFeed(undefined, 2);
    expect(followed.items).toEqual(all);
    expect(followed.pages).toBe(4);
    expect(followed.next).toBe(all[all.length - 1].cursor);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it('resumes from any cursor with exactly the events after it', async () => {
    const all = await readWholeFeed();
    for (let k = 0; k < all.length; k++) {
      const rest = await followFeed(all[k].cursor, 3);
      expect(rest.items).toEqual(all.slice(k + 1));
    }
  });

  it('filters by type, and its next cursor moves past the skipped events so nothing is scanned twice', async () => {
    const all = await readWholeFeed();
    const res = await t.http.get('/feed?types=grant.awarded,grant.disbursement-paid').set(as(partner)).expect(200);
    expect(res.body.items.map((e: FeedItem) => e.type)).toEqual(['grant.awarded', 'grant.disbursement-paid']);
    expect(res.body.next).toBe(all[all.length - 1].cursor);
    const again = await t.http.get(`/feed?types=grant.awarded&after=${encodeURIComponent(res.body.next)}`).set(as(partner)).expect(200);
    expect(again.body).toEqual({ items: [], next: res.body.next });
  });

  it('refuses an unknown type or a cursor it did not hand out with a problem', async () => {
    const badType = await t.http.get('/feed?types=grant.awarded,OrganisationRegistered').set(as(partner)).expect(400);
    expect(badType.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http.get('/feed?after=not-a-cursor').set(as(partner)).expect(400);
    await t.http.get('/feed/stream?after=not-a-cursor').set(as(partner)).expect(400);
  });

  it('hands out opaque cursors: never the store position, and 400 for anything that is not one of ours', async () => {
    const all = await readWholeFeed();
    await t.db.settled();
    const positions = (await t.app.get<EventStore>(EVENT_STORE).readAll({ maxCount: 10_000 })).map((e) => e.position);
    for (const item of all) {
      expect(item.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(positions.some((position) => item.cursor.includes(position))).toBe(false);
    }
    const { next } = (await t.http.get('/feed?limit=1').set(as(partner)).expect(200)).body;
    expect(positions).not.toContain(next);
    const rawPosition = positions.at(-1)!;
    const forged = [
      rawPosition,
      Buffer.from(`v1:${rawPosition}`).toString('base64'), // not base64url: padded
      Buffer.from(`v2:${rawPosition}`).toString('base64url'),
      Buffer.from('v1:99999999999999999999-99999999999999999999').toString('base64url'), // well-formed, but no such position
      Buffer.from('v1:garbage').toString('base64url'),
      `${all[0].cursor}x`,
      // Positions the store could read but the feed never hands out: without the zero padding (the
      // stream compares positions as strings, so it sent nothing after one), or the other store's separator.
      Buffer.from('v1:1-0').toString('base64url'),
      Buffer.from(`v1:${rawPosition.replace(/^0+(?=\d)/, '').replace(/([-/])0+(?=\d)/, '$1')}`).toString('base64url'),
      Buffer.from(`v1:${rawPosition.replace(/[-/]/, (separator) => (separator === '-' ? '/' : '-'))}`).toString('base64url'),
    ];
    for (const cursor of forged) {
      const res = await t.http.get(`/feed?after=${encodeURIComponent(cursor)}`).set(as(partner)).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      await t.http.get('/feed/stream').set(as(partner)).set('Last-Event-ID', cursor).expect(400);
    }
  });

  it('refuses a well-formed cursor beyond the end of the log (another deployment, a restored database): 400, restart from zero', async () => {
    const all = await readWholeFeed();
    const head = all.at(-1)!.cursor;
    // At exactly the head: up to date, not refused.
    expect((await t.http.get(`/feed?after=${encodeURIComponent(head)}`).set(as(partner)).expect(200)).body.items).toEqual([]);
    // The head's position moved far ahead, in the store's own form: a cursor this log never handed out.
    const position = Buffer.from(head, 'base64url').toString('utf8').slice('v1:'.length);
    const beyond = Buffer.from(`v1:${position.replace(/^\d{20}/, (n) => (BigInt(n) + 1_000_000n).toString().padStart(20, '0'))}`).toString('base64url');
    const refused = await t.http.get(`/feed?after=${encodeURIComponent(beyond)}`).set(as(partner)).expect(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 400, detail: expect.stringMatching(/beyond the end.*from zero/s) });
    const stream = await t.http.get('/feed/stream').set(as(partner)).set('Last-Event-ID', beyond).expect(400);
    expect(stream.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http.get(`/feed/stream?after=${encodeURIComponent(beyond)}`).set(as(partner)).expect(400);
  });

  it('only partners, admins and auditors read the feed; applicants, reviewers and grant managers get 403', async () => {
    for (const role of ['partner', 'admin', 'auditor'] as const) {
      await t.http.get('/feed?limit=1').set(as(await t.token({ role }))).expect(200);
    }
    for (const role of ['applicant', 'reviewer', 'grant-manager'] as const) {
      const token = await t.token({ role, organisationId: role === 'applicant' ? lead : undefined });
      await t.http.get('/feed').set(as(token)).expect(403);
      await t.http.get('/feed/stream').set(as(token)).expect(403);
    }
    await t.http.get('/feed').expect(401);
    await t.http.get('/events/catalogue').set(as(await t.token({ role: 'applicant', organisationId: lead }))).expect(403);
  });

  it('serves the catalogue: every public type with its versioned JSON Schema', async () => {
    const res = await t.http.get('/events/catalogue').set(as(partner)).expect(200);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(PUBLIC_EVENT_TYPES);
    for (const entry of res.body.events) {
      expect(entry.versions[0].schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `urn:grant-ledger:public-event:${entry.type}:v1` });
    }
  });

  it('every feed item validates against its type\'s schema as served by the catalogue', async () => {
    const ajv = new Ajv2020({ allErrors: true });
    addFormats(ajv);
    const catalogue = (await t.http.get('/events/catalogue').set(as(partner)).expect(200)).body;
    for (const entry of catalogue.events) for (const { schema } of entry.versions) ajv.addSchema(schema);
    const items = await readWholeFeed();
    expect(new Set(items.map((e) => e.type)).size).toBeGreaterThanOrEqual(6);
    for (const item of items) {
      expect(ajv.validate(`urn:grant-ledger:public-event:${item.type}:v${item.version}`, item) ? null : ajv.errors).toBeNull();
    }
  });

  it('no personal data, organisation names or ids, actors or payment references in any feed, stream or catalogue payload', async () => {
    const feed = JSON.stringify(await readWholeFeed(await t.token({ role: 'admin' })));
    const catalogue = JSON.stringify((await t.http.get('/events/catalogue').set(as(partner)).expect(200)).body);
    const stream = openStream(port, partner);
    await stream.opened;
    await stream.waitFor(6);
    stream.close();
    for (const payload of [feed, catalogue, stream.raw]) {
      for (const value of [...Object.values(PRIVATE), lead, partnerOrg, 'committee-chair', 'reviewer-1', 'applicant-user', 'alice']) {
        expect(payload).not.toContain(value);
      }
      expect(payload).not.toContain('$pii');
    }
    const awarded = JSON.parse(feed).find((e: FeedItem) => e.type === 'grant.awarded');
    expect(awarded.data.recipient).toEqual({ id: expect.stringMatching(/^withheld-[0-9a-f]{32}$/), name: 'Withheld recipient', withheld: true });
  });

  it('names an organisation once it chooses to be public, and withholds it again when it changes its mind (payloads are built when read)', async () => {
    const admin = await t.token({ role: 'admin' });
    const awardedRecipient = async () => (await readWholeFeed(partner, '&types=grant.awarded'))[0].data.recipient;
    const consentIs = (publicationConsent: string) =>
      eventually(async () => ((await t.http.get(`/organisations/${lead}`).set(as(admin))).body.publicationConsent === publicationConsent ? true : undefined));
    const pseudonym = await awardedRecipient();
    // The consent changes after the grant's award (2027-05-03), as they would in time.
    t.clock.set('2027-06-01T09:00:00Z');
    try {
      await t.http.patch(`/organisations/${lead}`).set(as(admin)).send({ publicationConsent: 'public' }).expect(200);
      await consentIs('public');
      expect(await awardedRecipient()).toEqual({ id: lead, name: PRIVATE.leadName, withheld: false });
      const stream = openStream(port, partner, { query: 'types=grant.awarded' });
      await stream.opened;
      const [message] = await stream.waitFor(1);
      stream.close();
      expect(message.data.data.recipient).toEqual({ id: lead, name: PRIVATE.leadName, withheld: false });
      // Its partner did not choose to be public: still withheld in the same payload.
      expect(message.data.data.partners).toEqual([{ id: expect.stringMatching(/^withheld-[0-9a-f]{32}$/), name: 'Withheld recipient', withheld: true }]);
      expect(JSON.stringify(message)).not.toContain(PRIVATE.partnerName);
    } finally {
      await t.http.patch(`/organisations/${lead}`).set(as(admin)).send({ publicationConsent: 'withheld' }).expect(200);
      await consentIs('withheld');
      t.clock.set(NOW);
    }
    expect(await awardedRecipient()).toEqual(pseudonym);
  });

  it('after a withdrawal of consent, grants awarded later show the organisation under a new pseudonym: whoever saw its name beside the old one cannot recognise them', async () => {
    const admin = await t.token({ role: 'admin' });
    const recipients = async () =>
      new Map((await readWholeFeed(partner, '&types=grant.awarded')).map((item) => [item.data.grantId as string, item.data.recipient as { id: string; name: string; withheld: boolean }]));
    const consentIs = (publicationConsent: string, version: number) =>
      eventually(async () => {
        const body = (await t.http.get(`/organisations/${lead}`).set(as(admin))).body;
        return body.publicationConsent === publicationConsent && body.version >= version ? true : undefined;
      });
    const before = (await recipients()).get(grantId);
    // Seen by name while public (a partner stores the name beside the grant, and so beside its pseudonym), then withdrawn.
    t.clock.set('2027-06-10T09:00:00Z');
    const shown = await t.http.patch(`/organisations/${lead}`).set(as(admin)).send({ publicationConsent: 'public' }).expect(200);
    await consentIs('public', shown.body.version);
    expect((await recipients()).get(grantId)).toEqual({ id: lead, name: PRIVATE.leadName, withheld: false });
    t.clock.set('2027-06-20T09:00:00Z');
    const hidden = await t.http.patch(`/organisations/${lead}`).set(as(admin)).send({ publicationConsent: 'withheld' }).expect(200);
    await consentIs('withheld', hidden.body.version);

    // A grant awarded after the withdrawal (the award workflow records it at the programme's clock):
    // the same organisation, another pseudonym; the earlier grant keeps its own.
    t.clock.set(NOW);
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partnerOrg], requestedMinor: 5_000_000 });
    t.clock.set('2027-07-01T09:00:00Z');
    let shownNow: Map<string, { id: string; name: string; withheld: boolean }>;
    let laterGrant: string;
    try {
      laterGrant = await scenario.award(proposalId, 5_000_000, randomUUID(), '2027-07-01T09:00:00.000Z');
      shownNow = await eventually(async () => {
        const all = await recipients();
        return all.has(laterGrant) ? all : undefined;
      });
    } finally {
      t.clock.set(NOW);
    }
    expect(shownNow.get(grantId)).toEqual(before);
    expect(shownNow.get(laterGrant)).toEqual({ id: expect.stringMatching(/^withheld-[0-9a-f]{32}$/), name: 'Withheld recipient', withheld: true });
    expect(shownNow.get(laterGrant)!.id).not.toBe(before!.id);
    // Its partner never withdrew anything: one pseudonym for both grants.
    const partners = new Map((await readWholeFeed(partner, '&types=grant.awarded')).map((item) => [item.data.grantId as string, item.data.partners]));
    expect(partners.get(laterGrant)).toEqual(partners.get(grantId));
  });

  it('never loses or repeats an event while pages are read during concurrent appends', async () => {
    const start = (await readWholeFeed()).at(-1)!.cursor;
    const writers = Promise.all(Array.from({ length: 12 }, () => scenario.publishedCall()));
    // Events committed behind a still-open transaction are held back by the store, never skipped:
    // keep following `next` until all twelve have come through.
    const seen: FeedItem[] = [];
    let after = start;
    const deadline = Date.now() + 10_000;
    while (seen.length < 12 && Date.now() < deadline) {
      const res = await t.http.get(`/feed?limit=2&after=${encodeURIComponent(after)}`).set(as(partner)).expect(200);
      seen.push(...res.body.items);
      after = res.body.next;
    }
    await writers;
    seen.push(...(await followFeed(after, 2)).items);
    const expected = await eventually(async () => {
      const { items } = await followFeed(start, 500);
      return items.length >= 12 ? items : undefined;
    });
    expect(expected).toHaveLength(12);
    expect(seen).toEqual(expected);
    expect(new Set(seen.map((e) => e.id)).size).toBe(12);
  });

  it('streams server-sent events and resumes across a reconnect with Last-Event-ID, with no gap and no duplicate', async () => {
    const before = await readWholeFeed();
    const first = openStream(port, partner);
    await first.opened;
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream/);
    const caughtUp = (await first.waitFor(before.length)).slice(0, before.length);
    expect(caughtUp.map((m) => m.data)).toEqual(before);
    expect(caughtUp.every((m) => m.id === m.data.cursor && m.event === m.data.type)).toBe(true);

    // Live: a new event arrives on the open stream.
    await scenario.publishedCall();
    const live = await first.waitFor(before.length + 1);
    expect(live.at(-1)!.event).toBe('call.published');
    await eventually(async () => (first.comments.includes('heartbeat') ? true : undefined));

    // The client drops; events keep coming while it is away.
    const lastSeen = live.at(-1)!.id;
    first.close();
    await Promise.all([scenario.publishedCall(), scenario.publishedCall()]);
    await t.http.post(`/grants/${grantId}/suspension`).set(as(manager)).send({ reason: PRIVATE.suspensionReason }).expect(200);

    const second = openStream(port, partner, { lastEventId: lastSeen });
    await second.opened;
    const resumed = await second.waitFor(3);
    const everything = await eventually(async () => {
      const all = await readWholeFeed();
      return all.length - all.findIndex((e) => e.cursor === lastSeen) - 1 >= 3 ? all : undefined;
    });
    const afterLastSeen = everything.slice(everything.findIndex((e) => e.cursor === lastSeen) + 1);
    expect(afterLastSeen).toHaveLength(3);
    expect(resumed.map((m) => m.data)).toEqual(afterLastSeen);
    expect([...live, ...resumed].map((m) => m.data)).toEqual(everything.slice(0, live.length + resumed.length));
    second.close();
  });

  it('closes its log subscription when the client disconnects', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const subscribe = store.subscribe.bind(store);
    const closed: EventSubscription[] = [];
    const spy = jest.spyOn(store, 'subscribe').mockImplementation((options) => {
      const subscription = subscribe(options);
      const close = subscription.close.bind(subscription);
      subscription.close = async () => {
        closed.push(subscription);
        await close();
      };
      return subscription;
    });
    try {
      const stream = openStream(port, partner);
      await stream.opened;
      await stream.waitFor(1);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(closed).toHaveLength(0);
      stream.close();
      await eventually(async () => (closed.length > 0 ? true : undefined));
    } finally {
      spy.mockRestore();
    }
  });

  it('streams only the requested types, resuming from ?after=', async () => {
    const all = await readWholeFeed();
    const awardedIndex = all.findIndex((e) => e.type === 'grant.awarded');
    const stream = openStream(port, partner, { query: `types=grant.suspended,grant.reinstated&after=${encodeURIComponent(all[awardedIndex].cursor)}` });
    await stream.opened;
    const expected = all.slice(awardedIndex + 1).filter((e) => e.type === 'grant.suspended' || e.type === 'grant.reinstated');
    const received = await stream.waitFor(expected.length);
    expect(received.map((m) => m.data)).toEqual(expected);
    stream.close();
  });
});
