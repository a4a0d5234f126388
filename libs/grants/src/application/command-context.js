"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
//# sourceMappingURL=command-context.js.map