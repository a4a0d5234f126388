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
exports.CallsQuery = void 0;
const common_1 = require("@nestjs/common");
const typeorm_1 = require("@nestjs/typeorm");
const typeorm_2 = require("typeorm");
const call_view_entity_1 = require("./call-view.entity");
let CallsQuery = class CallsQuery {
    calls;
    constructor(calls) {
        this.calls = calls;
    }
    async list(filter) {
        if (filter.statuses?.length === 0)
            return { items: [], total: 0 };
        const where = filter.statuses ? { status: (0, typeorm_2.In)(filter.statuses) } : {};
        const [items, total] = await this.calls.findAndCount({ where, order: { createdAt: 'DESC', id: 'ASC' }, take: filter.limit, skip: filter.offset });
        return { items, total };
    }
    byId(id) {
        return this.calls.findOneBy({ id });
    }
};
exports.CallsQuery = CallsQuery;
exports.CallsQuery = CallsQuery = __decorate([
    (0, common_1.Injectable)(),
    __param(0, (0, typeorm_1.InjectRepository)(call_view_entity_1.CallView)),
    __metadata("design:paramtypes", [typeorm_2.Repository])
], CallsQuery);
//# sourceMappingURL=calls.query.js.map