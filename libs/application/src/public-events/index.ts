export * from './catalogue';
export * from './feed-cursor';
export * from './public-event-mapper';
export * from './public-events';
export * from './public-events.module';
export * from './withheld-organisations';
