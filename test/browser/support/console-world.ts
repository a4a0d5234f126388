/**
 * A real API (with its in-process worker) on a throwaway PostgreSQL database, listening on a free
 * port so a real browser can load /console from it, plus a programme seeded through the public
 * HTTP API only (the same routes a grant manager, applicant and reviewer would call).
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Actor } from '@app/platform';
import { createTestApp, type TestApp } from '../../support/app';

/** Inside the call's submission window: the API's clock (a test clock) stands here. */
export const CONSOLE_NOW = '2027-02-01T10:00:00.000Z';

export const CRITERIA = [
  { id: 'relevance', name: 'Relevance to the policy issue', weight: 60, maxScore: 10 },
  { id: 'network', name: 'Strength of the network', weight: 40, maxScore: 10 },
];

export const MANAGER: Actor = { id: 'gm-leila', role: 'grant-manager' };
export const REVIEWER: Actor = { id: 'reviewer-amal', role: 'reviewer' };
export const AUDITOR: Actor = { id: 'auditor-omar', role: 'auditor' };

export interface ConsoleWorld {
  t: TestApp;
  baseUrl: string;
  token(actor: Actor): Promise<string>;
  /** A command or read through the HTTP API; throws unless the status is one of `expected`. */
  call<T = Record<string, unknown>>(actor: Actor, method: string, path: string, body?: unknown, expected?: number[]): Promise<T>;
  /** Polls a read until `ready` (read models follow the log). */
  until<T>(actor: Actor, path: string, ready: (body: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  const repo = join(__dirname, '..', '..', '..');
  if (!existsSync(join(repo, 'dist', 'console', 'index.html'))) throw new Error('The console is not built: run `npm run build:console` (npm run test:browser does)');
  const t = await createTestApp({ now: CONSOLE_NOW });
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const token = (actor: Actor) => t.token(actor);
  const call: ConsoleWorld['call'] = async (actor, method, path, body, expected = [200, 201]) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await token(actor)}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as never;
  };
  const until: ConsoleWorld['until'] = async (actor, path, ready, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(`${baseUrl}${path}`, { headers: { Authorization: `Bearer ${await token(actor)}` } });
      if (response.status === 200) {
        const body = await response.json();
        if (ready(body)) return body;
      }
      if (Date.now() > deadline) throw new Error(`GET ${path} not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { t, baseUrl, token, call, until, close: () => t.close() };
}

export interface SeededCall {
  callId: string;
  /** Proposal ids by title key. */
  proposals: Record<string, string>;
}

export interface SeedOptions {
  /** The call's currency (EUR unless said); its amounts stay the same numbers of minor units. */
  currency?: string;
  callTitle?: string;
  /** A proposal's duration by title key (18 months unless said). */
  durationMonths?: Record<string, number>;
  /** Title keys whose lead attaches a small PDF, by this file name, while the proposal is a draft. */
  documents?: Record<string, string>;
}

/** A published call, three organisations, and one submitted proposal per title. */
export async function seedSubmittedProposals(world: ConsoleWorld, titles: Record<string, string>, options: SeedOptions = {}): Promise<SeededCall> {
  const currency = options.currency ?? 'EUR';
  const { id: callId } = await world.call<{ id: string }>(MANAGER, 'POST', '/calls', {
    programme: 'Civic Space and Minority Rights Programme 2027',
    title: options.callTitle ?? 'Small grants for issue-based networks',
    description: 'Networks of grassroots organisations in Lebanon, Palestine, Morocco and Tunisia.',
    currency,
    budgetMinor: 20_000_000,
    minAwardMinor: 500_000,
    maxAwardMinor: 8_000_000,
    // The configured ceiling per recipient is in EUR: a call in another currency states its own.
    ...(currency === 'EUR' ? {} : { recipientCeilingMinor: 1_000_000_000 }),
    eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
    minPartners: 2,
    criteria: CRITERIA,
    reviewsRequired: 1,
    opensAt: '2027-01-15T00:00:00Z',
    closesAt: '2027-03-31T23:59:59Z',
  });
  await world.call(MANAGER, 'POST', `/calls/${callId}/publish`);
  const organisations: string[] = [];
  for (const [name, country] of [['Awda Housing Justice', 'PS'], ['Dom Community Voices', 'LB'], ['Jasmine Minorities Observatory', 'TN']]) {
    const { id } = await world.call<{ id: string }>(MANAGER, 'POST', '/organisations', {
      name,
      country,
      legalStatus: 'registered-association',
      focusGroups: ['ethnic-minorities'],
      contactPerson: { name: 'Contact person', email: 'contact@example.org' },
      memberUserIds: [`applicant-${organisations.length}`],
    });
    organisations.push(id);
  }
  const applicant: Actor = { id: 'applicant-0', role: 'applicant', organisationId: organisations[0] };
  const proposals: Record<string, string> = {};
  for (const [key, title] of Object.entries(titles)) {
    const { id } = await world.call<{ id: string }>(applicant, 'POST', '/proposals', {
      callId,
      partners: [
        { organisationId: organisations[1], role: 'co-applicant' },
        { organisationId: organisations[2], role: 'partner' },
      ],
      title,
      summary: 'A network of grassroots organisations working on one policy issue.',
      policyIssue: 'housing rights for minorities',
      requestedMinor: 6_000_000,
      currency,
      budgetLines: [
        { label: 'Community organising and legal aid', amountMinor: 4_000_000 },
        { label: 'Advocacy and coordination', amountMinor: 2_000_000 },
      ],
      durationMonths: options.durationMonths?.[key] ?? 18,
    });
    const documentName = options.documents?.[key];
    if (documentName) {
      const form = new FormData();
      const bytes = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n% ${title}\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1');
      form.append('file', new Blob([bytes], { type: 'application/pdf' }), documentName);
      const response = await fetch(`${world.baseUrl}/proposals/${id}/documents`, { method: 'POST', headers: { Authorization: `Bearer ${await world.token(applicant)}` }, body: form });
      if (response.status !== 201) throw new Error(`attaching ${documentName}: ${response.status} ${await response.text()}`);
    }
    // Each invited partner accepts the terms before the lead can submit.
    for (const index of [1, 2]) {
      const partner: Actor = { id: `applicant-${index}`, role: 'applicant', organisationId: organisations[index] };
      await world.call(partner, 'POST', `/proposals/${id}/partners/${organisations[index]}/acceptance`, { mandateStatement: 'Mandated by its board', termsVersion: 1 });
    }
    await world.call(applicant, 'POST', `/proposals/${id}/submit`);
    proposals[key] = id;
  }
  for (const id of Object.values(proposals)) await world.until<{ status: string }>(MANAGER, `/proposals/${id}`, (p) => p.status === 'submitted');
  return { callId, proposals };
}

export const ELIGIBLE = {
  results: [
    { rule: 'lead-country-eligible', passed: true, note: 'Lead based in Palestine' },
    { rule: 'network-size', passed: true, note: 'Three organisations' },
  ],
};

export const REVIEW = {
  scores: [
    { criterionId: 'relevance', score: 8, comment: 'Directly addresses evictions' },
    { criterionId: 'network', score: 7, comment: 'Diverse network' },
  ],
  recommendation: 'fund',
  comment: 'Credible plan',
};

/** Screening, one reviewer assigned: the proposal waits for that reviewer. */
export async function screenAndAssign(world: ConsoleWorld, proposalId: string): Promise<void> {
  await world.call(MANAGER, 'POST', `/proposals/${proposalId}/eligibility`, ELIGIBLE);
  await world.call(MANAGER, 'POST', `/proposals/${proposalId}/reviewers`, { reviewerId: REVIEWER.id });
  await world.until<{ reviewersAssigned: number }>(MANAGER, `/proposals/${proposalId}`, (p) => p.reviewersAssigned === 1);
}

/** Screening, a review and the consensus: the proposal waits for the funding decision. */
export async function reviewAndAgree(world: ConsoleWorld, proposalId: string): Promise<void> {
  await screenAndAssign(world, proposalId);
  await world.call(REVIEWER, 'POST', `/proposals/${proposalId}/reviews`, REVIEW);
  await world.call(MANAGER, 'POST', `/proposals/${proposalId}/consensus`, { score: 76, summary: 'Panel agrees' });
  await world.until<{ consensusScore: number | null }>(MANAGER, `/proposals/${proposalId}`, (p) => p.consensusScore === 76);
}

/** The whole way to an award: screening, a review, consensus and the decision, then the grant. */
export async function decideAward(world: ConsoleWorld, proposalId: string): Promise<void> {
  await screenAndAssign(world, proposalId);
  await world.call(REVIEWER, 'POST', `/proposals/${proposalId}/reviews`, REVIEW);
  await world.call(MANAGER, 'POST', `/proposals/${proposalId}/consensus`, { score: 76, summary: 'Panel agrees' });
  await world.call(MANAGER, 'POST', `/proposals/${proposalId}/decision`, { decision: 'award', amountMinor: 6_000_000, reasons: 'Strong network, clear targets', committee: 'Grants committee, session 1' });
  await world.until<{ status: string; award?: { status: string } }>(MANAGER, `/proposals/${proposalId}`, (p) => p.status === 'awarded' && p.award?.status === 'awarded');
}
