import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emptyReadModelForRebuild } from '../empty-for-rebuild';

/**
 * A report's last revision request (`state.reports[].revisionRequest`: why the programme sent it
 * back), which the grantee reads in `GET /grants/:id`. Rows written before hold none, so the read
 * model is rebuilt from the log.
 */
export class GrantsRevisionRequests1764001970000 implements MigrationInterface {
  name = 'GrantsRevisionRequests1764001970000';

  async up(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'grants', ['grants']);
  }

  async down(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'grants', ['grants']);
  }
}
