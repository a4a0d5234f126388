"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.CALL_STREAM_PREFIX = exports.CALL_EVENT_TYPES = exports.callEventSchemaVersions = void 0;
exports.isCallEvent = isCallEvent;
exports.callStreamName = callStreamName;
exports.callEventSchemaVersions = {
    CallDrafted: 1,
    CallPublished: 1,
    CallDeadlineExtended: 1,
    CallClosed: 1,
    CallCancelled: 1,
    FundsCommitted: 1,
    FundsReleased: 1,
};
exports.CALL_EVENT_TYPES = Object.keys(exports.callEventSchemaVersions);
function isCallEvent(event) {
    return Object.prototype.hasOwnProperty.call(exports.callEventSchemaVersions, event.type);
}
exports.CALL_STREAM_PREFIX = 'call-';
function callStreamName(callId) {
    return `${exports.CALL_STREAM_PREFIX}${callId}`;
}
//# sourceMappingURL=call.events.js.map