import { DataSource } from 'typeorm';
import { eventStoreMigrations } from './migrations';

/**
 * Applies the event-store migrations to the database at `url` and disconnects. For tests,
 * scripts and a standalone store; an application with its own DataSource adds
 * `eventStoreMigrations` to its `migrations` instead.
 */
export async function migrateEventStore(url: string): Promise<void> {
  const dataSource = new DataSource({ type: 'postgres', url, migrations: eventStoreMigrations });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
