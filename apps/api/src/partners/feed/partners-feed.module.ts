import { Module } from '@nestjs/common';
import { PublicEventsModule } from '@app/application/public-events';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { CatalogueController } from '../catalogue/catalogue.controller';
import { ExportsController } from '../exports/exports.controller';
import { THREE_SIXTY_GIVING_CONFIG, threeSixtyGivingConfigFromEnv } from '../exports/three-sixty-giving';
import { ThreeSixtyGivingExport } from '../exports/three-sixty-giving.service';
import { FeedStreamLimiter, feedStreamLimitsFromEnv } from './feed-stream-limits';
import { FeedController } from './feed.controller';
import { DEFAULT_FEED_OPTIONS, FEED_OPTIONS, FeedService } from './feed.service';

/** What partner systems read: the public event catalogue, the feed (paged and SSE) and the 360Giving export. */
@Module({
  imports: [PublicEventsModule, ReadModelsModule],
  controllers: [CatalogueController, FeedController, ExportsController],
  providers: [
    FeedService,
    { provide: FEED_OPTIONS, useValue: DEFAULT_FEED_OPTIONS },
    { provide: FeedStreamLimiter, useFactory: () => new FeedStreamLimiter(feedStreamLimitsFromEnv()) },
    ThreeSixtyGivingExport,
    { provide: THREE_SIXTY_GIVING_CONFIG, useFactory: () => threeSixtyGivingConfigFromEnv() },
  ],
})
export class PartnersFeedModule {}
