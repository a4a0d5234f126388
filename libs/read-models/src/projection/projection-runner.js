"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProjectionRunner = void 0;
const checkpoint_1 = require("./checkpoint");
const RETRY_MS = 1_000;
const LOCK_RETRY_MS = 5_000;
class ProjectionRunner {
    dataSource;
    store;
    projections;
    logger;
    decode;
    subscriptions = new Map();
    lockRunners = new Map();
    loops = [];
    listeners = new Set();
    stopping = false;
    sleepers = new Set();
    constructor(dataSource, store, projections, logger, decode = (e) => e) {
        this.dataSource = dataSource;
        this.store = store;
        this.projections = projections;
        this.logger = logger;
        this.decode = decode;
    }
    start() {
        for (const projection of this.projections)
            this.loops.push(this.run(projection));
    }
    async stop() {
        this.stopping = true;
        for (const wake of this.sleepers)
            wake();
        await Promise.all([...this.subscriptions.values()].map((s) => s.close()));
        await Promise.all(this.loops);
        for (const runner of this.lockRunners.values()) {
            if (!runner.isReleased)
                await runner.release();
        }
    }
    onApplied(listener) {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }
    async run(projection) {
        if (!(await this.acquireLock(projection)))
            return;
        while (!this.stopping) {
            try {
                const after = await (0, checkpoint_1.loadCheckpoint)(this.dataSource.manager, projection.name);
                const subscription = this.store.subscribe({ after, filter: projection.filter });
                this.subscriptions.set(projection.name, subscription);
                for await (const event of subscription) {
                    if (this.stopping)
                        break;
                    const decoded = await this.decode(event);
                    await this.dataSource.transaction(async (tx) => {
                        await projection.apply(decoded, tx);
                        await (0, checkpoint_1.saveCheckpoint)(tx, projection.name, event.position);
                    });
                    for (const listener of this.listeners)
                        listener();
                }
            }
            catch (error) {
                if (this.stopping)
                    break;
                this.logger.error('projection failed; retrying from its checkpoint', {
                    projection: projection.name,
                    error: error instanceof Error ? error.message : String(error),
                });
                await this.sleep(RETRY_MS);
            }
            finally {
                await this.subscriptions.get(projection.name)?.close();
                this.subscriptions.delete(projection.name);
            }
        }
    }
    async acquireLock(projection) {
        const runner = this.dataSource.createQueryRunner();
        await runner.connect();
        this.lockRunners.set(projection.name, runner);
        let announced = false;
        while (!this.stopping) {
            const rows = await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`projection:${projection.name}`]);
            if (rows[0]?.locked)
                return true;
            if (!announced) {
                this.logger.log('another process runs this projection; standing by', { projection: projection.name });
                announced = true;
            }
            await this.sleep(LOCK_RETRY_MS);
        }
        return false;
    }
    sleep(ms) {
        return new Promise((resolve) => {
            const wake = () => {
                clearTimeout(timer);
                this.sleepers.delete(wake);
                resolve();
            };
            const timer = setTimeout(wake, ms);
            this.sleepers.add(wake);
        });
    }
}
exports.ProjectionRunner = ProjectionRunner;
//# sourceMappingURL=projection-runner.js.map