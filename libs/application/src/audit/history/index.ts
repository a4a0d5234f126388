export * from './audit-history';
export * from './personal-data-markers';
