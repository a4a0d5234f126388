import type { Projection } from '../projection/projection';
import { createProjections } from '../registry';

/**
 * The projections a rebuild may run: the registry's read models that own tables. Process managers
 * and webhook delivery are not in the registry, and table-less entries (e.g. the personal-data
 * erasure reaction, which acts on keys outside the read models) are left out: a rebuild replays
 * read models, it never repeats an effect.
 */
export function rebuildableProjections(all: readonly Projection[] = createProjections()): Projection[] {
  return all.filter((projection) => projection.tables.length > 0);
}

export function selectProjections(names: readonly string[], all: readonly Projection[] = rebuildableProjections()): Projection[] {
  if (names.length === 0) return [...all];
  return names.map((name) => {
    const found = all.find((projection) => projection.name === name);
    if (!found) throw new Error(`Unknown projection "${name}"; known: ${all.map((p) => p.name).join(', ')}`);
    return found;
  });
}
