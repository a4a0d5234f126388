import { Inject, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, piiMasterKeyFromEnv } from '@app/platform/config/app-config';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { PersonalDataPolicy, personalDataPolicy } from './personal-data.policy';

/** The keyring over the `personal_data_keys` table, with the master key from configuration. */
export function personalDataProviders(databaseUrl: string): Provider[] {
  return [
    { provide: PersonalDataPolicy, useFactory: personalDataPolicy },
    {
      provide: PersonalDataKeyring,
      useFactory: (config: AppConfig | undefined) => {
        const logger = new Logger('PersonalData');
        const masterKey = Buffer.from(config?.piiMasterKey ?? piiMasterKeyFromEnv(), 'base64');
        return new PersonalDataKeyring(new PostgresPersonalDataKeyStore(databaseUrl, (message) => logger.error(message)), masterKey);
      },
      inject: [{ token: APP_CONFIG, optional: true }],
    },
    PersonalDataLifecycle,
  ];
}

class PersonalDataLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PersonalDataKeyring) private readonly keyring: PersonalDataKeyring) {}
  async onApplicationShutdown(): Promise<void> {
    await this.keyring.close();
  }
}
