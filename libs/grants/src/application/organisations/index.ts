export * from './organisation-commands';
