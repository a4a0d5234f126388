/**
 * A realistic programme played through the public HTTP API only: a EUR call for issue-based networks
 * in Lebanon, Palestine, Morocco and Tunisia, organisations (fictional) working on statelessness,
 * the Dom community, Amazigh rights, LGBTQI+ rights and religious minorities, proposals, screening,
 * blind reviews with one conflict declared, consensus, decisions, awards, agreements, a paid tranche
 * and an accepted interim report, the decision notices the notifier queued, then the lists read by
 * name, searched, filtered and exported as CSV. Used by `npm run demo`
 * and by the lifecycle e2e test.
 */
import type { Actor } from '@app/platform/auth/roles';

export interface DemoOptions {
  baseUrl: string;
  token(actor: Actor): Promise<string>;
  log(line: string): void;
  /** Close the grant at the end (the e2e test walks to closure; the demo leaves grants open to explore). */
  closeFirstGrant?: boolean;
}

export interface DemoResult {
  callId: string;
  organisations: Record<string, string>;
  proposals: Record<string, string>;
  grants: Record<string, string>;
}

const DAY = 86_400_000;
const isoDate = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: DemoOptions['token'],
  ) {}

  async call<T = Record<string, unknown>>(actor: Actor, method: string, path: string, body?: unknown, expected = [200, 201]): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await this.tokens(actor)}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : {};
    if (!expected.includes(response.status)) {
      throw new Error(`${method} ${path} answered ${response.status}: ${parsed.detail ?? text}`);
    }
    return parsed as T;
  }

  /** A multipart/form-data upload of one file, as a browser form sends it. */
  async upload<T = Record<string, unknown>>(actor: Actor, path: string, bytes: Buffer, fileName: string): Promise<T> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
    const response = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${await this.tokens(actor)}` }, body: form });
    const parsed = (await response.json()) as T & { detail?: string };
    if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${parsed.detail ?? ''}`);
    return parsed;
  }

  /** A GET answered in another media type than JSON (e.g. `text/csv`): its Content-Type and text. */
  async text(actor: Actor, path: string, accept: string): Promise<{ contentType: string; body: string }> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { Authorization: `Bearer ${await this.tokens(actor)}`, Accept: accept } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} (${accept}) answered ${response.status}: ${body}`);
    return { contentType: response.headers.get('content-type') ?? '', body };
  }

  /** Read models are eventually consistent: wait until the answer satisfies `ready`. */
  async until<T>(actor: Actor, path: string, ready: (body: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(`${this.baseUrl}${path}`, { headers: { Authorization: `Bearer ${await this.tokens(actor)}` } });
      if (response.status === 200) {
        const body = (await response.json()) as T;
        if (ready(body)) return body;
      }
      if (Date.now() > deadline) throw new Error(`GET ${path} not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const manager: Actor = { id: 'demo-grant-manager-leila', role: 'grant-manager' };
const auditor: Actor = { id: 'demo-auditor-samir', role: 'auditor' };
const reviewers: Actor[] = [
  { id: 'demo-reviewer-amal', role: 'reviewer' },
  { id: 'demo-reviewer-youssef', role: 'reviewer' },
  { id: 'demo-reviewer-sana', role: 'reviewer' },
];

const ORGANISATIONS = [
  { key: 'bidoun', name: 'Bidoun Rights Collective', country: 'LB', legalStatus: 'unregistered-group', focusGroups: ['stateless-people'], contact: ['Rima H.', 'rima@bidoun.example.org'] },
  { key: 'dom', name: 'Dom Community Voices', country: 'LB', legalStatus: 'registered-association', focusGroups: ['dom-community'], contact: ['Khaled D.', 'khaled@domvoices.example.org'] },
  { key: 'tamazgha', name: 'Tamazgha Cultural Rights Forum', country: 'MA', legalStatus: 'registered-association', focusGroups: ['amazigh', 'ethnic-minorities'], contact: ['Itto A.', 'itto@tamazgha.example.org'] },
  { key: 'mawjoudin', name: 'Alwan Equality Network', country: 'TN', legalStatus: 'registered-ngo', focusGroups: ['lgbtqi'], contact: ['Sami B.', 'sami@alwan.example.org'] },
  { key: 'shams', name: 'Shams Sexual Rights Initiative', country: 'MA', legalStatus: 'unregistered-group', focusGroups: ['lgbtqi'], contact: ['Nour E.', 'nour@shams.example.org'] },
  { key: 'sabeel', name: 'Sabeel Coalition for Religious Freedom', country: 'PS', legalStatus: 'registered-ngo', focusGroups: ['religious-minorities'], contact: ['Maryam K.', 'maryam@sabeel.example.org'] },
  { key: 'awda', name: 'Awda Housing Justice', country: 'PS', legalStatus: 'registered-association', focusGroups: ['refugees', 'housing-rights'], contact: ['Omar S.', 'omar@awda.example.org'] },
  { key: 'jasmine', name: 'Jasmine Minorities Observatory', country: 'TN', legalStatus: 'registered-ngo', focusGroups: ['religious-minorities', 'ethnic-minorities'], contact: ['Hela M.', 'hela@jasmine.example.org'] },
] as const;

