export * from './postgres-event-store';
export * from './migrations';
export * from './migrate';
