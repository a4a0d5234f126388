import { Logger, type LoggerService } from '@nestjs/common';
import { ManualClock } from '@app/platform/clock';
import { loadConfig } from '@app/platform/config/app-config';
import { notificationFanOut } from '../../notifications/notification-fan-out';
import { NotificationDelivery } from './notification-delivery.module';

describe('notification delivery at start-up', () => {
  const lines: unknown[] = [];
  const capture: LoggerService = { log: (message) => lines.push(message), error: (message) => lines.push(message), warn: (message) => lines.push(message) };

  beforeEach(() => {
    lines.length = 0;
    Logger.overrideLogger(capture);
  });

  afterEach(() => Logger.overrideLogger(false));

  it('says mail is off when no SMTP host is configured, and starts no sender', () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    // Without SMTP_HOST it touches none of its collaborators: nothing is opened, nothing is sent.
    const delivery = new NotificationDelivery(undefined as never, config, notificationFanOut(config.mail), undefined as never, undefined as never, new ManualClock(new Date()));
    delivery.onApplicationBootstrap();
    expect(delivery.sender).toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ msg: expect.stringContaining('e-mail notifications are off: SMTP_HOST is not set') })]);
  });
});
