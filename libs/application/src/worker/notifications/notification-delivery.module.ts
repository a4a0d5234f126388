import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { PersonalDataKeyring, SealedPersonalData } from '@app/personal-data';
import { CLOCK, type Clock } from '@app/platform/clock';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { nestStructuredLogger } from '@app/platform/logging/structured-logger';
import { DataSource } from 'typeorm';
import { NotificationAddresses } from '../../notifications/notification-addresses';
import type { notificationFanOut } from '../../notifications/notification-fan-out';
import { NotificationSender } from '../../notifications/notification-sender';
import { ReviewerContacts } from '../../notifications/reviewer-contacts';
import { smtpTransport } from '../../notifications/smtp-transport';
import { PersonalDataPolicy } from '../../personal-data/personal-data.policy';
import { LogConsumersModule, NOTIFICATION_FAN_OUT_CONSUMER } from '../log-consumers.module';

/**
 * E-mail notifications inside the worker: the fan-out (a log consumer, run by the runtime) queues
 * them; the sender mails them over SMTP and queues report reminders, woken by the fan-out after
 * each batch that queued any. Without SMTP_HOST nothing is sent, and the start-up log says so.
 */
@Injectable()
export class NotificationDelivery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly sender?: NotificationSender;
  private readonly logger = nestStructuredLogger('Notifications');

  constructor(
    dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(NOTIFICATION_FAN_OUT_CONSUMER) fanOut: ReturnType<typeof notificationFanOut>,
    keyring: PersonalDataKeyring,
    policy: PersonalDataPolicy,
    @Inject(CLOCK) clock: Clock,
  ) {
    const mail = config.mail;
    if (!mail.smtpHost) return;
    const addresses = new NotificationAddresses(dataSource, new SealedPersonalData(keyring), policy, new ReviewerContacts(dataSource, keyring), mail.programmeAddress);
    this.sender = new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, clock, config.publicBaseUrl, this.logger);
    fanOut.onQueued(() => this.sender?.wake());
  }

  onApplicationBootstrap(): void {
    const mail = this.config.mail;
    if (!this.sender) {
      this.logger.log('e-mail notifications are off: SMTP_HOST is not set (notifications are recorded as skipped, none is sent)');
      return;
    }
    this.logger.log('e-mail notifications on', { smtpPort: mail.smtpPort, smtpTls: mail.smtpTls, kindsOff: mail.disabledKinds, reportDueDays: mail.reportDueDays });
    this.sender.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sender?.stop();
  }
}

@Module({
  imports: [LogConsumersModule],
  providers: [NotificationDelivery],
  exports: [NotificationDelivery],
})
export class NotificationDeliveryModule {}
