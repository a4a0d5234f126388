export * from './decorators';
export * from './body-guard';
