import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequestValidationError } from '../../http/problem';
import { WebhookSubscriptionInvalid, WebhookSubscriptionsService } from '@app/application/webhooks/webhook-subscriptions.service';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { ApiProblemResponses } from '../../http/problem';
import { CreateWebhookSubscriptionDto, ListDeliveriesQuery } from './webhook.dto';
import {
  CreatedWebhookSubscriptionDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookSubscriptionDto,
  WebhookSubscriptionListDto,
} from './webhook-view.dto';
import { Idempotent } from '../../http/command-docs';

/** A partner manages its own subscriptions (someone else's answer 404); admins manage all, auditors read all. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly subscriptions: WebhookSubscriptionsService) {}

  @Post('subscriptions')
  @Roles('partner', 'admin')
  @ApiOperation({
    summary: 'Subscribe a URL to public events; the signing secret is returned once, in this response',
    description:
      'Takes no `Idempotency-Key` (one sent is refused, 400): the answer holds the signing secret, which is stored only sealed, so it is never kept to be replayed. After a lost answer, list the subscriptions and delete the one you cannot use.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookSubscriptionDto })
  @ApiProblemResponses(400, 401, 403)
  async create(@Body() body: CreateWebhookSubscriptionDto, @CurrentActor() actor: Actor): Promise<CreatedWebhookSubscriptionDto> {
    try {
      return await this.subscriptions.create(actor, body);
    } catch (error) {
      if (error instanceof WebhookSubscriptionInvalid) throw new RequestValidationError(error.fields.map((f) => ({ ...f })));
      throw error;
    }
  }

  @Get('subscriptions')
  @Roles('partner', 'admin', 'auditor')
  @ApiOperation({ summary: "The caller's subscriptions (admins and auditors: all)" })
  @ApiOkResponse({ type: WebhookSubscriptionListDto })
  @ApiProblemResponses(401, 403)
  async list(@CurrentActor() actor: Actor): Promise<WebhookSubscriptionListDto> {
    return { items: await this.subscriptions.list(actor) };
  }

  @Get('subscriptions/:id')
  @Roles('partner', 'admin', 'auditor')
  @ApiOperation({ summary: 'One subscription (never its secret)' })
  @ApiOkResponse({ type: WebhookSubscriptionDto })
  @ApiProblemResponses(400, 401, 403, 404)
  get(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<WebhookSubscriptionDto> {
    return this.subscriptions.get(actor, id);
  }

  @Delete('subscriptions/:id')
  @Idempotent()
  @HttpCode(204)
  @Roles('partner', 'admin')
  @ApiOperation({ summary: 'Unsubscribe: nothing more is sent; undelivered events are dropped' })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 401, 403, 404)
  async remove(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.subscriptions.remove(actor, id);
  }

  @Get('subscriptions/:id/deliveries')
  @Roles('partner', 'admin', 'auditor')
  @ApiOperation({ summary: 'Delivery log of a subscription, in log order: status, attempts, last status code or error, next attempt' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiProblemResponses(400, 401, 403, 404)
  deliveries(@Param('id', ParseUUIDPipe) id: string, @Query() query: ListDeliveriesQuery, @CurrentActor() actor: Actor): Promise<WebhookDeliveryListDto> {
    return this.subscriptions.deliveries(actor, id, { status: query.status, limit: query.limit ?? 50, offset: query.offset ?? 0 });
  }

  @Get('deliveries/:id')
  @Roles('partner', 'admin', 'auditor')
  @ApiOperation({ summary: 'One delivery with every attempt made' })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  @ApiProblemResponses(400, 401, 403, 404)
  delivery(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<WebhookDeliveryDetailDto> {
    return this.subscriptions.delivery(actor, id);
  }

  @Post('deliveries/:id/redeliver')
  @Idempotent()
  @HttpCode(202)
  @Roles('partner', 'admin')
  @ApiOperation({
    summary: "Queue one delivery again (e.g. a dead one) with a fresh attempt budget; it keeps its place in the subscription's log order",
    description: 'While a sender holds any delivery of its subscription (a run under way), it answers 409 and changes nothing: ask again once those attempts are recorded.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto })
  @ApiProblemResponses(400, 401, 403, 404, 409)
  redeliver(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<WebhookDeliveryDto> {
    return this.subscriptions.redeliver(actor, id);
  }
}
