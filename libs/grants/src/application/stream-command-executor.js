"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.StreamCommandExecutor = void 0;
const node_crypto_1 = require("node:crypto");
const event_store_1 = require("../../../event-store/src/index.js");
const decider_1 = require("../shared/decider");
class StreamCommandExecutor {
    store;
    codec;
    constructor(store, codec) {
        this.store = store;
        this.codec = codec;
    }
    async execute(decider, streamId, entityId, command, context) {
        const { state, version } = await this.load(decider, streamId);
        if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
            throw new event_store_1.WrongExpectedVersionError(streamId, context.expectedVersion, version);
        }
        const events = decider.decide(command, state);
        if (events.length === 0)
            return { id: entityId, version, events };
        const stored = await Promise.all(events.map((event) => this.codec.encode(streamId, event, {
            eventId: (0, node_crypto_1.randomUUID)(),
            actorId: context.actor.id,
            actorRole: context.actor.role,
            correlationId: context.correlationId,
            causationId: context.causationId,
            ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
        })));
        const result = await this.store.append(streamId, stored, version < 0 ? 'no_stream' : version);
        return { id: entityId, version: result.nextExpectedVersion, events };
    }
    async load(decider, streamId, upTo) {
        const recorded = await this.store.readStream(streamId);
        const visible = upTo ? recorded.filter((e) => e.recordedAt.getTime() <= upTo.getTime()) : recorded;
        const decoded = await Promise.all(visible.map((e) => this.codec.decode(e)));
        const domainEvents = decoded.map((e) => ({ type: e.type, data: e.data }));
        const version = visible.length ? visible[visible.length - 1].streamVersion : -1;
        return { state: (0, decider_1.fold)(decider, domainEvents), version };
    }
}
exports.StreamCommandExecutor = StreamCommandExecutor;
//# sourceMappingURL=stream-command-executor.js.map