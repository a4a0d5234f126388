import type { RecordedEvent } from '@app/event-store';
import { PROPOSAL_STREAM_PREFIX, type ProposalContentChanges, type ProposalDrafted, type ProposalEvent } from '@app/domain/proposal';
import { assertNever } from '@app/domain/shared/decider';
import { storedPersonalTextOf } from '@app/personal-data/sealed-personal-field';
import { type EntityManager, type EntityMetadata, In } from 'typeorm';
import type { Projection } from '../projection/projection';
import { ProposalView, ReviewerAssignmentView } from './proposal-view.entity';

/** The row a ProposalDrafted creates. */
export function draftedProposalView(event: ProposalDrafted, recordedAt: Date, version: number): ProposalView {
  const d = event.data;
  return Object.assign(new ProposalView(), {
    id: d.proposalId,
    callId: d.callId,
    leadOrganisationId: d.leadOrganisationId,
    // Listed partners are invited: none is a member of the network before it accepts.
    partners: d.partners.map(({ organisationId, role }) => ({ organisationId, role, status: 'invited' as const, acceptedTermsVersion: null })),
    partnerOrganisationIds: [],
    title: d.title,
    summary: d.summary,
    policyIssue: d.policyIssue,
    requestedMinor: d.requestedMinor,
    currency: d.currency,
    budgetLines: d.budgetLines.map(({ label, amountMinor }) => ({ label, amountMinor })),
    durationMonths: d.durationMonths,
    status: 'draft',
    contentVersion: 1,
    termsVersion: 1,
    submittedVersion: null,
    submittedTermsVersion: null,
    contentHash: null,
    submittedAt: null,
    eligibility: null,
    assignedReviewerIds: [],
    recusedReviewerIds: [],
    conflicts: [],
    reviews: {},
    reviewCount: 0,
    consensusScore: null,
    consensus: null,
    decision: null,
    award: null,
    unfundedAwards: [],
    clarifications: [],
    redressRequests: [],
    withdrawal: null,
    draftedAt: new Date(d.draftedAt),
    updatedAt: recordedAt,
    version,
  });
}

function withContentChanges(view: ProposalView, changes: ProposalContentChanges): ProposalView {
  return {
    ...view,
    ...(changes.title !== undefined ? { title: changes.title } : {}),
    ...(changes.summary !== undefined ? { summary: changes.summary } : {}),
    ...(changes.policyIssue !== undefined ? { policyIssue: changes.policyIssue } : {}),
    ...(changes.requestedMinor !== undefined ? { requestedMinor: changes.requestedMinor } : {}),
    ...(changes.budgetLines !== undefined ? { budgetLines: changes.budgetLines.map(({ label, amountMinor }) => ({ label, amountMinor })) } : {}),
    ...(changes.durationMonths !== undefined ? { durationMonths: changes.durationMonths } : {}),
    contentVersion: view.contentVersion + 1,
  };
}

function countedReviews(reviews: ProposalView['reviews'], recused: readonly string[]): number {
  return Object.keys(reviews).filter((reviewerId) => !recused.includes(reviewerId)).length;
}

/**
 * The row after one later event of its stream (everything but ProposalDrafted). Pure: the same
 * row and event give the same result; `version` and `updatedAt` are set by the caller. `recorded`
 * is the event as the projection reads it (sealed): personal fields the row keeps are taken from it
 * as stored, bound to their event.
 */
