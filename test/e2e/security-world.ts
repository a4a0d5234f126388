/**
 * Shared by the security suite (role × endpoint matrix, fuzz): the README's role table encoded once,
 * the operations of the OpenAPI document, and a world built over HTTP in which every operation has a
 * real target in a state where it can succeed (a draft call to publish, a submitted proposal to
 * screen, a scheduled tranche to pay…), so that a refusal means the caller was refused, not the state.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WEBHOOK_CONFIG } from '@app/application/webhooks/webhook-config';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { TEST_WEBHOOK_CONFIG } from '../support/webhooks-app';

// ---------------------------------------------------------------------------------------------
// Callers and the README's role table

/**
 * Every role, plus callers that hold a role but not the object: an applicant of another
 * organisation, a reviewer not assigned to the proposal, a partner that does not own the webhook
 * subscription; and no token at all.
 */
export const CALLERS = [
  'admin',
  'grant-manager',
  'reviewer',
  'reviewer-unassigned',
  'applicant',
  'applicant-other',
  'auditor',
  'partner',
  'partner-other',
  'anonymous',
] as const;
export type Caller = (typeof CALLERS)[number];

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /calls/{id}/publish */
  path: string;
  /** "POST /calls/{id}/publish" */
  key: string;
  pathParams: string[];
  queryParams: { name: string; schema: Schema }[];
  bodySchema?: Schema;
  /** text/event-stream: probed for its status only. */
  streams: boolean;
}

export type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  example?: unknown;
  format?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
};

type Role = 'admin' | 'grant-manager' | 'reviewer' | 'applicant' | 'auditor' | 'partner';
const PROGRAMME: Role[] = ['admin', 'grant-manager'];

/**
 * Who may call what, from the README ("Roles" and the sections on partners, webhooks, the feed and
 * the export). Reads by auditors are added below (auditors "read everything, write nothing").
 * - admin, grant-manager: "run the programme: calls, organisations, screening, reviewer assignment,
 *   consensus, decisions, grants" (and the audit routes);
 * - applicant: "act for its own organisation: draft, revise, submit and withdraw proposals it leads,
 *   answer clarifications, submit its grants' reports; read what concerns it" (its organisation, its
 *   proposals and grants, and the calls it applies to); it sets its organisation's publication
 *   consent "with POST /organisations or PATCH /organisations/:id";
 * - reviewer: "see only the proposals assigned to it, declare conflicts, submit its review" (and the
 *   calls, whose criteria it scores against);
 * - partner: "the catalogue, the feed, the 360Giving export and its own webhook subscriptions only";
 * - the feed: "Admins and auditors can read the feed too"; the export: "partner, admin,
 *   grant-manager or auditor"; webhooks: "With a partner token (admins may also subscribe)",
 *   "admins and auditors: everyone's".
 * An operation not listed here is the programme team's (admin, grant-manager; auditors read).
 */
