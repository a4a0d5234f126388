import { dataSourceOptions, type PoolSettings, READ_SIDE_MIGRATIONS } from '@app/read-models/data-source-options';
import type { DataSourceOptions } from 'typeorm';
import { AsOfSnapshots1764000900000 } from './audit/as-of/as-of-snapshots.migration';
import { AuditSeals1764000250000 } from './audit/audit-seals.migration';
import { DeciderSnapshots1764001800000 } from './snapshots/decider-snapshots.migration';
import { DocumentBlobs1764001500000 } from '@app/documents/document-blobs.migration';
import { Notifications1764001400000 } from './notifications/notifications.migration';
import { NotificationsProgrammeRecipient1764001410000 } from './notifications/notifications-programme.migration';
import { PersonalDataGrantSubjects1764001730000 } from './personal-data/personal-data-grant-subjects.migration';

/** Every migration of the database the apps use: the read side's and the application's own tables. */
export const ALL_MIGRATIONS = [...READ_SIDE_MIGRATIONS, AuditSeals1764000250000, AsOfSnapshots1764000900000, DocumentBlobs1764001500000, Notifications1764001400000, NotificationsProgrammeRecipient1764001410000, PersonalDataGrantSubjects1764001730000, DeciderSnapshots1764001800000];

/** The apps' TypeORM options: read-model entities, bounded pool, and the whole schema's migrations. */
export function databaseOptions(url: string, pool: Omit<PoolSettings, 'migrations'> = {}): DataSourceOptions {
  return dataSourceOptions(url, { ...pool, migrations: ALL_MIGRATIONS });
}
