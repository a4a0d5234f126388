export * from './logging';
export * from './structured-logger';
