import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { PublicEventsModule } from '@app/grants/application/public-events/public-events.module';
import { PUBLIC_EVENT_SOURCE, type PublicEventSource } from '@app/grants/application/webhooks/public-event-source';
import type { SsrfGuard } from '@app/grants/application/webhooks/ssrf-guard';
import { WEBHOOK_CONFIG, type WebhookConfig } from '@app/grants/application/webhooks/webhook-config';
import { WebhookFanOut, type WebhookLogger } from '@app/grants/application/webhooks/webhook-fan-out';
import { WEBHOOK_SECRET_BOX, type WebhookSecretBox } from '@app/grants/application/webhooks/webhook-secret-box';
import { WebhookSender } from '@app/grants/application/webhooks/webhook-sender';
import { WEBHOOK_SSRF_GUARD } from '@app/grants/application/webhooks/webhook-subscriptions.service';
import { webhookProviders } from '@app/grants/application/webhooks/webhook.providers';
import { DataSource } from 'typeorm';

function nestLogger(context: string): WebhookLogger {
  const logger = new Logger(context);
  return { log: (message, ctx) => logger.log({ msg: message, ...ctx }), error: (message, ctx) => logger.error({ msg: message, ...ctx }) };
}

/**
 * Webhook delivery inside the worker: the fan-out turns log events into queued deliveries (its own
 * checkpoint), the sender posts them. Both start with the application and stop with it.
 */
@Injectable()
export class WebhookDelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly fanOut: WebhookFanOut;
  readonly sender: WebhookSender;

  constructor(
    dataSource: DataSource,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(PUBLIC_EVENT_SOURCE) publicEvents: PublicEventSource,
    @Inject(WEBHOOK_CONFIG) config: WebhookConfig,
    @Inject(WEBHOOK_SSRF_GUARD) guard: SsrfGuard,
    @Inject(WEBHOOK_SECRET_BOX) secrets: WebhookSecretBox,
  ) {
    this.fanOut = new WebhookFanOut(dataSource, store, publicEvents, nestLogger('WebhookFanOut'));
    this.sender = new WebhookSender(dataSource, config, guard, secrets, nestLogger('WebhookSender'));
    this.fanOut.onQueued(() => this.sender.wake());
  }

  onApplicationBootstrap(): void {
    this.fanOut.start();
    this.sender.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.fanOut.stop(), this.sender.stop()]);
  }
}

@Module({
  imports: [PublicEventsModule],
  providers: [...webhookProviders(), WebhookDelivery],
  exports: [WebhookDelivery],
})
export class WebhookDeliveryModule {}
