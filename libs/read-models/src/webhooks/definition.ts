import type { ReadModelDefinition } from '../read-model-definition';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookSubscription } from './webhook-subscription.entity';
import { WebhookDeliveriesHeld1764001900000 } from './webhook-deliveries-held.migration';
import { WebhookDeliveryOrganisations1764001760000 } from './webhook-delivery-organisations.migration';
import { Webhooks1764000700000 } from './webhooks.migration';

/**
 * Webhook subscriptions and deliveries: tables, no projection. Delivery state is driven by the
 * worker's fan-out with its own checkpoint (libs/application/src/webhooks), so a projection
 * rebuild neither empties these tables nor re-sends anything.
 */
export const webhooksReadModel: ReadModelDefinition = {
  entities: [WebhookSubscription, WebhookDelivery, WebhookDeliveryAttempt],
  migrations: [Webhooks1764000700000, WebhookDeliveryOrganisations1764001760000, WebhookDeliveriesHeld1764001900000],
  projections: () => [],
  queries: [],
};
