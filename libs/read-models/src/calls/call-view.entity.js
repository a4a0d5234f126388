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
exports.CallView = exports.bigintAsNumber = void 0;
const typeorm_1 = require("typeorm");
exports.bigintAsNumber = { to: (value) => value, from: (value) => (value === null ? null : Number(value)) };
let CallView = class CallView {
    id;
    status;
    programme;
    title;
    description;
    currency;
    budgetMinor;
    minAwardMinor;
    maxAwardMinor;
    committedMinor;
    eligibleCountries;
    minPartners;
    reviewsRequired;
    criteria;
    opensAt;
    closesAt;
    deadlineExtensions;
    publishedAt;
    closedAt;
    cancelledAt;
    statusReason;
    createdAt;
    updatedAt;
    version;
};
exports.CallView = CallView;
__decorate([
    (0, typeorm_1.PrimaryColumn)('uuid'),
    __metadata("design:type", String)
], CallView.prototype, "id", void 0);
__decorate([
    (0, typeorm_1.Column)('text'),
    __metadata("design:type", String)
], CallView.prototype, "status", void 0);
__decorate([
    (0, typeorm_1.Column)('text'),
    __metadata("design:type", String)
], CallView.prototype, "programme", void 0);
__decorate([
    (0, typeorm_1.Column)('text'),
    __metadata("design:type", String)
], CallView.prototype, "title", void 0);
__decorate([
    (0, typeorm_1.Column)('text'),
    __metadata("design:type", String)
], CallView.prototype, "description", void 0);
__decorate([
    (0, typeorm_1.Column)('char', { length: 3 }),
    __metadata("design:type", String)
], CallView.prototype, "currency", void 0);
__decorate([
    (0, typeorm_1.Column)('bigint', { name: 'budget_minor', transformer: exports.bigintAsNumber }),
    __metadata("design:type", Number)
], CallView.prototype, "budgetMinor", void 0);
__decorate([
    (0, typeorm_1.Column)('bigint', { name: 'min_award_minor', transformer: exports.bigintAsNumber }),
    __metadata("design:type", Number)
], CallView.prototype, "minAwardMinor", void 0);
__decorate([
    (0, typeorm_1.Column)('bigint', { name: 'max_award_minor', transformer: exports.bigintAsNumber }),
    __metadata("design:type", Number)
], CallView.prototype, "maxAwardMinor", void 0);
__decorate([
    (0, typeorm_1.Column)('bigint', { name: 'committed_minor', transformer: exports.bigintAsNumber }),
    __metadata("design:type", Number)
], CallView.prototype, "committedMinor", void 0);
__decorate([
    (0, typeorm_1.Column)('text', { name: 'eligible_countries', array: true }),
    __metadata("design:type", Array)
], CallView.prototype, "eligibleCountries", void 0);
__decorate([
    (0, typeorm_1.Column)('int', { name: 'min_partners' }),
    __metadata("design:type", Number)
], CallView.prototype, "minPartners", void 0);
__decorate([
    (0, typeorm_1.Column)('int', { name: 'reviews_required' }),
    __metadata("design:type", Number)
], CallView.prototype, "reviewsRequired", void 0);
__decorate([
    (0, typeorm_1.Column)('jsonb'),
    __metadata("design:type", Array)
], CallView.prototype, "criteria", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'opens_at' }),
    __metadata("design:type", Date)
], CallView.prototype, "opensAt", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'closes_at' }),
    __metadata("design:type", Date)
], CallView.prototype, "closesAt", void 0);
__decorate([
    (0, typeorm_1.Column)('jsonb', { name: 'deadline_extensions' }),
    __metadata("design:type", Array)
], CallView.prototype, "deadlineExtensions", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'published_at', nullable: true }),
    __metadata("design:type", Object)
], CallView.prototype, "publishedAt", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'closed_at', nullable: true }),
    __metadata("design:type", Object)
], CallView.prototype, "closedAt", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'cancelled_at', nullable: true }),
    __metadata("design:type", Object)
], CallView.prototype, "cancelledAt", void 0);
__decorate([
    (0, typeorm_1.Column)('text', { name: 'status_reason', nullable: true }),
    __metadata("design:type", Object)
], CallView.prototype, "statusReason", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'created_at' }),
    __metadata("design:type", Date)
], CallView.prototype, "createdAt", void 0);
__decorate([
    (0, typeorm_1.Column)('timestamptz', { name: 'updated_at' }),
    __metadata("design:type", Date)
], CallView.prototype, "updatedAt", void 0);
__decorate([
    (0, typeorm_1.Column)('int'),
    __metadata("design:type", Number)
], CallView.prototype, "version", void 0);
exports.CallView = CallView = __decorate([
    (0, typeorm_1.Entity)({ name: 'calls' })
], CallView);
//# sourceMappingURL=call-view.entity.js.map