export * from './grant.events';
export * from './grant.commands';
export * from './grant.errors';
export * from './grant.decider';
export * from './grant.command-rules';
export * from './grant.upcasters';