export function evolveProposalView(view: ProposalView, event: Exclude<ProposalEvent, ProposalDrafted>, recorded: RecordedEvent): ProposalView {
  switch (event.type) {
    case 'ProposalRevised': {
      const { proposalId: _id, revisedAt: _at, ...changes } = event.data;
      const budgetChanged = changes.requestedMinor !== undefined || changes.budgetLines !== undefined;
      return { ...withContentChanges(view, changes), termsVersion: view.termsVersion + (budgetChanged ? 1 : 0) };
    }
    case 'PartnerJoined': {
      const { organisationId, role } = event.data;
      return {
        ...view,
        partners: [...view.partners, { organisationId, role, status: 'invited', acceptedTermsVersion: null }],
        contentVersion: view.contentVersion + 1,
        termsVersion: view.termsVersion + 1,
      };
    }
    case 'PartnerLeft':
    case 'PartnerInvitationDeclined': {
      const { organisationId } = event.data;
      return {
        ...view,
        partners: view.partners.filter((p) => p.organisationId !== organisationId),
        partnerOrganisationIds: view.partnerOrganisationIds.filter((id) => id !== organisationId),
        contentVersion: view.contentVersion + 1,
        termsVersion: view.termsVersion + 1,
      };
    }
    case 'PartnerInvitationAccepted': {
      const { organisationId, termsVersion } = event.data;
      return {
        ...view,
        partners: view.partners.map((p) => (p.organisationId === organisationId ? { ...p, status: 'accepted', acceptedTermsVersion: termsVersion } : p)),
        partnerOrganisationIds: view.partnerOrganisationIds.includes(organisationId) ? view.partnerOrganisationIds : [...view.partnerOrganisationIds, organisationId],
      };
    }
    case 'ProposalSubmitted': {
      const { version, contentHash, submittedAt } = event.data;
      // Every listed partner is a member once submitted (proposals submitted before partners were asked included).
      return {
        ...view,
        status: 'submitted',
        submittedVersion: version,
        submittedTermsVersion: view.termsVersion,
        contentHash,
        submittedAt: new Date(submittedAt),
        partners: view.partners.map((p) => ({ ...p, status: 'accepted' })),
        partnerOrganisationIds: view.partners.map((p) => p.organisationId),
      };
    }
    case 'ProposalWithdrawn':
      return { ...view, status: 'withdrawn', withdrawal: { reason: event.data.reason, withdrawnAt: event.data.withdrawnAt } };
    case 'EligibilityScreened': {
      const { eligible, results, screenedBy, screenedAt } = event.data;
      return { ...view, status: eligible ? 'under-review' : 'ineligible', eligibility: { eligible, results, screenedBy, screenedAt } };
    }
    case 'ReviewerAssigned':
      return { ...view, assignedReviewerIds: [...view.assignedReviewerIds, event.data.reviewerId] };
    case 'ConflictOfInterestDeclared': {
      const { reviewerId, declaredAt } = event.data;
      // Sealed under the reviewer's key, as the log holds it (in clear if declared before 2026-12-07).
      const description = storedPersonalTextOf(recorded, 'description') ?? null;
      return { ...view, conflicts: [...view.conflicts, { reviewerId, description, declaredAt }] };
    }
    case 'ReviewerRecused': {
      if (view.recusedReviewerIds.includes(event.data.reviewerId)) return view;
      const recused = [...view.recusedReviewerIds, event.data.reviewerId];
      return { ...view, recusedReviewerIds: recused, reviewCount: countedReviews(view.reviews, recused) };
    }
    case 'ReviewSubmitted': {
      const { proposalId: _id, ...review } = event.data;
      const reviews = { ...view.reviews, [review.reviewerId]: review };
      return { ...view, reviews, reviewCount: countedReviews(reviews, view.recusedReviewerIds) };
    }
    case 'ConsensusRecorded': {
      const { score, summary, criteria, recordedBy, recordedAt } = event.data;
      return { ...view, consensusScore: score, consensus: { score, summary, ...(criteria ? { criteria: criteria.map((c) => ({ ...c })) } : {}), recordedBy, recordedAt } };
    }
    case 'FundingDecisionRecorded': {
      const { proposalId: _id, ...decision } = event.data;
      const status = { award: 'awarded', reject: 'rejected', reserve: 'reserved' }[decision.decision];
      const award: ProposalView['award'] =
        decision.decision === 'award' && decision.grantId !== undefined && decision.amountMinor !== undefined
          ? { status: 'pending', grantId: decision.grantId, amountMinor: decision.amountMinor, previousStatus: view.status === 'reserved' ? 'reserved' : 'under-review' }
          : null;
      return { ...view, status, decision, award };
    }
    case 'AwardFundsUnavailable': {
      const { grantId, amountMinor, remainingMinor, reason, recordedAt } = event.data;
      // As in the decider: back to where the award came from (a reserve-list decision stands). The
      // award decision stays visible, with its outcome; every failed award stays on record.
      const previousStatus = view.award?.status === 'pending' && view.award.grantId === grantId ? view.award.previousStatus : 'under-review';
      return {
        ...view,
        status: previousStatus,
        award: { status: 'funds-unavailable', grantId, amountMinor, reason: reason ?? null, remainingMinor, recordedAt },
        unfundedAwards: [...view.unfundedAwards, { grantId, amountMinor, remainingMinor, ...(reason !== undefined ? { reason } : {}), recordedAt }],
      };
    }
    case 'AwardFunded':
      return view.award?.status === 'pending' && view.award.grantId === event.data.grantId ? { ...view, award: { ...view.award, status: 'awarded' } } : view;
    case 'ClarificationRequested': {
      const { requestId, questions, requestedBy, requestedAt } = event.data;
      return {
        ...view,
        clarifications: [...view.clarifications, { requestId, questions, requestedBy, requestedAt, answer: null, revisedFields: null, providedAt: null }],
      };
    }
    case 'ClarificationProvided': {
      const { requestId, answer, revisedFields, providedAt } = event.data;
      const clarifications = view.clarifications.map((c) =>
        c.requestId === requestId ? { ...c, answer, providedAt, revisedFields: revisedFields ? { ...revisedFields } : null } : c,
      );
      const answered = { ...view, clarifications };
      if (!revisedFields) return answered;
      // A budget revised in an answer is new terms for the partners to sign off again (the decider's rule).
      const budgetChanged = revisedFields.requestedMinor !== undefined || revisedFields.budgetLines !== undefined;
      return { ...withContentChanges(answered, revisedFields), termsVersion: view.termsVersion + (budgetChanged ? 1 : 0) };
    }
    case 'RedressRequested': {
      const { proposalId: _id, grounds: _sealed, ...request } = event.data;
      const grounds = storedPersonalTextOf(recorded, 'grounds') ?? null;
      return { ...view, redressRequests: [...view.redressRequests, { ...request, grounds, outcome: null, reasons: null, decidedBy: null, decidedAt: null }] };
    }
    case 'RedressOutcomeRecorded': {
      const { requestId, outcome, reasons, decidedBy, decidedAt } = event.data;
      const redressRequests = view.redressRequests.map((r) => (r.requestId === requestId ? { ...r, outcome, reasons, decidedBy, decidedAt } : r));
      if (outcome === 'rejected') return { ...view, redressRequests };
      // Upheld, as in the decider: the decision does not stand, back to evaluation (the log keeps it).
      return { ...view, redressRequests, status: 'under-review', consensusScore: null, consensus: null, decision: null, award: null };
    }
    case 'ProposalDocumentAttached':
      // Documents are read from the proposal's stream (GET /proposals/:id/documents), not from this row.
      return view;
    default:
      return assertNever(event);
  }
}

