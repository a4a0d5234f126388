import type { MixedList } from 'typeorm';
import type { Projection } from './projection/projection';

/**
 * What one feature's read model brings: TypeORM entities, explicit migrations, projections and
 * the query services the API injects. Each feature folder exports one; `registry.ts` lists them.
 */
export interface ReadModelDefinition {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity list type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  projections: () => Projection[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest provider classes
  queries: any[];
}
