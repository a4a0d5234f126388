"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.READ_MODEL_ENTITIES = void 0;
exports.dataSourceOptions = dataSourceOptions;
const event_store_1 = require("../../event-store/src/index.js");
const idempotency_migration_1 = require("../../platform/src/idempotency/idempotency.migration.js");
const call_view_entity_1 = require("./calls/call-view.entity");
const read_models_migration_1 = require("./migrations/read-models.migration");
exports.READ_MODEL_ENTITIES = [call_view_entity_1.CallView];
function dataSourceOptions(url) {
    return {
        type: 'postgres',
        url,
        entities: exports.READ_MODEL_ENTITIES,
        migrations: [...event_store_1.eventStoreMigrations, idempotency_migration_1.IdempotencyKeys1764000100000, read_models_migration_1.ReadModels1764000200000],
        migrationsRun: true,
        migrationsTransactionMode: 'each',
        synchronize: false,
        logging: false,
    };
}
//# sourceMappingURL=data-source-options.js.map