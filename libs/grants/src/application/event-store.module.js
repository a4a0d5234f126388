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
var EventStoreModule_1;
Object.defineProperty(exports, "__esModule", { value: true });
exports.EventStoreModule = void 0;
exports.schemaRegistry = schemaRegistry;
const common_1 = require("@nestjs/common");
const event_store_1 = require("../../../event-store/src/index.js");
const call_1 = require("../call");
const event_codec_1 = require("./event-codec");
const stream_command_executor_1 = require("./stream-command-executor");
function schemaRegistry() {
    return new event_codec_1.SchemaRegistry().register(call_1.callEventSchemaVersions);
}
let EventStoreLifecycle = class EventStoreLifecycle {
    store;
    constructor(store) {
        this.store = store;
    }
    async onApplicationShutdown() {
        await this.store.close();
    }
};
EventStoreLifecycle = __decorate([
    __param(0, (0, common_1.Inject)(event_store_1.EVENT_STORE)),
    __metadata("design:paramtypes", [Object])
], EventStoreLifecycle);
let EventStoreModule = EventStoreModule_1 = class EventStoreModule {
    static forRoot(options) {
        return {
            module: EventStoreModule_1,
            providers: [
                {
                    provide: event_store_1.EVENT_STORE,
                    useFactory: () => {
                        if (options.kind === 'esdb')
                            throw new Error('EVENT_STORE=esdb is not available yet: use postgres');
                        return new event_store_1.PostgresEventStore({ connectionString: options.databaseUrl, poolSize: 10 });
                    },
                },
                { provide: event_codec_1.EVENT_CODEC, useFactory: () => new event_codec_1.PlainEventCodec(schemaRegistry()) },
                {
                    provide: stream_command_executor_1.StreamCommandExecutor,
                    useFactory: (store, codec) => new stream_command_executor_1.StreamCommandExecutor(store, codec),
                    inject: [event_store_1.EVENT_STORE, event_codec_1.EVENT_CODEC],
                },
                EventStoreLifecycle,
            ],
            exports: [event_store_1.EVENT_STORE, event_codec_1.EVENT_CODEC, stream_command_executor_1.StreamCommandExecutor],
        };
    }
};
exports.EventStoreModule = EventStoreModule;
exports.EventStoreModule = EventStoreModule = EventStoreModule_1 = __decorate([
    (0, common_1.Global)(),
    (0, common_1.Module)({})
], EventStoreModule);
//# sourceMappingURL=event-store.module.js.map