"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.APP_CONFIG = void 0;
exports.loadConfig = loadConfig;
const node_path_1 = require("node:path");
exports.APP_CONFIG = Symbol('APP_CONFIG');
function bool(value, fallback) {
    if (value === undefined || value === '')
        return fallback;
    return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
function int(name, value, fallback) {
    if (value === undefined || value === '')
        return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
        throw new Error(`${name} must be a non-negative integer, got "${value}"`);
    return parsed;
}
function loadConfig(env = process.env) {
    const eventStore = (env.EVENT_STORE ?? 'postgres');
    if (eventStore !== 'postgres' && eventStore !== 'esdb')
        throw new Error(`EVENT_STORE must be postgres or esdb, got "${eventStore}"`);
    return {
        port: int('PORT', env.PORT, 3000),
        host: env.HOST || '0.0.0.0',
        databaseUrl: env.DATABASE_URL || undefined,
        dataDir: (0, node_path_1.resolve)(env.DATA_DIR || '.data'),
        embeddedPostgresPort: int('EMBEDDED_POSTGRES_PORT', env.EMBEDDED_POSTGRES_PORT, 54329),
        eventStore,
        eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING || undefined,
        runWorker: bool(env.RUN_WORKER, true),
        logLevel: env.LOG_LEVEL || 'info',
    };
}
//# sourceMappingURL=app-config.js.map