/**
 * The `proposals` table (lists, detail, ranking) and `proposal_reviewer_assignments` (reviewer
 * queues). Idempotent: the proposal row remembers the stream version it last applied, and an event
 * at or below it changes neither table. It reads events SEALED (upcast, personal fields still
 * encrypted): redress grounds and conflict declarations go into the row as the log holds them
 * (RedressView.grounds, ConflictView.description) and are only ever opened in memory by the read side; the other personal fields of the stream (a partner's
 * mandate, document names) are not kept.
 */
export class ProposalsProjection implements Projection {
  readonly name = 'proposals';
  readonly filter = { streamPrefixes: [PROPOSAL_STREAM_PREFIX] };
  readonly tables = ['proposals', 'proposal_reviewer_assignments'] as const;
  readonly input = 'sealed';

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as ProposalEvent;
    const version = recorded.streamVersion;
    if (event.type === 'ProposalDrafted') {
      await tx.createQueryBuilder().insert().into(ProposalView).values(draftedProposalView(event, recorded.recordedAt, version)).orIgnore().execute();
      return;
    }
    const proposals = tx.getRepository(ProposalView);
    const current = await proposals.findOneBy({ id: event.data.proposalId });
    if (!current || current.version >= version) return;
    const next = { ...evolveProposalView(current, event, recorded), version, updatedAt: recorded.recordedAt };
    const { id, ...changes } = next;
    await proposals.update({ id }, changes);
    await this.applyToAssignments(event, current.callId, tx);
  }

  /**
   * Rebuild path: the same fold as `apply` (draftedProposalView, evolveProposalView, the same
   * assignment changes), done in memory for the whole batch; each touched row is then written once.
   */
  async applyBatch(events: readonly RecordedEvent[], tx: EntityManager): Promise<void> {
    const proposalEvents = events.map((recorded) => ({ recorded, event: { type: recorded.type, data: recorded.data } as ProposalEvent }));
    if (proposalEvents.length === 0) return;
    const ids = [...new Set(proposalEvents.map(({ event }) => event.data.proposalId))];
    const rows = new Map((await tx.getRepository(ProposalView).findBy({ id: In(ids) })).map((row) => [row.id, row]));
    const assignmentKey = (proposalId: string, reviewerId: string) => `${proposalId}\u0000${reviewerId}`;
    const withAssignments = [...new Set(proposalEvents.filter(({ event }) => ASSIGNMENT_EVENTS.has(event.type)).map(({ event }) => event.data.proposalId))];
    const assignments = new Map(
      (withAssignments.length === 0 ? [] : await tx.getRepository(ReviewerAssignmentView).findBy({ proposalId: In(withAssignments) })).map((a) => [
        assignmentKey(a.proposalId, a.reviewerId),
        a,
      ]),
    );
    const touched = new Set<string>();
    const touchedAssignments = new Set<string>();
    for (const { recorded, event } of proposalEvents) {
      const version = recorded.streamVersion;
      if (event.type === 'ProposalDrafted') {
        if (rows.has(event.data.proposalId)) continue;
        rows.set(event.data.proposalId, draftedProposalView(event, recorded.recordedAt, version));
        touched.add(event.data.proposalId);
        continue;
      }
      const current = rows.get(event.data.proposalId);
      if (!current || current.version >= version) continue;
      // evolveProposalView answers a new row, or the row it was given (itself one of this batch's
      // own, read or made here): set in place, without a third copy of 35 columns per event.
      const next = evolveProposalView(current, event, recorded);
      next.version = version;
      next.updatedAt = recorded.recordedAt;
      rows.set(current.id, next);
      touched.add(current.id);
      switch (event.type) {
        case 'ReviewerAssigned': {
          const { proposalId, reviewerId, assignedAt } = event.data;
          const key = assignmentKey(proposalId, reviewerId);
          if (assignments.has(key)) break;
          assignments.set(key, Object.assign(new ReviewerAssignmentView(), { proposalId, reviewerId, callId: current.callId, assignedAt: new Date(assignedAt), recusedAt: null, reviewSubmittedAt: null }));
          touchedAssignments.add(key);
          break;
        }
        case 'ReviewerRecused':
        case 'ReviewSubmitted': {
          const key = assignmentKey(event.data.proposalId, event.data.reviewerId);
          const assignment = assignments.get(key);
          if (!assignment) break;
          if (event.type === 'ReviewerRecused') assignment.recusedAt = new Date(event.data.recusedAt);
          else assignment.reviewSubmittedAt = new Date(event.data.submittedAt);
          touchedAssignments.add(key);
          break;
        }
        default:
          break;
      }
    }
    await upsertAll(tx, ProposalView, [...touched].map((id) => rows.get(id) as ProposalView), ['id']);
    await upsertAll(tx, ReviewerAssignmentView, [...touchedAssignments].map((key) => assignments.get(key) as ReviewerAssignmentView), ['proposal_id', 'reviewer_id']);
  }

  private async applyToAssignments(event: Exclude<ProposalEvent, ProposalDrafted>, callId: string, tx: EntityManager): Promise<void> {
    const assignments = tx.getRepository(ReviewerAssignmentView);
    switch (event.type) {
      case 'ReviewerAssigned': {
        const { proposalId, reviewerId, assignedAt } = event.data;
        await tx.createQueryBuilder().insert().into(ReviewerAssignmentView).values({ proposalId, reviewerId, callId, assignedAt: new Date(assignedAt) }).orIgnore().execute();
        return;
      }
      case 'ReviewerRecused': {
        const { proposalId, reviewerId, recusedAt } = event.data;
        await assignments.update({ proposalId, reviewerId }, { recusedAt: new Date(recusedAt) });
        return;
      }
      case 'ReviewSubmitted': {
        const { proposalId, reviewerId, submittedAt } = event.data;
        await assignments.update({ proposalId, reviewerId }, { reviewSubmittedAt: new Date(submittedAt) });
        return;
      }
      default:
        return;
    }
  }
}

