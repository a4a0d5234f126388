"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.IdempotencyKeys1764000100000 = void 0;
class IdempotencyKeys1764000100000 {
    name = 'IdempotencyKeys1764000100000';
    async up(runner) {
        await runner.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'done')),
        status int,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    }
    async down(runner) {
        await runner.query('DROP TABLE idempotency_keys');
    }
}
exports.IdempotencyKeys1764000100000 = IdempotencyKeys1764000100000;
//# sourceMappingURL=idempotency.migration.js.map