/** Organisations that chose to be named to partner systems, and so in other networks' lists; the others are withheld (the default). */
const PUBLIC_ORGANISATIONS: ReadonlySet<string> = new Set(['awda']);

const PROPOSALS = [
  {
    key: 'housing', lead: 'awda', partners: ['dom', 'jasmine'], title: 'Housing rights for minorities in informal settlements',
    policyIssue: 'housing rights for minorities', requestedMinor: 6_000_000, scores: [[9, 8, 8], [8, 9, 7]], decision: 'award',
  },
  {
    key: 'nationality', lead: 'bidoun', partners: ['awda', 'sabeel'], title: 'Nationality rights for stateless people',
    policyIssue: 'nationality rights for stateless people', requestedMinor: 7_500_000, scores: [[9, 9, 8], [9, 8, 9]], decision: 'award',
  },
  {
    key: 'decriminalisation', lead: 'mawjoudin', partners: ['shams', 'tamazgha'], title: 'Decriminalising homosexuality: strategic litigation and advocacy',
    policyIssue: 'decriminalisation of homosexuality', requestedMinor: 5_000_000, scores: [[8, 7, 7], [7, 8, 8]], decision: 'reserve',
  },
  {
    key: 'representation', lead: 'sabeel', partners: ['jasmine', 'dom'], title: 'Representation of religious minorities in local councils',
    policyIssue: 'representation of religious minorities', requestedMinor: 4_000_000, scores: [[5, 6, 4], [6, 5, 5]], decision: 'reject',
  },
] as const;

const CRITERIA = [
  { id: 'relevance', name: 'Relevance to the policy issue', weight: 40, maxScore: 10 },
  { id: 'network', name: 'Strength and diversity of the network', weight: 30, maxScore: 10 },
  { id: 'feasibility', name: 'Feasibility and budget', weight: 30, maxScore: 10 },
];

