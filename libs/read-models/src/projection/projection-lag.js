"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.projectionLag = projectionLag;
const checkpoint_1 = require("./checkpoint");
async function projectionLag(dataSource, store, projections, cap = 1000) {
    const lag = {};
    for (const projection of projections) {
        const after = await (0, checkpoint_1.loadCheckpoint)(dataSource.manager, projection.name);
        const pending = await store.readAll({ after, maxCount: cap, filter: projection.filter });
        lag[projection.name] = pending.length;
    }
    return lag;
}
//# sourceMappingURL=projection-lag.js.map