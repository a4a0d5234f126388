"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.AlreadyExists = exports.StreamNotFound = exports.InvalidStateTransition = exports.DomainRuleViolation = void 0;
exports.fold = fold;
exports.assertNever = assertNever;
function fold(decider, events) {
    return events.reduce(decider.evolve, decider.initialState);
}
function assertNever(value) {
    throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
class DomainRuleViolation extends Error {
    rule;
    constructor(rule, message) {
        super(message);
        this.rule = rule;
        this.name = new.target.name;
    }
}
exports.DomainRuleViolation = DomainRuleViolation;
class InvalidStateTransition extends Error {
    currentStatus;
    attempted;
    constructor(currentStatus, attempted) {
        super(`Cannot ${attempted} while ${currentStatus}`);
        this.currentStatus = currentStatus;
        this.attempted = attempted;
        this.name = new.target.name;
    }
}
exports.InvalidStateTransition = InvalidStateTransition;
class StreamNotFound extends Error {
    streamId;
    constructor(streamId) {
        super(`${streamId} not found`);
        this.streamId = streamId;
        this.name = new.target.name;
    }
}
exports.StreamNotFound = StreamNotFound;
class AlreadyExists extends Error {
    streamId;
    constructor(streamId) {
        super(`${streamId} already exists`);
        this.streamId = streamId;
        this.name = new.target.name;
    }
}
exports.AlreadyExists = AlreadyExists;
//# sourceMappingURL=decider.js.map