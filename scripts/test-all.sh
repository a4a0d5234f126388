#!/usr/bin/env bash
# Every test: `npm test` (type-check, lint, layering, build, unit + integration + e2e), then the fault
# suite (real processes, kill -9, PostgreSQL restarts; it reuses that build), then the web console in
# a real browser (Debian's Chromium). Ends with one line: "Tests: N passed, N failed, N skipped".
# Needs the PostgreSQL server binaries and /usr/bin/chromium (.ci/run installs both when missing).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp && rm -f .tmp/jest-results.json .tmp/jest-faults.json .tmp/jest-browser.json
status=0
npm test -- --json --outputFile=.tmp/jest-results.json || status=$?
FAULTS_SKIP_BUILD=1 npm run test:faults -- --json --outputFile=.tmp/jest-faults.json || status=$?
npm run test:browser -- --json --outputFile=.tmp/jest-browser.json || status=$?
# Jest's own summaries say "N total" per run; print the plain closing line for all three.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of [".tmp/jest-results.json", ".tmp/jest-faults.json", ".tmp/jest-browser.json"]) {
    if (!fs.existsSync(file)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
  }
  console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' 2>/dev/null || echo "Tests: 0 passed, 1 failed"
exit $status