const README_ROLES: Record<string, Role[]> = {
  'POST /calls': PROGRAMME,
  'GET /calls': [...PROGRAMME, 'reviewer', 'applicant'],
  'GET /calls/{id}': [...PROGRAMME, 'reviewer', 'applicant'],
  'POST /organisations': [...PROGRAMME, 'applicant'],
  'PATCH /organisations/{id}': [...PROGRAMME, 'applicant'],
  'GET /organisations/{id}': [...PROGRAMME, 'applicant'],
  'POST /proposals': ['applicant'],
  'PATCH /proposals/{id}': ['applicant'],
  'POST /proposals/{id}/partners': ['applicant'],
  'DELETE /proposals/{id}/partners/{orgId}': ['applicant'],
  'POST /proposals/{id}/submit': ['applicant'],
  // Partner invitations: answered by an applicant of the invited organisation, for it.
  'GET /partner-invitations': ['applicant'],
  'POST /proposals/{id}/partners/{orgId}/acceptance': ['applicant'],
  'POST /proposals/{id}/partners/{orgId}/refusal': ['applicant'],
  'POST /proposals/{id}/partners/{orgId}/departure': ['applicant'],
  // The evaluation summary: the lead, accepted partners and the programme (auditors read); redress asked by the network, decided by the programme.
  'GET /proposals/{id}/evaluation-summary': [...PROGRAMME, 'applicant'],
  'POST /proposals/{id}/redress-requests': ['applicant'],
  'POST /proposals/{id}/redress-requests/{requestId}/outcome': PROGRAMME,
  'POST /proposals/{id}/withdraw': ['applicant'],
  'POST /proposals/{id}/clarifications': ['applicant'],
  'POST /proposals/{id}/conflicts': ['reviewer'],
  'POST /proposals/{id}/reviews': ['reviewer'],
  'GET /proposals': [...PROGRAMME, 'reviewer', 'applicant'],
  'GET /proposals/{id}': [...PROGRAMME, 'reviewer', 'applicant'],
  'GET /reviews/assigned': ['reviewer'],
  'GET /grants': [...PROGRAMME, 'applicant'],
  'GET /grants/{id}': [...PROGRAMME, 'applicant'],
  'POST /grants/{id}/reports/{reportId}/submission': [...PROGRAMME, 'applicant'],
  // Documents: under the grant's own access rule (the grantee's applicants and the programme; auditors read).
  'POST /grants/{id}/documents': [...PROGRAMME, 'applicant'],
  'GET /grants/{id}/documents': [...PROGRAMME, 'applicant'],
  'GET /grants/{id}/documents/{documentId}': [...PROGRAMME, 'applicant'],
  // A draft proposal's documents: uploaded by its lead's applicants, read by whoever sees the proposal.
  'POST /proposals/{id}/documents': ['applicant'],
  'GET /proposals/{id}/documents': [...PROGRAMME, 'reviewer', 'applicant'],
  'GET /proposals/{id}/documents/{documentId}': [...PROGRAMME, 'reviewer', 'applicant'],
  // Financial reports are submitted like reports: by the grantee's applicants, or the programme for them.
  'POST /grants/{id}/reports/{reportId}/financial-submission': [...PROGRAMME, 'applicant'],
  'GET /events/catalogue': ['partner', ...PROGRAMME],
  'GET /feed': ['partner', 'admin'],
  'GET /feed/stream': ['partner', 'admin'],
  'GET /exports/360giving': ['partner', ...PROGRAMME],
  'POST /webhooks/subscriptions': ['partner', 'admin'],
  'GET /webhooks/subscriptions': ['partner', 'admin'],
  'GET /webhooks/subscriptions/{id}': ['partner', 'admin'],
  'DELETE /webhooks/subscriptions/{id}': ['partner', 'admin'],
  'GET /webhooks/subscriptions/{id}/deliveries': ['partner', 'admin'],
  'GET /webhooks/deliveries/{id}': ['partner', 'admin'],
  'POST /webhooks/deliveries/{id}/redeliver': ['partner', 'admin'],
  // The evidence bundles: auditors only (none listed; auditors' reads are added in readmeAllows).
  'GET /audit/streams/{streamId}/bundle': [],
  'GET /audit/calls/{callId}/bundle': [],
  // Notifications: the delivery log for admins (auditors read it too); the reviewer-contact registry, admins only.
  'GET /admin/notifications': ['admin'],
  'PUT /admin/reviewer-contacts/{reviewerId}': ['admin'],
  'DELETE /admin/reviewer-contacts/{reviewerId}': ['admin'],
  'POST /admin/notifications/{id}/resend': ['admin'],
};

/** Routes every caller may use without a token. */
const PUBLIC_PATHS = /^\/(health|docs)(\/|$)/;

const ROLE_OF: Record<Exclude<Caller, 'anonymous'>, Role> = {
  admin: 'admin',
  'grant-manager': 'grant-manager',
  reviewer: 'reviewer',
  'reviewer-unassigned': 'reviewer',
  applicant: 'applicant',
  'applicant-other': 'applicant',
  auditor: 'auditor',
  partner: 'partner',
  'partner-other': 'partner',
};

/** Does the path point at an object of the world's applicant, reviewer or partner? */
function targetsOwnedObject(caller: Caller, operation: Operation): boolean {
  if (operation.pathParams.length === 0) return false;
  if (caller === 'applicant-other') return !/^\/calls\/\{id\}$/.test(operation.path); // a call is not an applicant's object
  if (caller === 'reviewer-unassigned') return operation.path.startsWith('/proposals/');
  if (caller === 'partner-other') return operation.path.startsWith('/webhooks/');
  return false;
}

