export * from './personal-data-envelope';
export * from './personal-data.errors';
export * from './personal-data-key-store';
export * from './personal-data-keyring';
export * from './personal-data-keys.migration';
export * from './sealed-personal-field';
export * from './sealed-state';
