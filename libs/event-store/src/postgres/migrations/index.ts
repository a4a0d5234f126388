import { EventStore1764000000000 } from './1764000000000-event-store';

export { EventStore1764000000000 };

/** Every event-store migration, oldest first: add them to the application's DataSource. */
export const eventStoreMigrations = [EventStore1764000000000];
