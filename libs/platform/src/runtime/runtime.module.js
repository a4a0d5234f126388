"use strict";
var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var RuntimeModule_1;
Object.defineProperty(exports, "__esModule", { value: true });
exports.RuntimeModule = void 0;
const common_1 = require("@nestjs/common");
const app_config_1 = require("../config/app-config");
const clock_1 = require("../clock");
const ids_1 = require("../ids");
let RuntimeModule = RuntimeModule_1 = class RuntimeModule {
    static forRoot(options) {
        const providers = [
            { provide: app_config_1.APP_CONFIG, useValue: options.config },
            { provide: clock_1.CLOCK, useValue: options.clock ?? new clock_1.SystemClock() },
            { provide: ids_1.ID_GENERATOR, useValue: options.ids ?? new ids_1.RandomIdGenerator() },
        ];
        return { module: RuntimeModule_1, providers, exports: providers };
    }
};
exports.RuntimeModule = RuntimeModule;
exports.RuntimeModule = RuntimeModule = RuntimeModule_1 = __decorate([
    (0, common_1.Global)(),
    (0, common_1.Module)({})
], RuntimeModule);
//# sourceMappingURL=runtime.module.js.map