"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.PlainEventCodec = exports.SchemaRegistry = exports.EVENT_CODEC = void 0;
exports.EVENT_CODEC = Symbol('EVENT_CODEC');
class SchemaRegistry {
    versions = new Map();
    register(versions) {
        for (const [type, version] of Object.entries(versions)) {
            if (this.versions.has(type))
                throw new Error(`Event type ${type} registered twice`);
            this.versions.set(type, version);
        }
        return this;
    }
    versionOf(type) {
        const version = this.versions.get(type);
        if (version === undefined)
            throw new Error(`Unknown event type ${type}: add it to its stream's schema versions`);
        return version;
    }
}
exports.SchemaRegistry = SchemaRegistry;
class PlainEventCodec {
    registry;
    constructor(registry) {
        this.registry = registry;
    }
    async encode(_streamId, event, metadata) {
        return { type: event.type, schemaVersion: this.registry.versionOf(event.type), data: event.data, metadata };
    }
    async decode(event) {
        return event;
    }
}
exports.PlainEventCodec = PlainEventCodec;
//# sourceMappingURL=event-codec.js.map