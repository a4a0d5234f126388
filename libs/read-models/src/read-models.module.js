"use strict";
var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.ReadModelsModule = void 0;
const common_1 = require("@nestjs/common");
const typeorm_1 = require("@nestjs/typeorm");
const calls_projection_1 = require("./calls/calls.projection");
const calls_query_1 = require("./calls/calls.query");
const data_source_options_1 = require("./data-source-options");
const projection_1 = require("./projection/projection");
let ReadModelsModule = class ReadModelsModule {
};
exports.ReadModelsModule = ReadModelsModule;
exports.ReadModelsModule = ReadModelsModule = __decorate([
    (0, common_1.Module)({
        imports: [typeorm_1.TypeOrmModule.forFeature(data_source_options_1.READ_MODEL_ENTITIES)],
        providers: [calls_query_1.CallsQuery, { provide: projection_1.PROJECTIONS, useFactory: () => [new calls_projection_1.CallsProjection()] }],
        exports: [calls_query_1.CallsQuery, projection_1.PROJECTIONS],
    })
], ReadModelsModule);
//# sourceMappingURL=read-models.module.js.map