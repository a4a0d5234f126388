"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.isIso3166Alpha2 = exports.outstandingMinor = exports.initialCallState = exports.evolveCall = exports.decideCall = exports.callIsOpenForSubmissions = exports.callDecider = exports.availableBudgetMinor = void 0;
__exportStar(require("./call.events"), exports);
__exportStar(require("./call.commands"), exports);
__exportStar(require("./call.errors"), exports);
var call_decider_1 = require("./call.decider");
Object.defineProperty(exports, "availableBudgetMinor", { enumerable: true, get: function () { return call_decider_1.availableBudgetMinor; } });
Object.defineProperty(exports, "callDecider", { enumerable: true, get: function () { return call_decider_1.callDecider; } });
Object.defineProperty(exports, "callIsOpenForSubmissions", { enumerable: true, get: function () { return call_decider_1.callIsOpenForSubmissions; } });
Object.defineProperty(exports, "decideCall", { enumerable: true, get: function () { return call_decider_1.decideCall; } });
Object.defineProperty(exports, "evolveCall", { enumerable: true, get: function () { return call_decider_1.evolveCall; } });
Object.defineProperty(exports, "initialCallState", { enumerable: true, get: function () { return call_decider_1.initialCallState; } });
Object.defineProperty(exports, "outstandingMinor", { enumerable: true, get: function () { return call_decider_1.outstandingMinor; } });
var iso_3166_1 = require("./iso-3166");
Object.defineProperty(exports, "isIso3166Alpha2", { enumerable: true, get: function () { return iso_3166_1.isIso3166Alpha2; } });
//# sourceMappingURL=index.js.map