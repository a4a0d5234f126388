import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { PUBLIC_PSEUDONYM_SECRET, PublicEventMapper } from './public-event-mapper';
import { pseudonymSecretFromEnv } from './withheld-organisations';

/**
 * The public-event mapping for the feed, webhooks and exports; the pseudonym secret comes from
 * PUBLIC_PSEUDONYM_SECRET, organisations' publication consent from the organisations read model.
 */
@Module({
  imports: [ReadModelsModule],
  providers: [{ provide: PUBLIC_PSEUDONYM_SECRET, useFactory: () => pseudonymSecretFromEnv() }, PublicEventMapper],
  exports: [PublicEventMapper],
})
export class PublicEventsModule {}
