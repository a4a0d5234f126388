"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.requestIdsMiddleware = requestIdsMiddleware;
const node_crypto_1 = require("node:crypto");
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function requestIdsMiddleware(req, res, next) {
    const incomingRequestId = req.header('x-request-id');
    const incomingCorrelationId = req.header('x-correlation-id');
    req.requestId = incomingRequestId && SAFE_ID.test(incomingRequestId) ? incomingRequestId : (0, node_crypto_1.randomUUID)();
    req.correlationId = incomingCorrelationId && SAFE_ID.test(incomingCorrelationId) ? incomingCorrelationId : req.requestId;
    res.setHeader('X-Request-Id', req.requestId);
    res.setHeader('X-Correlation-Id', req.correlationId);
    next();
}
//# sourceMappingURL=request-context.js.map