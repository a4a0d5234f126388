"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.loggerParams = loggerParams;
function loggerParams(level) {
    return {
        pinoHttp: {
            level,
            genReqId: (req) => req.requestId ?? 'unknown',
            customProps: (req) => ({ correlationId: req.correlationId }),
            serializers: {
                req: (req) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
                res: (res) => ({ statusCode: res.statusCode }),
            },
            redact: { paths: ['req.headers', 'res.headers', 'headers.authorization'], remove: true },
            autoLogging: { ignore: (req) => req.url === '/health' },
        },
    };
}
//# sourceMappingURL=logging.js.map