const ASSIGNMENT_EVENTS = new Set<string>(['ReviewerAssigned', 'ReviewerRecused', 'ReviewSubmitted']);
const rowWriters = new WeakMap<EntityMetadata, (row: object) => Record<string, unknown>>();

/**
 * A row as the JSON object of its column values as TypeORM writes them (getEntityValue(row, true)),
 * keys in column order. A plain column's value is the entity's property, so only columns with a
 * transformer (or embedded, or a relation's) go through getEntityValue: calling it for each of 35
 * columns of each row (with an array per entry for Object.fromEntries) was ~48 µs per proposals row
 * in a rebuild's profile. Made once per entity.
 */
function rowAsJson(metadata: EntityMetadata): (row: object) => Record<string, unknown> {
  let write = rowWriters.get(metadata);
  if (write) return write;
  const columns = metadata.columns.map((column) => ({
    column,
    name: column.databaseName,
    property: column.propertyName,
    plain: !column.transformer && !column.embeddedMetadata && !column.relationMetadata && !column.referencedColumn,
  }));
  write = (row) => {
    const json: Record<string, unknown> = {};
    for (const { column, name, property, plain } of columns) json[name] = plain ? (row as Record<string, unknown>)[property] : column.getEntityValue(row, true);
    return json;
  };
  rowWriters.set(metadata, write);
  return write;
}

/**
 * INSERT … ON CONFLICT DO UPDATE of whole rows, in one statement: each row goes as a JSON object of
 * its column values as TypeORM would write them (transformers applied), and jsonb_populate_recordset
 * converts them with the table's own column types. (TypeORM's multi-row insert builder spends more
 * time binding thousands of parameters than PostgreSQL spends on the rows.)
 */
async function upsertAll<T extends object>(tx: EntityManager, entity: new () => T, rows: T[], conflict: string[]): Promise<void> {
  if (rows.length === 0) return;
  const metadata = tx.connection.getMetadata(entity);
  const json = rows.map(rowAsJson(metadata));
  const updates = metadata.columns.filter((column) => !conflict.includes(column.databaseName)).map((column) => `"${column.databaseName}" = EXCLUDED."${column.databaseName}"`);
  await tx.query(
    `INSERT INTO "${metadata.tableName}" SELECT * FROM jsonb_populate_recordset(NULL::"${metadata.tableName}", $1::jsonb)
     ON CONFLICT (${conflict.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
    [JSON.stringify(json)],
  );
}
