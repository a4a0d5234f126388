"use strict";
var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.WorkerModule = void 0;
const common_1 = require("@nestjs/common");
const event_store_1 = require("../../../libs/event-store/src/index.js");
const event_codec_1 = require("../../../libs/grants/src/application/event-codec.js");
const projection_1 = require("../../../libs/read-models/src/projection/projection.js");
const projection_runner_1 = require("../../../libs/read-models/src/projection/projection-runner.js");
const read_models_module_1 = require("../../../libs/read-models/src/read-models.module.js");
const typeorm_1 = require("typeorm");
let WorkerModule = class WorkerModule {
    runner;
    constructor(runner) {
        this.runner = runner;
    }
    onApplicationBootstrap() {
        this.runner.start();
    }
    async onApplicationShutdown() {
        await this.runner.stop();
    }
};
exports.WorkerModule = WorkerModule;
exports.WorkerModule = WorkerModule = __decorate([
    (0, common_1.Module)({
        imports: [read_models_module_1.ReadModelsModule],
        providers: [
            {
                provide: projection_runner_1.ProjectionRunner,
                useFactory: (dataSource, store, projections, codec) => {
                    const logger = new common_1.Logger('Projections');
                    return new projection_runner_1.ProjectionRunner(dataSource, store, projections, { log: (message, context) => logger.log({ msg: message, ...context }), error: (message, context) => logger.error({ msg: message, ...context }) }, (event) => codec.decode(event));
                },
                inject: [typeorm_1.DataSource, event_store_1.EVENT_STORE, projection_1.PROJECTIONS, event_codec_1.EVENT_CODEC],
            },
        ],
        exports: [projection_runner_1.ProjectionRunner],
    }),
    __param(0, (0, common_1.Inject)(projection_runner_1.ProjectionRunner)),
    __metadata("design:paramtypes", [projection_runner_1.ProjectionRunner])
], WorkerModule);
//# sourceMappingURL=worker.module.js.map