import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The proposals list's order (newest draft first, `drafted_at DESC, id`, list-pages.ts) as indexes:
 * the whole list (grant managers, auditors) and a call's, and every keyset page of their exports.
 * Without them a page sorted the whole table, or the whole call: the first page of GET /proposals
 * took 78 ms on the 45,795 proposals of the 1,000,000-event bench log (a parallel scan and a top-N
 * sort), and an export sorted it again for each page of 500. The rebuild copies them (shadow-schema.ts).
 */
export class ProposalsListOrder1764001700000 implements MigrationInterface {
  name = 'ProposalsListOrder1764001700000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX IF NOT EXISTS proposals_list_order_idx ON proposals (drafted_at DESC, id)');
    await runner.query('CREATE INDEX IF NOT EXISTS proposals_call_list_order_idx ON proposals (call_id, drafted_at DESC, id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX IF EXISTS proposals_call_list_order_idx');
    await runner.query('DROP INDEX IF EXISTS proposals_list_order_idx');
  }
}
