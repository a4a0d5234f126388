"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
//# sourceMappingURL=call.commands.js.map