"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.loadCheckpoint = loadCheckpoint;
exports.saveCheckpoint = saveCheckpoint;
async function loadCheckpoint(manager, projection) {
    const rows = await manager.query('SELECT position FROM projection_checkpoints WHERE name = $1', [projection]);
    return rows[0]?.position;
}
async function saveCheckpoint(tx, projection, position) {
    await tx.query(`INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`, [projection, position]);
}
//# sourceMappingURL=checkpoint.js.map