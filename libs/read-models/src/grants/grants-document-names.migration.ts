import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Removes the documents' names from the grants rows projected before the projection stopped keeping
 * them (projectedGrantState): a name is personal data, and rows written earlier held it in clear,
 * where an erasure of its organisation could not reach it. Each document keeps its other fields and
 * reads `name: null`, as a rebuild now writes it. A rebuild's shadow and previous tables (schemas
 * rebuild_grants, rebuild_grants_previous), where present, are cleaned the same way.
 */
export class GrantsDocumentNames1764001720000 implements MigrationInterface {
  name = 'GrantsDocumentNames1764001720000';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of ['public.grants', 'rebuild_grants.grants', 'rebuild_grants_previous.grants']) {
      const [{ present }] = (await runner.query('SELECT to_regclass($1) IS NOT NULL AS present', [table])) as { present: boolean }[];
      if (!present) continue;
      await runner.query(`
        UPDATE ${table} g
           SET state = jsonb_set(g.state, '{documents}', (
                 SELECT jsonb_agg(CASE WHEN jsonb_typeof(d) = 'object' THEN jsonb_set(d, '{name}', 'null'::jsonb) ELSE d END ORDER BY o)
                   FROM jsonb_array_elements(g.state->'documents') WITH ORDINALITY AS x(d, o)))
         WHERE jsonb_typeof(g.state->'documents') = 'array'
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(g.state->'documents') d WHERE jsonb_typeof(d) = 'object' AND d->'name' IS DISTINCT FROM 'null'::jsonb)`);
    }
  }

  async down(): Promise<void> {
    // The names are not kept anywhere else in clear; a rebuild gives the rows as the projection writes them.
  }
}