/** May this caller get a 2xx from this operation, by the README? */
export function readmeAllows(caller: Caller, operation: Operation): boolean {
  if (PUBLIC_PATHS.test(operation.path)) return true;
  if (caller === 'anonymous') return false;
  const role = ROLE_OF[caller];
  const listed = README_ROLES[operation.key] ?? PROGRAMME;
  const allowed = listed.includes(role) || (role === 'auditor' && operation.method === 'GET');
  return allowed && !targetsOwnedObject(caller, operation);
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; responses?: Record<string, { content?: Record<string, unknown> }> }>>;
  components?: { schemas?: Record<string, Schema> };
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const streams = Object.values(operation.responses ?? {}).some((response) => Object.keys(response.content ?? {}).includes('text/event-stream'));
      operations.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        bodySchema: operation.requestBody?.content?.['application/json']?.schema,
        streams,
      });
    }
  }
  return operations;
}

/** Resolves `$ref` and a single-element `allOf` against the document's components. */
export function resolveSchema(document: OpenApiDocument, schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let hops = 0; current && hops < 10; hops += 1) {
    if (current.$ref) current = document.components?.schemas?.[current.$ref.split('/').pop() ?? ''];
    else if (current.allOf?.length === 1) current = { ...current.allOf[0], ...current, allOf: undefined };
    else return current;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// The world

export interface BaseRequest {
  path: string;
  body?: Record<string, unknown>;
  /** A multipart/form-data upload instead of a JSON body. */
  upload?: { field: string; bytes: Buffer; filename: string };
}

/** A small PDF, as the document routes accept. */
export const WORLD_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

export interface SecurityWorld {
  t: TestApp;
  document: OpenApiDocument;
  operations: Operation[];
  tokens: Record<Exclude<Caller, 'anonymous'>, string>;
  /** A request that the operation's allowed callers can expect to succeed (state and body valid). */
  requestFor(operation: Operation): BaseRequest;
  close(): Promise<void>;
}

const ACTORS = {
  admin: { id: 'sec-admin', role: 'admin' },
  'grant-manager': { id: 'sec-manager', role: 'grant-manager' },
  reviewer: { id: 'sec-reviewer', role: 'reviewer' },
  'reviewer-unassigned': { id: 'sec-reviewer-unassigned', role: 'reviewer' },
  applicant: { id: 'sec-applicant', role: 'applicant' },
  'applicant-other': { id: 'sec-applicant-other', role: 'applicant' },
  auditor: { id: 'sec-auditor', role: 'auditor' },
  partner: { id: 'sec-partner', role: 'partner' },
  'partner-other': { id: 'sec-partner-other', role: 'partner' },
} as const;

const DAY = 86_400_000;
const AWARD_MINOR = 2_000_000;

export async function buildWorld(): Promise<SecurityWorld> {
  const receiver: Server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const now = Date.now();
  const t = await createTestApp({ now: new Date(now).toISOString(), overrides: [{ provide: WEBHOOK_CONFIG, useValue: TEST_WEBHOOK_CONFIG }] });
  const date = (offsetDays: number) => new Date(now + offsetDays * DAY).toISOString().slice(0, 10);
  const instant = (offsetMs: number) => new Date(now + offsetMs).toISOString();

  const orgIds: Record<string, string> = {};
  const tokens = {} as SecurityWorld['tokens'];
  for (const [caller, actor] of Object.entries(ACTORS)) {
    // Applicants' organisations are registered first; their tokens are signed once the ids exist.
    if (actor.role !== 'applicant') tokens[caller as keyof typeof ACTORS] = await t.token({ id: actor.id, role: actor.role });
  }

  const send = async (caller: keyof typeof ACTORS, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const req = t.http[method.toLowerCase() as 'post'](path).set('Authorization', `Bearer ${tokens[caller]}`);
    const res = body === undefined ? await req : await req.send(body as object);
    if (res.status >= 300) throw new Error(`world: ${method} ${path} as ${caller} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  };
  const manager = 'grant-manager' as const;

  // Partners' webhook subscriptions first, so that the events below are delivered to them.
  const subscription = (await send('partner', 'POST', '/webhooks/subscriptions', { url: hook, eventTypes: ['call.published', 'grant.awarded'] })).id as string;
  const subscriptionToDelete = (await send('partner', 'POST', '/webhooks/subscriptions', { url: hook, eventTypes: ['grant.closed'] })).id as string;

  const organisation = async (key: string, country: string, members: string[] = []) => {
    orgIds[key] = (
      await send(manager, 'POST', '/organisations', {
        name: `Security suite organisation ${key}`,
        country,
        legalStatus: 'registered-association',
        focusGroups: ['stateless-people'],
        contactPerson: { name: `Contact ${key}`, email: `contact-${key}@example.org` },
        memberUserIds: members,
      })
    ).id as string;
    await send(manager, 'POST', `/organisations/${orgIds[key]}/due-diligence`, { outcome: 'passed', notes: 'Registration checked' });
  };
  await organisation('lead', 'LB', [ACTORS.applicant.id]);
  // Partners answer their invitations through applicants of their own (world setup only, not matrix callers).
  await organisation('partnerB', 'PS', ['sec-applicant-partnerB']);
  await organisation('partnerC', 'MA', ['sec-applicant-partnerC']);
  await organisation('partnerD', 'TN', ['sec-applicant-partnerD']);
  // Leads networks that invite the world's applicant's organisation (not a matrix caller either).
  await organisation('inviter', 'PS', ['sec-applicant-inviter']);
  await organisation('erasable', 'LB');
  await organisation('other', 'TN', [ACTORS['applicant-other'].id]);
  tokens.applicant = await t.token({ id: ACTORS.applicant.id, role: 'applicant', organisationId: orgIds.lead });
  tokens['applicant-other'] = await t.token({ id: ACTORS['applicant-other'].id, role: 'applicant', organisationId: orgIds.other });
  const setupTokens: Record<string, string> = {};
  for (const key of ['partnerB', 'partnerC', 'partnerD', 'inviter']) {
    setupTokens[key] = await t.token({ id: `sec-applicant-${key}`, role: 'applicant', organisationId: orgIds[key] });
  }
  const sendAs = async (key: string, path: string, body?: object) => {
    const res = await t.http.post(path).set('Authorization', `Bearer ${setupTokens[key]}`).send(body);
    if (res.status >= 300) throw new Error(`world: POST ${path} as ${key} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  };

  const callBody = () => ({
    programme: 'Security suite programme',
    title: 'Small grants for issue-based networks',
    description: 'Networks of grassroots organisations.',
    currency: 'EUR',
    budgetMinor: 500_000_000,
    minAwardMinor: 1_000_000,
    maxAwardMinor: 8_000_000,
    eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
    minPartners: 2,
    criteria: [
      { id: 'relevance', name: 'Relevance', weight: 60, maxScore: 10 },
      { id: 'network', name: 'Network', weight: 40, maxScore: 10 },
    ],
    reviewsRequired: 1,
    opensAt: instant(-60_000),
    closesAt: instant(45 * DAY),
  });
  const draftCall = async () => (await send(manager, 'POST', '/calls', callBody())).id as string;
  const publishedCall = async () => {
    const id = await draftCall();
    await send(manager, 'POST', `/calls/${id}/publish`);
    return id;
  };
  const calls = { main: await publishedCall(), toPublish: await draftCall(), toClose: await publishedCall(), toCancel: await draftCall() };

  const scores = [
    { criterionId: 'relevance', score: 8, comment: 'Clear policy target' },
    { criterionId: 'network', score: 7, comment: 'Diverse network' },
  ];
  const proposalBody = (partners = [orgIds.partnerB, orgIds.partnerC]) => ({
    callId: calls.main,
    partners: partners.map((organisationId) => ({ organisationId, role: 'community outreach' })),
    title: 'Nationality rights for stateless children',
    summary: 'Legal aid and advocacy on birth registration.',
    policyIssue: 'nationality rights',
    requestedMinor: AWARD_MINOR,
    currency: 'EUR',
    budgetLines: [{ label: 'Legal aid', amountMinor: AWARD_MINOR }],
    durationMonths: 12,
  });
  type Stage = 'draft' | 'accepted' | 'submitted' | 'screened' | 'assigned' | 'reviewed' | 'consensus';
  const STAGES: Stage[] = ['draft', 'accepted', 'submitted', 'screened', 'assigned', 'reviewed', 'consensus'];
  const mandate = { mandateStatement: 'Board resolution to join the network', termsVersion: 1 };
  const proposal = async (stage: Stage, partners?: string[]) => {
    const body = proposalBody(partners);
    const id = (await send('applicant', 'POST', '/proposals', body)).id as string;
    const reached = (s: Stage) => STAGES.indexOf(stage) >= STAGES.indexOf(s);
    if (reached('accepted')) {
      for (const { organisationId } of body.partners) {
        const key = Object.keys(orgIds).find((k) => orgIds[k] === organisationId) as string;
        await sendAs(key, `/proposals/${id}/partners/${organisationId}/acceptance`, mandate);
      }
    }
    if (reached('submitted')) await send('applicant', 'POST', `/proposals/${id}/submit`);
    if (reached('screened')) await send(manager, 'POST', `/proposals/${id}/eligibility`, { results: [{ rule: 'lead-country', passed: true, note: 'LB' }] });
    if (reached('assigned')) await send(manager, 'POST', `/proposals/${id}/reviewers`, { reviewerId: ACTORS.reviewer.id });
    if (reached('reviewed')) await send('reviewer', 'POST', `/proposals/${id}/reviews`, { scores, recommendation: 'fund', comment: 'Fund it' });
    if (reached('consensus')) await send(manager, 'POST', `/proposals/${id}/consensus`, { score: 76, summary: 'Panel agrees' });
    return id;
  };
  const proposals = {
    toRevise: await proposal('draft'),
    toUnpartner: await proposal('draft', [orgIds.partnerB, orgIds.partnerC, orgIds.partnerD]),
    toSubmit: await proposal('accepted'),
    toWithdraw: await proposal('submitted'),
    toScreen: await proposal('submitted'),
    toAssign: await proposal('screened'),
    toDeclareConflict: await proposal('assigned'),
    toRecuse: await proposal('assigned'),
    toReview: await proposal('assigned'),
    toAgree: await proposal('reviewed'),
    toDecide: await proposal('consensus'),
    toQuestion: await proposal('submitted'),
    toAnswer: await proposal('submitted'),
  };
  const clarificationRequest = (
    await send(manager, 'POST', `/proposals/${proposals.toAnswer}/clarification-requests`, { questions: ['How are records kept safe?'] })
  ).requestId as string;

  // Networks led by another organisation that invite the world's applicant's: to accept, decline, or leave once accepted.
  const invitation = async () =>
    (await sendAs('inviter', '/proposals', { ...proposalBody([orgIds.lead, orgIds.partnerB]), title: 'Inviting the security suite lead' })).id as string;
  const invitations = { toAccept: await invitation(), toDecline: await invitation(), toLeave: await invitation() };
  await send('applicant', 'POST', `/proposals/${invitations.toLeave}/partners/${orgIds.lead}/acceptance`, mandate);
  // Rejected proposals: one to ask redress of, one whose redress request awaits its outcome.
  const rejected = async () => {
    const id = await proposal('consensus');
    await send(manager, 'POST', `/proposals/${id}/decision`, { decision: 'reject', reasons: 'Below the funding line', committee: 'Grants committee' });
    return id;
  };
  const redress = { toRequest: await rejected(), toDecide: await rejected() };
  const redressRequest = (await send('applicant', 'POST', `/proposals/${redress.toDecide}/redress-requests`, { grounds: 'The annex was not considered' })).requestId as string;

  const decidedProposals: string[] = [];
  const awarded = async () => {
    const id = await proposal('consensus');
    decidedProposals.push(id);
    const { award } = await send(manager, 'POST', `/proposals/${id}/decision`, { decision: 'award', amountMinor: AWARD_MINOR, reasons: 'Ranked first', committee: 'Grants committee' });
    return (award as { grantId: string }).grantId;
  };
  const grants = { toSign: await awarded(), active: await awarded(), toSuspend: await awarded(), suspended: await awarded(), toTerminate: await awarded(), toClose: await awarded() };
  // The award process manager creates each grant from its decision (in the worker).
  for (const grantId of Object.values(grants)) {
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', `Bearer ${tokens[manager]}`)).status === 200 ? true : undefined), 15_000);
  }
  const signatories = { signatories: [{ name: 'Rania Haddad', role: 'Director' }] };
  for (const grantId of [grants.active, grants.toSuspend, grants.suspended, grants.toTerminate, grants.toClose]) await send(manager, 'POST', `/grants/${grantId}/agreement`, signatories);
  const tranche = async () => (await send(manager, 'POST', `/grants/${grants.active}/disbursements`, { amountMinor: 100_000, dueDate: date(30) })).trancheId as string;
  const report = async (grantId: string, kind: string, submitted: boolean) => {
    const reportId = (await send(manager, 'POST', `/grants/${grantId}/reports`, { kind, dueDate: date(90) })).reportId as string;
    if (submitted) await send('applicant', 'POST', `/grants/${grantId}/reports/${reportId}/submission`, { summary: 'Interim narrative report' });
    return reportId;
  };
  const tranches = { toPay: await tranche(), toCancel: await tranche() };
  const reports = {
    toSubmit: await report(grants.active, 'interim', false),
    toAccept: await report(grants.active, 'interim', true),
    toRevise: await report(grants.active, 'interim', true),
    toWaive: await report(grants.active, 'interim', false),
  };
  await send(manager, 'POST', `/grants/${grants.suspended}/suspension`, { reason: 'Threat assessment pending' });
  const documentedProposal = await proposal('draft');
  const proposalDocument = (
    await t.http.post(`/proposals/${documentedProposal}/documents`).set('Authorization', `Bearer ${tokens.applicant}`).attach('file', WORLD_PDF, { filename: 'statutes.pdf' }).expect(201)
  ).body.documentId as string;
  const grantDocument = (
    await t.http.post(`/grants/${grants.active}/documents`).set('Authorization', `Bearer ${tokens.applicant}`).attach('file', WORLD_PDF, { filename: 'world.pdf' }).expect(201)
  ).body.documentId as string;
  // Finances: a budget on the active grant and a financial report to submit on it; a grant whose final
  // financial report showed an unspent advance, to record its recovery.
  const budget = (amountMinor = AWARD_MINOR) => ({ lines: [{ budgetLine: 'Activities', amountMinor }] });
  await send(manager, 'POST', `/grants/${grants.active}/budget`, budget());
  const financialReport = (await send(manager, 'POST', `/grants/${grants.active}/reports`, { kind: 'financial', dueDate: date(90) })).reportId as string;
  const toRecover = await awarded();
  await eventually(async () => ((await t.http.get(`/grants/${toRecover}`).set('Authorization', `Bearer ${tokens[manager]}`)).status === 200 ? true : undefined), 15_000);
  await send(manager, 'POST', `/grants/${toRecover}/agreement`, signatories);
  await send(manager, 'POST', `/grants/${toRecover}/budget`, budget());
  const advance = (await send(manager, 'POST', `/grants/${toRecover}/disbursements`, { amountMinor: 100_000, dueDate: date(30) })).trancheId as string;
  await send(manager, 'POST', `/grants/${toRecover}/disbursements/${advance}/payment`, { paymentReference: 'SEPA-ADVANCE' });
  const settledReport = (await send(manager, 'POST', `/grants/${toRecover}/reports`, { kind: 'financial', dueDate: date(90) })).reportId as string;
  await send('applicant', 'POST', `/grants/${toRecover}/reports/${settledReport}/financial-submission`, { final: true, expenditure: [{ budgetLine: 'Activities', spentMinor: 40_000 }] });
  await send(manager, 'POST', `/grants/${toRecover}/reports/${settledReport}/acceptance`);
  const finalReport = await report(grants.toClose, 'final', true);
  await send(manager, 'POST', `/grants/${grants.toClose}/reports/${finalReport}/acceptance`);

  // Read models and deliveries follow the log: wait until the last of them shows.
  const delivery = await eventually(async () => {
    const res = await t.http.get(`/webhooks/subscriptions/${subscription}/deliveries`).set('Authorization', `Bearer ${tokens.partner}`);
    return (res.body.items as { id: string }[] | undefined)?.[0]?.id;
  }, 15_000);
  for (const path of [`/proposals/${proposals.toAnswer}`, `/grants/${grants.toClose}`, `/organisations/${orgIds.other}`]) {
    await eventually(async () => ((await t.http.get(path).set('Authorization', `Bearer ${tokens[manager]}`)).status === 200 ? true : undefined), 15_000);
  }
  // A notification the decisions queued (skipped here: the world sends no mail) for the resend route.
  const notification = await eventually(async () => {
    const res = await t.http.get('/admin/notifications?limit=1').set('Authorization', `Bearer ${tokens.admin}`);
    return (res.body.items as { id: string }[] | undefined)?.[0]?.id;
  }, 15_000);

  const document = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
  const operations = operationsOf(document);

  /** Path parameters and a valid body for each operation; unknown operations get fresh ids and no body. */
  const targets: Record<string, { params?: Record<string, string>; body?: Record<string, unknown>; upload?: BaseRequest['upload'] }> = {
    'POST /calls': { body: callBody() },
    'POST /calls/{id}/publish': { params: { id: calls.toPublish } },
    'POST /calls/{id}/deadline-extensions': { params: { id: calls.main }, body: { newClosesAt: instant(60 * DAY), reason: 'Connectivity outage' } },
    'POST /calls/{id}/close': { params: { id: calls.toClose }, body: { reason: 'Budget fully allocated' } },
    'POST /calls/{id}/cancel': { params: { id: calls.toCancel }, body: { reason: 'Funding withdrawn' } },
    'GET /calls/{id}': { params: { id: calls.main } },
    'GET /calls/{id}/ranking': { params: { id: calls.main } },
    'POST /organisations': {
      body: { name: 'Registered by its applicant', country: 'LB', legalStatus: 'unregistered-group', focusGroups: ['refugees'], contactPerson: { name: 'Nour E.', email: 'nour@example.org' } },
    },
    'PATCH /organisations/{id}': { params: { id: orgIds.lead }, body: { publicationConsent: 'public' } },
    'GET /organisations/{id}': { params: { id: orgIds.lead } },
    'POST /organisations/{id}/due-diligence': { params: { id: orgIds.lead }, body: { outcome: 'passed', notes: 'Accounts checked again' } },
    'POST /organisations/{id}/erasure': { params: { id: orgIds.erasable }, body: { reason: 'Data subject request' } },
    'POST /proposals': { body: proposalBody() },
    'PATCH /proposals/{id}': { params: { id: proposals.toRevise }, body: { title: 'Nationality rights for stateless children and youth' } },
    'GET /proposals/{id}': { params: { id: proposals.toReview } },
    'POST /proposals/{id}/partners': { params: { id: proposals.toRevise }, body: { organisationId: orgIds.partnerD, role: 'documentation' } },
    'DELETE /proposals/{id}/partners/{orgId}': { params: { id: proposals.toUnpartner, orgId: orgIds.partnerD } },
    'POST /proposals/{id}/submit': { params: { id: proposals.toSubmit } },
    'POST /proposals/{id}/partners/{orgId}/acceptance': { params: { id: invitations.toAccept, orgId: orgIds.lead }, body: mandate },
    'POST /proposals/{id}/partners/{orgId}/refusal': { params: { id: invitations.toDecline, orgId: orgIds.lead } },
    'POST /proposals/{id}/partners/{orgId}/departure': { params: { id: invitations.toLeave, orgId: orgIds.lead } },
    'GET /proposals/{id}/evaluation-summary': { params: { id: redress.toDecide } },
    'POST /proposals/{id}/redress-requests': { params: { id: redress.toRequest }, body: { grounds: 'The relevance score ignored the annex' } },
    'POST /proposals/{id}/redress-requests/{requestId}/outcome': { params: { id: redress.toDecide, requestId: redressRequest }, body: { outcome: 'rejected', reasons: 'The annex was read and scored' } },
    'POST /proposals/{id}/withdraw': { params: { id: proposals.toWithdraw }, body: { reason: 'Partner lost its premises' } },
    'POST /proposals/{id}/eligibility': { params: { id: proposals.toScreen }, body: { results: [{ rule: 'lead-country', passed: true, note: 'LB' }] } },
    'POST /proposals/{id}/reviewers': { params: { id: proposals.toAssign }, body: { reviewerId: ACTORS.reviewer.id } },
    'POST /proposals/{id}/conflicts': { params: { id: proposals.toDeclareConflict }, body: { description: 'Advised the lead organisation in 2025' } },
    'POST /proposals/{id}/recusals': { params: { id: proposals.toRecuse }, body: { reviewerId: ACTORS.reviewer.id, reason: 'Complaint: the reviewer advised the lead in 2025' } },
    'POST /proposals/{id}/reviews': { params: { id: proposals.toReview }, body: { scores, recommendation: 'fund', comment: 'Fund it' } },
    'POST /proposals/{id}/consensus': { params: { id: proposals.toAgree }, body: { score: 71.5, summary: 'Panel agrees' } },
    'POST /proposals/{id}/decision': { params: { id: proposals.toDecide }, body: { decision: 'reject', reasons: 'Weak feasibility', committee: 'Grants committee' } },
    'POST /proposals/{id}/clarification-requests': { params: { id: proposals.toQuestion }, body: { questions: ['Who keeps the records?'] } },
    'POST /proposals/{id}/clarifications': { params: { id: proposals.toAnswer }, body: { requestId: clarificationRequest, answer: 'Two trained staff, offline' } },
    'GET /grants/{id}': { params: { id: grants.active } },
    'POST /grants/{id}/documents': { params: { id: grants.active }, upload: { field: 'file', bytes: WORLD_PDF, filename: 'evidence.pdf' } },
    'GET /grants/{id}/documents': { params: { id: grants.active } },
    'POST /proposals/{id}/documents': { params: { id: proposals.toRevise }, upload: { field: 'file', bytes: WORLD_PDF, filename: 'annex.pdf' } },
    'GET /proposals/{id}/documents': { params: { id: documentedProposal } },
    'GET /proposals/{id}/documents/{documentId}': { params: { id: documentedProposal, documentId: proposalDocument } },
    'POST /grants/{id}/budget': { params: { id: grants.toSign }, body: budget() },
    'POST /grants/{id}/reports/{reportId}/financial-submission': {
      params: { id: grants.active, reportId: financialReport },
      body: { final: false, expenditure: [{ budgetLine: 'Activities', spentMinor: 50_000 }] },
    },
    'POST /grants/{id}/recovery': { params: { id: toRecover }, body: { reference: 'SEPA-RETURN-1' } },
    'GET /grants/{id}/documents/{documentId}': { params: { id: grants.active, documentId: grantDocument } },
    'POST /grants/{id}/agreement': { params: { id: grants.toSign }, body: signatories },
    'POST /grants/{id}/disbursements': { params: { id: grants.active }, body: { amountMinor: 100_000, dueDate: date(60) } },
    'POST /grants/{id}/disbursements/{trancheId}/payment': { params: { id: grants.active, trancheId: tranches.toPay }, body: { paymentReference: 'SEPA-2027-000123' } },
    'POST /grants/{id}/disbursements/{trancheId}/cancellation': { params: { id: grants.active, trancheId: tranches.toCancel }, body: { reason: 'Activity dropped' } },
    'POST /grants/{id}/reports': { params: { id: grants.active }, body: { kind: 'interim', dueDate: date(120) } },
    'POST /grants/{id}/reports/{reportId}/submission': { params: { id: grants.active, reportId: reports.toSubmit }, body: { summary: 'Six hearings held' } },
    'POST /grants/{id}/reports/{reportId}/acceptance': { params: { id: grants.active, reportId: reports.toAccept } },
    'POST /grants/{id}/reports/{reportId}/revision-request': { params: { id: grants.active, reportId: reports.toRevise }, body: { reason: 'Figures missing' } },
    'POST /grants/{id}/reports/{reportId}/waiver': { params: { id: grants.active, reportId: reports.toWaive }, body: { reason: 'The office was closed down; the report cannot be written' } },
    'POST /grants/{id}/amendments': { params: { id: grants.active }, body: { kind: 'no-cost-extension', reason: 'Crossings closed', newPeriodEnd: date(800) } },
    'POST /grants/{id}/suspension': { params: { id: grants.toSuspend }, body: { reason: 'Threat reported' } },
    'POST /grants/{id}/reinstatement': { params: { id: grants.suspended }, body: { reason: 'Threat assessed' } },
    'POST /grants/{id}/termination': { params: { id: grants.toTerminate }, body: { reason: 'Network dissolved' } },
    'POST /grants/{id}/closure': { params: { id: grants.toClose } },
    'PUT /admin/reviewer-contacts/{reviewerId}': { params: { reviewerId: ACTORS.reviewer.id }, body: { email: 'reviewer@example.org' } },
    'DELETE /admin/reviewer-contacts/{reviewerId}': { params: { reviewerId: ACTORS.reviewer.id } },
    'POST /admin/notifications/{id}/resend': { params: { id: notification } },
    'POST /webhooks/subscriptions': { body: { url: hook, eventTypes: ['grant.closed'] } },
    'GET /webhooks/subscriptions/{id}': { params: { id: subscription } },
    'DELETE /webhooks/subscriptions/{id}': { params: { id: subscriptionToDelete } },
    'GET /webhooks/subscriptions/{id}/deliveries': { params: { id: subscription } },
    'GET /webhooks/deliveries/{id}': { params: { id: delivery } },
    'POST /webhooks/deliveries/{id}/redeliver': { params: { id: delivery } },
    'GET /audit/streams/{streamId}': { params: { streamId: `call-${calls.main}` } },
    'GET /audit/decisions/{proposalId}': { params: { proposalId: decidedProposals[0] } },
    'GET /audit/streams/{streamId}/bundle': { params: { streamId: `call-${calls.main}` } },
    'GET /audit/calls/{callId}/bundle': { params: { callId: calls.main } },
  };

  return {
    t,
    document,
    operations,
    tokens,
    requestFor(operation) {
      const target = targets[operation.key] ?? {};
      const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(target.params?.[name] ?? randomUUID()));
      return { path, ...(target.body ? { body: structuredClone(target.body) } : {}), ...(target.upload ? { upload: target.upload } : {}) };
    },
    async close() {
      await t.close();
      await new Promise((resolve) => receiver.close(resolve));
    },
  };
}
