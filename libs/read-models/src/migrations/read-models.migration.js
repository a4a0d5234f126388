"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ReadModels1764000200000 = void 0;
class ReadModels1764000200000 {
    name = 'ReadModels1764000200000';
    async up(runner) {
        await runner.query(`
      CREATE TABLE projection_checkpoints (
        name text PRIMARY KEY,
        position text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
        await runner.query(`
      CREATE TABLE calls (
        id uuid PRIMARY KEY,
        status text NOT NULL,
        programme text NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        currency char(3) NOT NULL,
        budget_minor bigint NOT NULL,
        min_award_minor bigint NOT NULL,
        max_award_minor bigint NOT NULL,
        committed_minor bigint NOT NULL DEFAULT 0,
        eligible_countries text[] NOT NULL,
        min_partners int NOT NULL,
        reviews_required int NOT NULL,
        criteria jsonb NOT NULL,
        opens_at timestamptz NOT NULL,
        closes_at timestamptz NOT NULL,
        deadline_extensions jsonb NOT NULL DEFAULT '[]',
        published_at timestamptz,
        closed_at timestamptz,
        cancelled_at timestamptz,
        status_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version int NOT NULL
      )`);
        await runner.query('CREATE INDEX calls_status_idx ON calls (status, closes_at)');
    }
    async down(runner) {
        await runner.query('DROP TABLE calls');
        await runner.query('DROP TABLE projection_checkpoints');
    }
}
exports.ReadModels1764000200000 = ReadModels1764000200000;
//# sourceMappingURL=read-models.migration.js.map