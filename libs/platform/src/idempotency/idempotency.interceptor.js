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
Object.defineProperty(exports, "__esModule", { value: true });
exports.IdempotencyInterceptor = void 0;
const node_crypto_1 = require("node:crypto");
const common_1 = require("@nestjs/common");
const rxjs_1 = require("rxjs");
const typeorm_1 = require("typeorm");
const MAX_KEY_LENGTH = 255;
let IdempotencyInterceptor = class IdempotencyInterceptor {
    dataSource;
    constructor(dataSource) {
        this.dataSource = dataSource;
    }
    intercept(context, next) {
        const http = context.switchToHttp();
        const request = http.getRequest();
        const key = request.header('idempotency-key');
        if (!key || request.method === 'GET')
            return next.handle();
        return (0, rxjs_1.from)(this.run(request, http.getResponse(), key, next));
    }
    async run(request, response, key, next) {
        if (key.length > MAX_KEY_LENGTH)
            throw new common_1.BadRequestException(`Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters`);
        const scope = request.actor?.id ?? 'anonymous';
        const requestHash = (0, node_crypto_1.createHash)('sha256')
            .update(`${request.method} ${request.originalUrl}\n${request.header('if-match') ?? ''}\n${JSON.stringify(request.body ?? null)}`)
            .digest('hex');
        const claimed = await this.dataSource.query(`INSERT INTO idempotency_keys (scope, key, request_hash, state) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`, [scope, key, requestHash]);
        if (claimed.length === 0) {
            const rows = await this.dataSource.query('SELECT state, request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
            const previous = rows[0];
            if (!previous)
                return this.run(request, response, key, next);
            if (previous.request_hash !== requestHash) {
                throw new common_1.UnprocessableEntityException('This Idempotency-Key was already used for a different request');
            }
            if (previous.state === 'pending')
                throw new common_1.ConflictException('A request with this Idempotency-Key is still being processed');
            response.status(previous.status ?? 200);
            response.setHeader('Idempotent-Replayed', 'true');
            return previous.response;
        }
        try {
            const result = await (0, rxjs_1.lastValueFrom)(next.handle(), { defaultValue: undefined });
            await this.dataSource.query(`UPDATE idempotency_keys SET state = 'done', status = $3, response = $4 WHERE scope = $1 AND key = $2`, [scope, key, response.statusCode, JSON.stringify(result ?? null)]);
            return result;
        }
        catch (error) {
            await this.dataSource.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
            throw error;
        }
    }
};
exports.IdempotencyInterceptor = IdempotencyInterceptor;
exports.IdempotencyInterceptor = IdempotencyInterceptor = __decorate([
    (0, common_1.Injectable)(),
    __metadata("design:paramtypes", [typeorm_1.DataSource])
], IdempotencyInterceptor);
//# sourceMappingURL=idempotency.interceptor.js.map