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
exports.ExecuteCallCommandHandler = exports.ExecuteCallCommand = void 0;
const common_1 = require("@nestjs/common");
const cqrs_1 = require("@nestjs/cqrs");
const clock_1 = require("../../../../platform/src/clock.js");
const call_1 = require("../../call");
const stream_command_executor_1 = require("../stream-command-executor");
class ExecuteCallCommand extends cqrs_1.Command {
    command;
    context;
    constructor(command, context) {
        super();
        this.command = command;
        this.context = context;
    }
}
exports.ExecuteCallCommand = ExecuteCallCommand;
let ExecuteCallCommandHandler = class ExecuteCallCommandHandler {
    executor;
    clock;
    constructor(executor, clock) {
        this.executor = executor;
        this.clock = clock;
    }
    async execute({ command, context }) {
        const callId = command.data.callId;
        const full = { ...command, now: this.clock.now().toISOString() };
        const { id, version } = await this.executor.execute(call_1.callDecider, (0, call_1.callStreamName)(callId), callId, full, context);
        return { id, version };
    }
};
exports.ExecuteCallCommandHandler = ExecuteCallCommandHandler;
exports.ExecuteCallCommandHandler = ExecuteCallCommandHandler = __decorate([
    (0, cqrs_1.CommandHandler)(ExecuteCallCommand),
    __param(1, (0, common_1.Inject)(clock_1.CLOCK)),
    __metadata("design:paramtypes", [stream_command_executor_1.StreamCommandExecutor, Object])
], ExecuteCallCommandHandler);
//# sourceMappingURL=call-commands.js.map