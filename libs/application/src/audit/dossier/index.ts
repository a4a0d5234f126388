export * from './decision-dossier';
export * from './decision-dossiers';
