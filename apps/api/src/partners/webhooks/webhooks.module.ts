import { Module } from '@nestjs/common';
import { PublicEventsModule } from '@app/application/public-events/public-events.module';
import { webhookProviders } from '@app/application/webhooks/webhook.providers';
import { WebhookSubscriptionsService } from '@app/application/webhooks/webhook-subscriptions.service';
import { WebhooksController } from './webhooks.controller';

/** Partners' webhook subscriptions and delivery log over HTTP; the worker's WebhookDeliveryModule sends. */
@Module({
  imports: [PublicEventsModule],
  controllers: [WebhooksController],
  providers: [...webhookProviders(), WebhookSubscriptionsService],
})
export class WebhooksModule {}
