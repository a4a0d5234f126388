export * from './event-store.port';
export * from './postgres';
export * from './create-event-store';
export * from './esdb';
