export * from './decorators';
export * from './body-guard';
export * from './bodyless-route.guard';
