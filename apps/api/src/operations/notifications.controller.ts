import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { readNotificationLog, resendNotification } from '@app/application/notifications/notification-log';
import { ReviewerContacts } from '@app/application/notifications/reviewer-contacts';
import { PersonalDataKeyring } from '@app/personal-data';
import { Roles } from '@app/platform';
import { DataSource } from 'typeorm';
import { ApiProblemResponses, RequestValidationError } from '../http/problem';
import { ListNotificationsQuery, NotificationDto, NotificationListDto, ReviewerContactDto, ReviewerContactRegisteredDto } from './notifications.dto';
import { Idempotent } from '../http/command-docs';
import { REVIEWER_ID, REVIEWER_ID_MESSAGE } from '../http/validation';

function reviewerIdOf(value: string): string {
  if (!REVIEWER_ID.test(value)) throw new RequestValidationError([{ field: 'reviewerId', messages: [REVIEWER_ID_MESSAGE] }]);
  return value;
}

/**
 * E-mail notifications as operators see them: the delivery log (subjects, statuses and SMTP codes,
 * never an address), and the reviewer-contact registry, the only place a reviewer's address is
 * kept (sealed under the reviewer's own key; write-only over HTTP, erasable).
 */
@ApiTags('operations')
@ApiBearerAuth()
@Controller('admin')
export class NotificationsController {
  private readonly reviewers: ReviewerContacts;

  constructor(
    private readonly dataSource: DataSource,
    keyring: PersonalDataKeyring,
  ) {
    this.reviewers = new ReviewerContacts(dataSource, keyring);
  }

  @Get('notifications')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'The e-mail notification delivery log, newest first: kind, recipient subject, record, status, attempts, last error code' })
  @ApiOkResponse({ type: NotificationListDto })
  @ApiProblemResponses(400, 401, 403)
  async list(@Query() query: ListNotificationsQuery): Promise<NotificationListDto> {
    return { items: await readNotificationLog(this.dataSource, { status: query.status, kind: query.kind, recordId: query.recordId, limit: query.limit ?? 50, offset: query.offset ?? 0 }) };
  }

  @Post('notifications/:id/resend')
  @Idempotent()
  @HttpCode(202)
  @Roles('admin')
  @ApiOperation({
    summary:
      'Queue a notification again with a fresh attempt budget (e.g. dead after an SMTP misconfiguration); the sender decides again at sending time, so an erased contact or a kind turned off is skipped again',
  })
  @ApiAcceptedResponse({ type: NotificationDto })
  @ApiProblemResponses(400, 401, 403, 404)
  async resend(@Param('id', ParseUUIDPipe) id: string): Promise<NotificationDto> {
    const entry = await resendNotification(this.dataSource, id);
    if (!entry) throw new NotFoundException(`notification ${id} not found`);
    return entry;
  }

  @Put('reviewer-contacts/:reviewerId')
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ summary: "Record (or replace) a reviewer's e-mail address for notifications; stored sealed, never returned" })
  @ApiOkResponse({ type: ReviewerContactRegisteredDto })
  @ApiProblemResponses(400, 401, 403)
  async register(@Param('reviewerId') reviewerId: string, @Body() body: ReviewerContactDto): Promise<ReviewerContactRegisteredDto> {
    await this.reviewers.register(reviewerIdOf(reviewerId), body.email);
    return { reviewerId, registered: true };
  }

  @Delete('reviewer-contacts/:reviewerId')
  @Idempotent()
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({
    summary: "Erase a reviewer's personal data: the reviewer's key is destroyed, so no mail goes to the address any more and the text of the reviewer's conflict declarations reads null everywhere (idempotent: 204 also when none was recorded)",
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 401, 403)
  async erase(@Param('reviewerId') reviewerId: string): Promise<void> {
    await this.reviewers.erase(reviewerIdOf(reviewerId));
  }
}