export async function playProgramme(options: DemoOptions): Promise<DemoResult> {
  const api = new ApiClient(options.baseUrl, options.token);
  const say = options.log;

  say('1. A call for proposals');
  const now = Date.now();
  const { id: callId } = await api.call<{ id: string }>(manager, 'POST', '/calls', {
    programme: 'Civic Space and Minority Rights Programme',
    title: 'Small grants for issue-based networks in Lebanon, Palestine, Morocco and Tunisia',
    description: 'Networks of at least three grassroots organisations working together on one policy issue affecting stateless people, refugees, LGBTQI+ people, religious or ethnic minorities.',
    currency: 'EUR',
    budgetMinor: 15_000_000,
    minAwardMinor: 2_000_000,
    maxAwardMinor: 8_000_000,
    // Above the programme's EUR 60,000: this call's networks share members, and each organisation
    // of a network counts the whole grant towards its ceiling (no partner shares are stated).
    recipientCeilingMinor: 15_000_000,
    eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
    minPartners: 3,
    criteria: CRITERIA,
    reviewsRequired: 2,
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 45 * DAY).toISOString(),
  });
  await api.call(manager, 'POST', `/calls/${callId}/publish`);
  say(`   call ${callId}: EUR 150,000.00, awards 20,000–80,000, networks of 3+, published`);

  say('2. Organisations register (contact persons are encrypted in the log)');
  const organisations: Record<string, string> = {};
  for (const org of ORGANISATIONS) {
    const { id } = await api.call<{ id: string }>(manager, 'POST', '/organisations', {
      name: org.name,
      country: org.country,
      legalStatus: org.legalStatus,
      focusGroups: [...org.focusGroups],
      contactPerson: { name: org.contact[0], email: org.contact[1] },
      memberUserIds: [`demo-applicant-${org.key}`],
      publicationConsent: PUBLIC_ORGANISATIONS.has(org.key) ? 'public' : 'withheld',
    });
    organisations[org.key] = id;
    await api.call(manager, 'POST', `/organisations/${id}/due-diligence`, {
      outcome: org.legalStatus === 'unregistered-group' ? 'conditional' : 'passed',
      notes: org.legalStatus === 'unregistered-group' ? 'Unregistered: funds through a fiscal sponsor' : 'Registration and accounts checked',
    });
    say(`   ${org.name} (${org.country}, ${org.legalStatus})`);
  }
  const applicantOf = (key: string): Actor => ({ id: `demo-applicant-${key}`, role: 'applicant', organisationId: organisations[key] });

  say('3. Networks draft proposals; invited partners accept with their mandate (one declines); the leads submit');
  const proposals: Record<string, string> = {};
  for (const p of PROPOSALS) {
    const applicant = applicantOf(p.lead);
    // The religious-minorities network also invites the Amazigh forum, which declines.
    const declining = p.key === 'representation' ? ['tamazgha'] : [];
    const { id } = await api.call<{ id: string }>(applicant, 'POST', '/proposals', {
      callId,
      partners: [...p.partners, ...declining].map((key, index) => ({ organisationId: organisations[key], role: index === 0 ? 'co-applicant' : 'partner' })),
      title: p.title,
      summary: `A network led by ${ORGANISATIONS.find((o) => o.key === p.lead)?.name} working on ${p.policyIssue}.`,
      policyIssue: p.policyIssue,
      requestedMinor: p.requestedMinor,
      currency: 'EUR',
      budgetLines: [
        { label: 'Community organising and legal aid', amountMinor: p.requestedMinor * 0.6 },
        { label: 'Advocacy and publications', amountMinor: p.requestedMinor * 0.3 },
        { label: 'Network coordination', amountMinor: p.requestedMinor * 0.1 },
      ],
      durationMonths: 18,
    });
    proposals[p.key] = id;
    for (const key of declining) {
      await api.call(applicantOf(key), 'POST', `/proposals/${id}/partners/${organisations[key]}/refusal`);
      say(`   ${ORGANISATIONS.find((o) => o.key === key)?.name} declined the invitation to "${p.title}"`);
    }
    // Each partner reads the terms it is asked to accept (budget, its role) and accepts them with its mandate.
    for (const key of p.partners) {
      const partner = applicantOf(key);
      const invitation = await api.until<{ items: { proposalId: string; termsVersion: number; version: number }[] }>(partner, '/partner-invitations', (body) =>
        body.items.some((i) => i.proposalId === id && i.version >= declining.length),
      );
      const { termsVersion } = invitation.items.find((i) => i.proposalId === id) as { termsVersion: number };
      await api.call(partner, 'POST', `/proposals/${id}/partners/${organisations[key]}/acceptance`, {
        mandateStatement: 'Mandated by a resolution of its board to join the network and carry out its role',
        termsVersion,
      });
    }
    await api.call(applicant, 'POST', `/proposals/${id}/submit`);
    say(`   "${p.title}" submitted (${(p.requestedMinor / 100).toLocaleString('en')} EUR)`);
  }

  say('4. Screening, reviewer assignment, one conflict of interest, blind reviews, consensus');
  for (const p of PROPOSALS) {
    const id = proposals[p.key];
    await api.call(manager, 'POST', `/proposals/${id}/eligibility`, {
      results: [
        { rule: 'lead-country-eligible', passed: true, note: 'Lead based in an eligible country' },
        { rule: 'network-size', passed: true, note: `${p.partners.length + 1} organisations` },
        { rule: 'budget-consistent', passed: true, note: 'Budget lines sum to the request' },
      ],
    });
    const assigned = p.key === 'nationality' ? reviewers : reviewers.slice(0, 2);
    for (const reviewer of assigned) await api.call(manager, 'POST', `/proposals/${id}/reviewers`, { reviewerId: reviewer.id });
    let reviewing = assigned;
    if (p.key === 'nationality') {
      // Amal once volunteered with the lead organisation: she declares it and is recused.
      await api.call(reviewers[0], 'POST', `/proposals/${id}/conflicts`, { description: 'Volunteered with the lead organisation in 2024' });
      reviewing = reviewers.slice(1);
      say('   a reviewer declared a conflict on the nationality-rights proposal and was recused');
    }
    const weighted: number[] = [];
    for (const [index, reviewer] of reviewing.entries()) {
      const scores = p.scores[index];
      await api.call(reviewer, 'POST', `/proposals/${id}/reviews`, {
        scores: CRITERIA.map((criterion, c) => ({ criterionId: criterion.id, score: scores[c], comment: `Scored against "${criterion.name}"` })),
        recommendation: p.decision === 'reject' ? 'do-not-fund' : p.decision === 'reserve' ? 'reserve' : 'fund',
        comment: 'Review submitted without seeing the other reviews',
      });
      weighted.push(CRITERIA.reduce((sum, criterion, c) => sum + (scores[c] / criterion.maxScore) * criterion.weight, 0));
    }
    const consensus = Math.round((weighted.reduce((a, b) => a + b, 0) / weighted.length) * 100) / 100;
    // The panel agrees a score and a comment per criterion: what the network reads after the decision.
    const criteria = CRITERIA.map((criterion, c) => ({
      criterionId: criterion.id,
      score: Math.round(p.scores.reduce((sum, scores) => sum + scores[c], 0) / p.scores.length),
      comment: `Panel view on "${criterion.name}"`,
    }));
    await api.call(manager, 'POST', `/proposals/${id}/consensus`, { score: consensus, summary: 'Panel consensus after discussion', criteria });
    say(`   "${p.title}": consensus ${consensus}`);
  }

  say('5. Committee decisions; awards commit funds on the call and create grants');
  const grants: Record<string, string> = {};
  for (const p of PROPOSALS) {
    const body =
      p.decision === 'award'
        ? { decision: 'award', amountMinor: p.requestedMinor, reasons: 'Strong network, clear advocacy targets', committee: 'Grants committee, session 1' }
        : { decision: p.decision, reasons: p.decision === 'reject' ? 'Weak feasibility; encouraged to reapply' : 'Placed on the reserve list pending funds', committee: 'Grants committee, session 1' };
    // An award answers with the grant it will create, pending until the funds are committed.
    const result = await api.call<{ award?: { status: 'pending'; grantId: string } }>(manager, 'POST', `/proposals/${proposals[p.key]}/decision`, body);
    if (result.award) grants[p.key] = result.award.grantId;
    say(`   ${p.decision.toUpperCase()}: "${p.title}"`);
  }
  // The rejected network reads its evaluation summary and asks for redress; the grant manager rejects it, with reasons.
  const rejected = PROPOSALS.find((p) => p.decision === 'reject');
  if (rejected) {
    const id = proposals[rejected.key];
    const lead = applicantOf(rejected.lead);
    type Summary = { consensus: { criteria: { criterionId: string; score: number }[] } | null; redressWindow: { endsAt: string | null; open: boolean } };
    const summary = await api.until<Summary>(lead, `/proposals/${id}/evaluation-summary`, (body) => body.consensus !== null);
    say(`   "${rejected.title}": evaluation summary read by the lead (${summary.consensus?.criteria.map((c) => `${c.criterionId} ${c.score}`).join(', ')}); redress open until ${summary.redressWindow.endsAt}`);
    const { requestId } = await api.call<{ requestId: string }>(lead, 'POST', `/proposals/${id}/redress-requests`, {
      grounds: 'The feasibility score does not reflect the letters of support from three municipal councils',
    });
    await api.call(manager, 'POST', `/proposals/${id}/redress-requests/${requestId}/outcome`, {
      outcome: 'rejected',
      reasons: 'The letters were read and scored under feasibility; the evaluation procedure was followed',
    });
    say('   redress requested by the lead and rejected with reasons by the grant manager (in the decision dossier)');
  }
  for (const [key, grantId] of Object.entries(grants)) {
    await api.until(manager, `/grants/${grantId}`, () => true);
    say(`   grant ${grantId} created for "${PROPOSALS.find((p) => p.key === key)?.title}"`);
  }
  const call = await api.until<{ committedMinor: number; remainingMinor: number }>(manager, `/calls/${callId}`, (c) => c.committedMinor > 0);
  say(`   call budget: committed ${(call.committedMinor / 100).toLocaleString('en')} EUR, remaining ${(call.remainingMinor / 100).toLocaleString('en')} EUR`);

  say('6. Agreements, tranches tied to reports, an interim report accepted, tranches paid');
  const first = grants.housing;
  const firstAmount = PROPOSALS[0].requestedMinor;
  for (const grantId of Object.values(grants)) {
    await api.call(manager, 'POST', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Omar S.', role: 'Director' }, { name: 'Leila N.', role: 'Programme manager' }] });
  }
  const { reportId: interimId } = await api.call<{ reportId: string }>(manager, 'POST', `/grants/${first}/reports`, { kind: 'interim', dueDate: isoDate(180) });
  const { reportId: finalId } = await api.call<{ reportId: string }>(manager, 'POST', `/grants/${first}/reports`, { kind: 'final', dueDate: isoDate(560) });
  const { trancheId: t1 } = await api.call<{ trancheId: string }>(manager, 'POST', `/grants/${first}/disbursements`, { amountMinor: firstAmount * 0.5, dueDate: isoDate(7) });
  const { trancheId: t2 } = await api.call<{ trancheId: string }>(manager, 'POST', `/grants/${first}/disbursements`, { amountMinor: firstAmount * 0.4, dueDate: isoDate(190), conditionReportId: interimId });
  await api.call(manager, 'POST', `/grants/${first}/disbursements/${t1}/payment`, { paymentReference: 'DEMO-PAY-0001' });
  say('   first tranche (50%) paid on signature');
  const grantee = applicantOf('awda');
  // The evidence behind the interim report, uploaded by the grantee: encrypted with its organisation's key.
  const evidence = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Attendance of the municipal hearings\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
  const uploaded = await api.upload<{ documentId: string; sha256: string; contentType: string }>(grantee, `/grants/${first}/documents`, evidence, 'hearings-attendance.pdf');
  say(`   the grantee uploaded hearings-attendance.pdf (${uploaded.contentType}, SHA-256 ${uploaded.sha256.slice(0, 12)}…), encrypted with its organisation's key`);
  await api.call(grantee, 'POST', `/grants/${first}/reports/${interimId}/submission`, {
    summary: 'Interim narrative report: 120 families documented, 2 municipal hearings',
    documentIds: [uploaded.documentId],
  });
  await api.call(manager, 'POST', `/grants/${first}/reports/${interimId}/acceptance`);
  await api.call(manager, 'POST', `/grants/${first}/disbursements/${t2}/payment`, { paymentReference: 'DEMO-PAY-0002' });
  say('   interim report (naming the uploaded document) submitted by the grantee and accepted; second tranche (40%) paid');

  // The budget per line, then the final financial report: spending beyond a line is a transfer,
  // allowed up to 10 % of that line's budget without an amendment.
  await api.call(manager, 'POST', `/grants/${first}/budget`, {
    lines: [
      { budgetLine: 'Legal aid and casework', amountMinor: firstAmount * 0.6 },
      { budgetLine: 'Community hearings', amountMinor: firstAmount * 0.3 },
      { budgetLine: 'Coordination', amountMinor: firstAmount * 0.1 },
    ],
  });
  const { reportId: financialId } = await api.call<{ reportId: string }>(manager, 'POST', `/grants/${first}/reports`, { kind: 'financial', dueDate: isoDate(560) });
  const spent = (legal: number, hearings: number, coordination: number) => ({
    final: true,
    expenditure: [
      { budgetLine: 'Legal aid and casework', spentMinor: legal },
      { budgetLine: 'Community hearings', spentMinor: hearings },
      { budgetLine: 'Coordination', spentMinor: coordination },
    ],
  });
  const refused = await api.call<{ rule: string }>(grantee, 'POST', `/grants/${first}/reports/${financialId}/financial-submission`, spent(3_050_000, 1_650_000, 700_000), [422]);
  say(`   budget agreed in three lines; a financial report overspending Coordination by 100,000 (more than 10 % of its line) refused: ${refused.rule}`);
  await api.call(grantee, 'POST', `/grants/${first}/reports/${financialId}/financial-submission`, spent(3_150_000, 1_600_000, 650_000));
  await api.call(manager, 'POST', `/grants/${first}/reports/${financialId}/acceptance`);
  say('   final financial report with a 50,000 transfer to Coordination accepted: costs of 54,000 EUR equal what was paid, nothing more to pay or recover');

  if (options.closeFirstGrant) {
    await api.call(grantee, 'POST', `/grants/${first}/reports/${finalId}/submission`, { summary: 'Final report' });
    await api.call(manager, 'POST', `/grants/${first}/reports/${finalId}/acceptance`);
    await api.call(manager, 'POST', `/grants/${first}/closure`);
    say('   final report accepted; grant closed, unspent 10% released to the call');
  }

  say('7. People told: the e-mail notifications the decisions queued (GET /admin/notifications)');
  type NotificationLog = { items: { record: { id: string }; status: string; skippedReason: string | null }[] };
  const ours = (log: NotificationLog) => log.items.filter((item) => Object.values(proposals).includes(item.record.id));
  const log = await api.until<NotificationLog>(auditor, '/admin/notifications?kind=decision-recorded&limit=200', (body) => ours(body).length >= PROPOSALS.length);
  const outcomes = new Map<string, number>();
  for (const { status, skippedReason } of ours(log)) {
    const outcome = skippedReason ? `${status} (${skippedReason})` : status;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const mailOff = outcomes.has('skipped (mail-disabled)') ? ' — set SMTP_HOST to send them' : '';
  say(`   a decision notice to each lead organisation's contact: ${[...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ')}${mailOff}`);
  say('8. Lists people can read: names beside ids, search and filters, CSV');
  type ListedProposal = { id: string; title: string; leadOrganisationName: string | null; leadOrganisationCountry: string | null; callTitle: string | null; partners: { organisationName: string | null }[] };
  // "housing" is in one title and in a partner's name (Awda Housing Justice): the search finds both.
  const searched = await api.until<{ items: ListedProposal[]; total: number }>(manager, `/proposals?callId=${callId}&q=HOUSING`, (body) =>
    body.items.some((item) => item.id === proposals.housing),
  );
  const housing = searched.items.find((item) => item.id === proposals.housing) as ListedProposal;
  say(
    `   GET /proposals?q=HOUSING: ${searched.total} found (in a title or an organisation's name), among them "${housing.title}", ` +
      `led by ${housing.leadOrganisationName} (${housing.leadOrganisationCountry}) with ${housing.partners.map((p) => p.organisationName).join(' and ')}, under "${housing.callTitle}"`,
  );
  const palestinian = await api.call<{ total: number }>(manager, 'GET', `/proposals?callId=${callId}&country=PS`);
  const withJasmine = await api.call<{ items: { title: string; granteeOrganisationName: string }[] }>(manager, 'GET', `/grants?callId=${callId}&organisationId=${organisations.jasmine}`);
  say(`   GET /proposals?country=PS: ${palestinian.total} led from Palestine; GET /grants?organisationId=<Jasmine>: ${withJasmine.items.map((g) => `"${g.title}" (${g.granteeOrganisationName})`).join(', ')}`);
  // An applicant reads the names of public organisations and its own only: the others are withheld, as partner systems see them.
  const seenByDom = await api.call<{ items: ListedProposal[] }>(applicantOf('dom'), 'GET', `/proposals?callId=${callId}`);
  say(`   Dom Community Voices' applicant reads the leads of its ${seenByDom.items.length} networks as: ${seenByDom.items.map((p) => p.leadOrganisationName).join(', ')}`);
  const csv = await api.text(auditor, `/grants?callId=${callId}`, 'text/csv');
  const records = csv.body.trimEnd().split('\r\n');
  say(`   GET /grants with Accept: text/csv (${csv.contentType}): a header row and ${records.length - 1} grants, columns ${records[0].split(',').slice(0, 8).join(', ')}, …`);
  return { callId, organisations, proposals, grants };
}
