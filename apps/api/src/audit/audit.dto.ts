import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsInstant, IsPageLimit, IsPageOffset } from '../http/validation';

/** `<kind>-<uuid>`, as every stream of the ledger is named. */
export const STREAM_ID_PATTERN = /^[a-z][a-z0-9-]*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Store positions of both adapters: `<digits>-<digits>` (Postgres) or `<digits>/<digits>` (EventStoreDB). */
const POSITION_PATTERN = /^\d{1,20}[-/]\d{1,20}$/;

export class StreamHistoryQuery {
  @ApiPropertyOptional({ example: 0, description: 'First stream version to return (0 = the first event)' })
  @IsOptional() @IsPageOffset()
  fromVersion?: number;
  @ApiPropertyOptional({ example: 100, description: '1..500' })
  @IsOptional() @IsPageLimit(500)
  limit?: number;
}

export class AuditLogQuery {
  @ApiPropertyOptional({ description: 'Cursor: the `next` of the previous page (an opaque store position); omitted = from the start' })
  @IsOptional() @Matches(POSITION_PATTERN, { message: 'after must be a cursor returned as `next`' })
  after?: string;
  @ApiPropertyOptional({ example: 'alice', description: 'Only events recorded for this actor id' })
  @IsOptional() @IsString() @MaxLength(200)
  actor?: string;
  @ApiPropertyOptional({ example: 'FundingDecisionRecorded,GrantAwarded', description: 'Event types, comma-separated' })
  @IsOptional() @Matches(/^[A-Za-z][A-Za-z0-9]*(,[A-Za-z][A-Za-z0-9]*)*$/, { message: 'type must be event type names, comma-separated' })
  type?: string;
  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'Recorded at or after this instant' })
  @IsOptional() @IsInstant()
  from?: string;
  @ApiPropertyOptional({ example: '2027-12-31T23:59:59Z', description: 'Recorded at or before this instant' })
  @IsOptional() @IsInstant()
  to?: string;
  @ApiPropertyOptional({ example: 100, description: '1..500' })
  @IsOptional() @IsPageLimit(500)
  limit?: number;
}

export class AuditedEventDto {
  @ApiProperty({ description: 'Opaque global position in the log' }) position: string;
  @ApiProperty({ example: 'proposal-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c' }) streamId: string;
  @ApiProperty() streamVersion: number;
  @ApiProperty() eventId: string;
  @ApiProperty({ example: 'FundingDecisionRecorded' }) type: string;
  @ApiProperty() schemaVersion: number;
  @ApiProperty({ description: 'Server time the event was stored' }) recordedAt: string;
  @ApiProperty({ description: 'Who acted (a pseudonymous user id)' }) actorId: string;
  @ApiProperty({ example: 'grant-manager' }) actorRole: string;
  @ApiProperty() correlationId: string;
  @ApiProperty() causationId: string;
  @ApiPropertyOptional({ nullable: true, type: String }) idempotencyKey: string | null;
  @ApiProperty({ type: Object, description: 'The stored metadata, as is' }) metadata: Record<string, unknown>;
  @ApiProperty({
    type: Object,
    description: 'The event data; personal fields read `{ "personalData": "present" | "erased" | "unreadable" }`, never in clear',
  })
  data: unknown;
}

export class StreamHistoryDto {
  @ApiProperty() streamId: string;
  @ApiProperty({ type: [AuditedEventDto] }) items: AuditedEventDto[];
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'fromVersion of the next page; null at the end of the stream' })
  nextFromVersion: number | null;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditedEventDto] }) items: AuditedEventDto[];
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Pass as `after` to continue (a page may be short or empty when the scan budget ran out); null once the end of the log was reached',
  })
  next: string | null;
  @ApiProperty({ description: 'Events examined by this request (bounded, whatever the filters)' }) scanned: number;
}

export class EvidenceDto {
  @ApiProperty() eventId: string;
  @ApiProperty() streamId: string;
  @ApiProperty() streamVersion: number;
  @ApiProperty() position: string;
  @ApiProperty() recordedAt: string;
  @ApiProperty() actorId: string;
  @ApiProperty() actorRole: string;
}

