import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, piiMasterKeyFromEnv } from '@app/platform/config/app-config';
import { internalTypesOf, PUBLIC_EVENT_TYPES } from '../public-events/public-events';
import { PublicEventMapper } from '../public-events/public-event-mapper';
import { PUBLIC_EVENT_SOURCE, type PublicEventSource } from './public-event-source';
import { SsrfGuard } from './ssrf-guard';
import { WEBHOOK_CONFIG, type WebhookConfig, webhookConfigProvider } from './webhook-config';
import { WEBHOOK_SECRET_BOX, WebhookSecretBox } from './webhook-secret-box';
import { WEBHOOK_SSRF_GUARD } from './webhook-subscriptions.service';

/**
 * What both the API (subscriptions) and the worker (delivery) need. The module that uses these
 * must import PublicEventsModule. Tests override WEBHOOK_CONFIG for small timings.
 */
export function webhookProviders(): Provider[] {
  return [
    webhookConfigProvider,
    { provide: WEBHOOK_SSRF_GUARD, useFactory: (config: WebhookConfig) => new SsrfGuard(config.allowedHosts), inject: [WEBHOOK_CONFIG] },
    {
      provide: WEBHOOK_SECRET_BOX,
      useFactory: (config: AppConfig | undefined) => new WebhookSecretBox(Buffer.from(config?.piiMasterKey ?? piiMasterKeyFromEnv(), 'base64')),
      inject: [{ token: APP_CONFIG, optional: true }],
    },
    { provide: PUBLIC_EVENT_SOURCE, useFactory: publicEventSource, inject: [PublicEventMapper] },
  ];
}

/** The public catalogue as webhook delivery reads it. */
export function publicEventSource(mapper: PublicEventMapper): PublicEventSource {
  return {
    types: PUBLIC_EVENT_TYPES,
    filter: { eventTypes: internalTypesOf() },
    mapBatch: async (events) => new Map((await mapper.map(events)).map((publicEvent) => [publicEvent.id, publicEvent])),
  };
}
