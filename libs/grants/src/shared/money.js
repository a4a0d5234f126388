"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ISO_4217 = void 0;
exports.isMinorUnits = isMinorUnits;
exports.ISO_4217 = /^[A-Z]{3}$/;
function isMinorUnits(value) {
    return Number.isSafeInteger(value) && value >= 0;
}
//# sourceMappingURL=money.js.map