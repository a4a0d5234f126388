export * from './as-of-replay';
export * from './as-of-read-models';
