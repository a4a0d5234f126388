import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { nestStructuredLogger } from '@app/platform/logging/structured-logger';
import { PublicEventsModule } from '../../public-events/public-events.module';
import { PUBLIC_EVENT_SOURCE, type PublicEventSource } from '../../webhooks/public-event-source';
import type { SsrfGuard } from '../../webhooks/ssrf-guard';
import { WEBHOOK_CONFIG, type WebhookConfig } from '../../webhooks/webhook-config';
import type { webhookFanOut } from '../../webhooks/webhook-fan-out';
import { WEBHOOK_SECRET_BOX, type WebhookSecretBox } from '../../webhooks/webhook-secret-box';
import { WebhookSender } from '../../webhooks/webhook-sender';
import { WEBHOOK_SSRF_GUARD } from '../../webhooks/webhook-subscriptions.service';
import { webhookProviders } from '../../webhooks/webhook.providers';
import { DataSource } from 'typeorm';
import { LogConsumersModule, WEBHOOK_FAN_OUT_CONSUMER } from '../log-consumers.module';

/**
 * Webhook delivery inside the worker: the fan-out (a log consumer, run by the runtime) queues
 * deliveries; the sender posts them, woken by the fan-out after each batch that queued any.
 */
@Injectable()
export class WebhookDelivery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly sender: WebhookSender;

  constructor(
    dataSource: DataSource,
    @Inject(WEBHOOK_FAN_OUT_CONSUMER) fanOut: ReturnType<typeof webhookFanOut>,
    @Inject(WEBHOOK_CONFIG) config: WebhookConfig,
    @Inject(WEBHOOK_SSRF_GUARD) guard: SsrfGuard,
    @Inject(WEBHOOK_SECRET_BOX) secrets: WebhookSecretBox,
    @Inject(PUBLIC_EVENT_SOURCE) publicEvents: PublicEventSource,
  ) {
    // Bodies are rendered when sent, with the publication consent in force then.
    this.sender = new WebhookSender(dataSource, config, guard, secrets, nestStructuredLogger('WebhookSender'), (bodies) => publicEvents.render(bodies));
    fanOut.onQueued(() => this.sender.wake());
  }

  onApplicationBootstrap(): void {
    this.sender.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sender.stop();
  }
}

@Module({
  imports: [PublicEventsModule, LogConsumersModule],
  providers: [...webhookProviders(), WebhookDelivery],
  exports: [WebhookDelivery],
})
export class WebhookDeliveryModule {}
