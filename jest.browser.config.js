/**
 * The console's end-to-end tests in a real browser (test/browser/*.browser-spec.ts): Debian's
 * Chromium driven by playwright-core, each file with its own API on the throwaway PostgreSQL the
 * global setup starts. `npm run test:browser` builds the console first and runs them one at a time.
 */
const base = require('./jest.config.js');

const postgres = base.projects.find((project) => project.displayName === 'postgres');

module.exports = {
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  testTimeout: 60000,
  maxWorkers: 1,
  projects: [{ ...postgres, displayName: 'browser', testRegex: 'test/browser/.*\\.browser-spec\\.ts$' }],
};
