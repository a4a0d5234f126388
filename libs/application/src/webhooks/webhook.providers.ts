import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, piiMasterKeyFromEnv } from '@app/platform/config/app-config';
import { internalTypesOf, organisationIdsOf, PUBLIC_EVENT_TYPES } from '../public-events/public-events';
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

/** A body that may show an organisation by name (queued before bodies were queued withheld). */
const NAMED_ORGANISATION = '"withheld":false';

/**
 * The public catalogue as webhook delivery reads it. Bodies are queued with every organisation
 * withheld, with the ids of the organisations they show, and rendered when they are sent: consent
 * is read then, as the feed reads it when a page is served (a delivery may wait in the queue for
 * hours of retries, or be redelivered weeks later).
 */
export function publicEventSource(mapper: PublicEventMapper): PublicEventSource {
  return {
    types: PUBLIC_EVENT_TYPES,
    filter: { eventTypes: internalTypesOf() },
    mapBatch: async (events) => {
      const withheld = await mapper.map(events, await mapper.withheldContext());
      const shown = new Map(events.map((event) => [event.eventId, organisationIdsOf([event])]));
      return new Map(withheld.map((publicEvent) => [publicEvent.id, { ...publicEvent, organisationIds: shown.get(publicEvent.id) ?? [] }]));
    },
    render: async (bodies) => {
      // Most bodies show no organisation (calls, payments): sent as stored, without parsing or a look-up.
      const showing = bodies.flatMap((stored, index) => (stored.organisationIds.length > 0 || stored.body.includes(NAMED_ORGANISATION) ? [index] : []));
      if (showing.length === 0) return bodies.map((stored) => stored.body);
      const shown = await mapper.reshow(showing.map((index) => ({ data: JSON.parse(bodies[index].body) as unknown, organisationIds: bodies[index].organisationIds })));
      const rendered = bodies.map((stored) => stored.body);
      showing.forEach((index, n) => (rendered[index] = JSON.stringify(shown[n])));
      return rendered;
    },
  };
}
