/**
 * The layering of Grant Ledger, checked by `npm run lint:deps` (part of `npm test`). Arrows point
 * down only; see "Architecture" in README.md for the map.
 *
 *   apps/api, apps/worker                 composition, HTTP
 *   libs/application                      command handling, workflows, audit, public events, webhooks
 *   libs/read-models                      projections and queries
 *   libs/documents                        document storage (blob store port, PostgreSQL and S3 adapters, encryption)
 *   libs/log-consumers, libs/personal-data, libs/event-store
 *   libs/platform                         config, clock, ids, logging, auth, database helpers
 *   libs/domain                           pure deciders: imports nothing outside itself
 *
 * Layering rules judge production code. Tests may compose any layers (an integration test of the
 * log-consumer runtime runs it against real read-model tables), but no production file may import
 * a test file, and nothing may form a cycle.
 */
const TESTS = '(\\.(spec|int-spec|e2e-spec|fault-spec|browser-spec)\\.ts$|/test/|^test/|/testing\\.ts$|/[a-z-]*-testing\\.ts$)';

/** Libraries each library may import (besides itself and npm packages). */
const ALLOWED = {
  domain: [],
  platform: [],
  'event-store': ['platform'],
  'personal-data': ['event-store', 'platform'],
  'log-consumers': ['event-store', 'platform'],
  documents: ['personal-data', 'platform'],
  'read-models': ['domain', 'event-store', 'personal-data', 'log-consumers', 'platform'],
  application: ['domain', 'event-store', 'personal-data', 'log-consumers', 'read-models', 'documents', 'platform'],
};

const libraryRules = Object.entries(ALLOWED).map(([lib, allowed]) => ({
  name: `${lib}-imports-only-below`,
  comment: `libs/${lib} may import ${allowed.length ? allowed.map((l) => `libs/${l}`).join(', ') : 'no other library'} (and npm packages)`,
  severity: 'error',
  from: { path: `^libs/${lib}/`, pathNot: TESTS },
  to: {
    path: '^(libs|apps|scripts|test)/',
    pathNot: [`^libs/${lib}/`, ...allowed.map((l) => `^libs/${l}/`)],
  },
}));

module.exports = {
  forbidden: [
    ...libraryRules,
    {
      name: 'domain-is-pure',
      comment: 'the domain imports no npm package and no Node built-in: outside facts come in as plain data',
      severity: 'error',
      from: { path: '^libs/domain/', pathNot: TESTS },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'core'] },
    },
    {
      name: 'apps-apart',
      comment: 'an app never imports another app: what two apps share lives in a library',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'console-talks-http-only',
      comment: 'the browser console reaches the server through HTTP only',
      severity: 'error',
      from: { path: '^apps/console/' },
      to: { path: '^(libs|apps/api|apps/worker)/' },
    },
    {
      name: 'no-test-code-in-production',
      comment: 'production code never imports tests, test support or scripts',
      severity: 'error',
      from: { path: '^(libs|apps)/', pathNot: TESTS },
      to: { path: [TESTS, '^scripts/'] },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles anywhere',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)(node_modules|dist)/', '^test/fixtures/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
    skipAnalysisNotInRules: true,
  },
};
