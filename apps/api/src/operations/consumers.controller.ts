import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { clearStall, consumerReports, type LogConsumer } from '@app/log-consumers';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../http/problem';
import { DataSource } from 'typeorm';
import { LOG_CONSUMERS } from '@app/application/worker/log-consumers.module';
import { Idempotent } from '../http/command-docs';

/**
 * The log consumers as an operator sees them: checkpoint, lag, whether a process leads each, and
 * the event a stalled one stopped at (with the error, never the event's data). A retry clears the
 * stall; the leader picks the consumer up at its next heartbeat and tries the event again.
 */
@ApiTags('operations')
@ApiBearerAuth()
@Controller('admin/consumers')
export class ConsumersController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOG_CONSUMERS) private readonly consumers: LogConsumer[],
  ) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Every log consumer: checkpoint, lag, leader, stall' })
  @ApiOkResponse({ description: 'The consumers' })
  @ApiProblemResponses(401, 403)
  async list() {
    const reports = await consumerReports(this.dataSource, this.store, this.consumers);
    return { consumers: reports.map((report) => ({ ...report, kind: this.consumers.find((c) => c.name === report.name)?.kind })) };
  }

  @Post(':name/retry')
  @Idempotent()
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Clear a stalled consumer: its leader tries the event again' })
  @ApiOkResponse({ description: 'Cleared' })
  @ApiProblemResponses(401, 403, 404)
  async retry(@Param('name') name: string) {
    if (!this.consumers.some((consumer) => consumer.name === name) || !(await clearStall(this.dataSource, name))) {
      throw new NotFoundException(`No log consumer named ${name}`);
    }
    return { name, retried: true };
  }
}