export class DossierDecisionDto {
  @ApiProperty({ enum: ['award', 'reject', 'reserve'] }) decision: string;
  @ApiPropertyOptional() amountMinor?: number;
  @ApiProperty() reasons: string;
  @ApiProperty() decidedBy: string;
  @ApiProperty() committee: string;
  @ApiPropertyOptional() grantId?: string;
  @ApiProperty() decidedAt: string;
  @ApiProperty({ description: 'The authenticated actor, from the event metadata' }) recordedBy: { actorId: string; actorRole: string };
  @ApiProperty() recordedAt: string;
  @ApiProperty({ type: EvidenceDto }) evidence: EvidenceDto;
}

export class DossierBudgetPositionDto {
  @ApiProperty() callId: string;
  @ApiProperty() currency: string;
  @ApiProperty() budgetMinor: number;
  @ApiProperty({ description: 'Committed under the call when the decision was recorded' }) committedMinor: number;
  @ApiProperty() remainingMinor: number;
  @ApiProperty({ description: 'Version of the last call event folded' }) callVersion: number;
  @ApiProperty({ type: EvidenceDto }) evidence: EvidenceDto;
}

export class DecisionDossierDto {
  @ApiProperty() proposalId: string;
  @ApiProperty() callId: string;
  @ApiProperty() leadOrganisationId: string;
  @ApiProperty({ type: Object }) drafted: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Submitted version, content hash, the content it covers and the recomputed hash' })
  submission: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Eligibility rules with pass/fail and notes' }) screening: Record<string, unknown> | null;
  @ApiProperty({ type: [Object] }) reviewerAssignments: Record<string, unknown>[];
  @ApiProperty({
    type: [Object],
    description: "Each conflict of interest a reviewer declared (reviewer, when, what), with evidence; afterDecision is true for one declared after the decision in force (it does not undo the decision: the auditor sees that the decision rested on a conflicted review). The description is personal data of the reviewer: null once that reviewer's personal data was erased (declarations made before 2026-12-07 were stored in clear and read as written)",
  })
  conflictDeclarations: Record<string, unknown>[];
  @ApiProperty({
    type: [Object],
    description:
      "Each recusal (reviewerId, reason, recusedAt), with evidence (its actorId and actorRole: who made it); `by` is `reviewer` for a recusal following the reviewer's own conflict declaration, `staff` for one a grant manager or admin made (POST /proposals/:id/recusals, with their reason), and `recusedBy` the user id of who made it; afterDecision is true for one made after the decision in force",
  })
  recusals: Record<string, unknown>[];
  @ApiProperty({ type: [Object], description: 'Scores and comment per criterion; `counted` is false for a reviewer recused before the decision; `recusedAfterDecision` is true for a review that counted and whose reviewer was recused after the decision' })
  reviews: Record<string, unknown>[];
  @ApiPropertyOptional({ type: Object, nullable: true }) consensus: Record<string, unknown> | null;
  @ApiProperty({ type: DossierDecisionDto }) decision: DossierDecisionDto;
  @ApiProperty({ type: [DossierDecisionDto], description: 'Earlier decisions that did not stand' }) earlierDecisions: DossierDecisionDto[];
  @ApiPropertyOptional({ type: DossierBudgetPositionDto, nullable: true }) budgetPosition: DossierBudgetPositionDto | null;
  @ApiProperty({ type: [Object], description: "The partners' answers to their invitations: accepted (terms version, mandate statement) or declined, by whom, with evidence. mandateStatement is null once the partner's personal data was erased" })
  partnerAnswers: Record<string, unknown>[];
  @ApiProperty({ type: [Object], description: "Redress requests (grounds, who, window) with their outcome (upheld or rejected, reasons, who decided), each with evidence; also those filed after the last decision. grounds is null once the requesting organisation's personal data was erased" })
  redress: Record<string, unknown>[];
}
