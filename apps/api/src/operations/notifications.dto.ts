import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsUUID, MaxLength } from 'class-validator';
import { NOTIFICATION_STATUSES } from '@app/application/notifications/notification-log';
import { NOTIFICATION_KINDS } from '@app/platform/config/mail-config';
import { IsPageLimit, IsPageOffset } from '../http/validation';

export class ListNotificationsQuery {
  @ApiPropertyOptional({ enum: NOTIFICATION_STATUSES }) @IsOptional() @IsIn(NOTIFICATION_STATUSES)
  status?: (typeof NOTIFICATION_STATUSES)[number];
  @ApiPropertyOptional({ enum: NOTIFICATION_KINDS }) @IsOptional() @IsIn(NOTIFICATION_KINDS)
  kind?: (typeof NOTIFICATION_KINDS)[number];
  @ApiPropertyOptional({ description: 'Only notifications about this proposal or grant' }) @IsOptional() @IsUUID()
  recordId?: string;
  @ApiPropertyOptional({ example: 50, description: '1..200' }) @IsOptional() @IsPageLimit(200)
  limit?: number;
  @ApiPropertyOptional({ example: 0, description: '0..2^53-1' }) @IsOptional() @IsPageOffset()
  offset?: number;
}

export class NotificationRefDto {
  @ApiProperty({ example: 'organisation', description: 'Recipients: organisation, reviewer or programme; records: proposal or grant' }) kind: string;
  @ApiProperty({ description: "An organisation id, a reviewer subject, or `team` (the programme's shared mailbox); never an address" }) id: string;
}

export class NotificationDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind: string;
  @ApiProperty({ type: NotificationRefDto }) recipient: NotificationRefDto;
  @ApiProperty({ type: NotificationRefDto, description: 'The proposal or grant the mail links to' }) record: NotificationRefDto;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Report reminders: the due date' }) dueDate: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The log event it follows (none for report reminders)' }) eventId: string | null;
  @ApiProperty({ enum: NOTIFICATION_STATUSES, description: 'failed = waiting for a retry; dead = attempts exhausted or refused for good; skipped = not sent, see skippedReason' })
  status: string;
  @ApiPropertyOptional({ type: String, nullable: true, enum: ['mail-disabled', 'kind-disabled', 'stale', 'erased', 'no-address'] }) skippedReason: string | null;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Error code and SMTP reply code only, e.g. "ECONNECTION" or "EENVELOPE 451"' }) lastError: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) nextAttemptAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastAttemptAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) sentAt: string | null;
  @ApiProperty() createdAt: string;
}

export class NotificationListDto {
  @ApiProperty({ type: [NotificationDto] }) items: NotificationDto[];
}

export class ReviewerContactDto {
  @ApiProperty({ example: 'nadia.reviewer@example.org', description: 'Personal data: stored encrypted under a key of the reviewer, erasable; never returned' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;
}

export class ReviewerContactRegisteredDto {
  @ApiProperty() reviewerId: string;
  @ApiProperty({ example: true }) registered: boolean;
}
