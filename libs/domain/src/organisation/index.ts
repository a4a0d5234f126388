export * from './organisation.events';
export * from './organisation.commands';
export * from './organisation.errors';
export * from './organisation.decider';
export * from './organisation.command-rules';
