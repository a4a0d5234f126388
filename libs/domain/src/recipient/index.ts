export * from './recipient.events';
export * from './recipient.commands';
export * from './recipient.errors';
export * from './recipient.decider';
export * from './recipient.command-rules';
