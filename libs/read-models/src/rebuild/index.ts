export * from './consistency-check';
export * from './progress-bar';
export * from './projection-rebuild';
export * from './rebuild-projections';
export { previousSchemaOf, shadowSchemaOf } from './shadow-schema';
