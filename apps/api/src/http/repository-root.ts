import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository (or image) this code runs from: the nearest folder up from `from` holding both a
 * package.json and apps/, whether the code runs from its sources (jest, tsx) or from
 * dist/apps/api/… (npm start). Undefined when there is none.
 */
export function repositoryRoot(from = __dirname): string | undefined {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'apps'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
