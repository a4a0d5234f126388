import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layering rules (.dependency-cruiser.cjs, run by `npm run lint:deps` in `npm test`) must be
 * able to fail: run against a small tree that breaks each of them, they report each break.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'layering');

function violations(): string[] {
  let output: string;
  try {
    output = execFileSync(process.execPath, [join(ROOT, 'node_modules', '.bin', 'depcruise'), 'libs', 'apps', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
      cwd: FIXTURE,
      encoding: 'utf8',
    });
  } catch (error) {
    output = (error as { stdout: string }).stdout; // exits non-zero when it finds violations
  }
  const result = JSON.parse(output) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
}

describe('layering rules', () => {
  it('report every kind of break in a tree that has one of each', () => {
    expect(violations()).toEqual(
      expect.arrayContaining([
        'domain-imports-only-below: libs/domain/src/decider.js -> libs/platform/src/clock.js',
        'domain-is-pure: libs/domain/src/decider.js -> crypto',
        'read-models-imports-only-below: libs/read-models/src/projection.js -> libs/application/src/handler.js',
        'apps-apart: apps/api/src/cycle-a.js -> apps/worker/src/worker.module.js',
        'no-circular: apps/api/src/cycle-a.js -> apps/api/src/cycle-b.js',
      ]),
    );
  });

  it('find nothing to report in the project itself', () => {
    const output = execFileSync(process.execPath, [join(ROOT, 'node_modules', '.bin', 'depcruise'), 'apps', 'libs', 'scripts', 'test', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(output).toContain('no dependency violations found');
  });
});
