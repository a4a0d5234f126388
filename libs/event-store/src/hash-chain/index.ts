export * from './canonical-json';
export * from './chain-hash';
export * from './hash-chaining-event-store';
