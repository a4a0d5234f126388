export * from './encrypting-event-codec';
export * from './personal-data.policy';
export * from './personal-data-erasure.reaction';
