import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The organisations a queued webhook body shows, by internal id: the sender shows each as public or
 * withheld by the publication consent in force when it sends (a retry or a redelivery after a
 * withdrawal withholds it), and recognises a withheld one by its pseudonym. Rows queued before hold
 * none: their named organisations are recognised by their (public) id, and withheld ones stay withheld.
 */
export class WebhookDeliveryOrganisations1764001760000 implements MigrationInterface {
  name = 'WebhookDeliveryOrganisations1764001760000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE webhook_deliveries ADD COLUMN organisation_ids text[] NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE webhook_deliveries DROP COLUMN organisation_ids');
  }
}
