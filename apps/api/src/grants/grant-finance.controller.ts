import { Body, Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsNotEmpty, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type { CommandContext } from '@app/application/command-context';
import { ExecuteGrantCommand, type GrantLifecycleCommand } from '@app/application/grants/grant-commands';
import { grantCommandOptions } from '@app/application/grants/grant-access';
import { grantCommandRules } from '@app/domain/grant';
import { type Actor, CurrentActor, Roles } from '@app/platform';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { CommandCtx } from '../http/command-context.decorator';
import { CommandResultDto } from '../http/command-result.dto';
import { ApiProblemResponses, ApiRuleViolations } from '../http/problem';
import { IsMinorUnits, IsOmittable } from '../http/validation';
import { commandHeaders } from '../http/command-docs';
import { GrantBudgetLineDto } from './grant.dto';

export class AgreeBudgetDto {
  @ApiProperty({
    type: [GrantBudgetLineDto],
    description: 'Distinct lines summing to the grant amount',
    example: [
      { budgetLine: 'Community hearings', amountMinor: 3_000_000 },
      { budgetLine: 'Legal aid', amountMinor: 1_500_000 },
      { budgetLine: 'Coordination', amountMinor: 500_000 },
    ],
  })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => GrantBudgetLineDto)
  lines: GrantBudgetLineDto[];
  @ApiPropertyOptional({
    example: 1000,
    minimum: 0,
    maximum: 10000,
    description: "The call's own term, in basis points (1000 = 10 %): how far spending on a line may exceed its budget by transfers from other lines without an amendment. Omitted: the programme's (BUDGET_TRANSFER_SHARE_BASIS_POINTS, 1000 by default)",
  })
  @IsOmittable() @IsInt() @Min(0) @Max(10_000)
  transferShareBasisPoints?: number;
}

export class ExpenditureLineDto {
  @ApiProperty({ example: 'Community hearings' }) @IsString() @IsNotEmpty() @MaxLength(200)
  budgetLine: string;
  @ApiProperty({ example: 2_950_000, minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Spent on the line, in minor units' })
  @IsMinorUnits({ min: 0 })
  spentMinor: number;
}

export class SubmitFinancialReportDto {
  @ApiProperty({ example: true, description: 'The closing financial report: its accepted costs settle the grant (final payment or recovery)' })
  @IsBoolean()
  final: boolean;
  @ApiProperty({
    type: [ExpenditureLineDto],
    description: 'Per line of the agreed budget, each once (a line left out spent nothing)',
    example: [
      { budgetLine: 'Community hearings', spentMinor: 2_950_000 },
      { budgetLine: 'Legal aid', spentMinor: 1_400_000 },
      { budgetLine: 'Coordination', spentMinor: 550_000 },
    ],
  })
  @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => ExpenditureLineDto)
  expenditure: ExpenditureLineDto[];
  @ApiPropertyOptional({ type: [String], format: 'uuid', example: ['0f8c6b1e-8a4e-4c55-9d55-2b7d3f0e9a11'], description: 'Documents attached to the grant beforehand (statements, receipts), by id' })
  @IsOmittable() @IsArray() @ArrayMaxSize(50) @IsUUID('all', { each: true })
  documentIds?: string[];
}

export class RecordRecoveryDto {
  @ApiProperty({ example: 'SEPA-RETURN-2029-0017', description: "The repayment's bank reference (internal, never public)" }) @IsString() @IsNotEmpty() @MaxLength(200)
  reference: string;
}

const PROGRAMME = ['grant-manager', 'admin'] as const;
const commandDocs = (): MethodDecorator => commandHeaders('grant');

/**
 * A grant's finances beyond tranches: the agreed budget per line, financial reports of expenditure
 * per line (transfers between lines within the agreed share), and the recovery of an unspent
 * advance. The final payment is a tranche, paid at /grants/{id}/disbursements/{trancheId}/payment.
 */
@ApiTags('grants')
@ApiBearerAuth()
@Controller('grants')
export class GrantFinanceController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':id/budget')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({ summary: 'Agree the budget per line (summing to the grant amount), with the share transferable between lines without an amendment' })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.AgreeGrantBudget)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  agreeBudget(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: AgreeBudgetDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.run(
      {
        type: 'AgreeGrantBudget',
        data: {
          grantId,
          lines: body.lines.map(({ budgetLine, amountMinor }) => ({ budgetLine, amountMinor })),
          transferShareBasisPoints: body.transferShareBasisPoints ?? this.config.budgetTransferShareBasisPoints,
          agreedBy: ctx.actor.id,
        },
      },
      ctx,
    );
  }

  @Post(':id/reports/:reportId/financial-submission')
  @HttpCode(200)
  @Roles('applicant', ...PROGRAMME)
  @ApiOperation({
    summary: 'Submit a financial report: expenditure per budget line (by the grantee, or the programme on its behalf)',
    description:
      'On a report scheduled as `financial`. Spending beyond a line is a transfer from the others, allowed without an amendment up to the agreed share of that line (422 `grant.financial-report.transfer-exceeds-share` beyond it: amend the budget first); the total never exceeds the budget. For an applicant of another organisation the grant does not exist (404).',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.SubmitFinancialReport)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  submitFinancialReport(
    @Param('id', ParseUUIDPipe) grantId: string,
    @Param('reportId', ParseUUIDPipe) reportId: string,
    @Body() body: SubmitFinancialReportDto,
    @CommandCtx() ctx: CommandContext,
    @CurrentActor() actor: Actor,
  ): Promise<CommandResultDto> {
    const documents = body.documentIds === undefined ? {} : { documentIds: [...body.documentIds] };
    return this.run(
      {
        type: 'SubmitFinancialReport',
        data: { grantId, reportId, final: body.final, expenditure: body.expenditure.map(({ budgetLine, spentMinor }) => ({ budgetLine, spentMinor })), ...documents },
      },
      ctx,
      grantCommandOptions(actor),
    );
  }

  @Post(':id/recovery')
  @HttpCode(200)
  @Roles(...PROGRAMME)
  @ApiOperation({
    summary: 'Record that the grantee repaid the unspent advance the final financial report showed (it goes back to the call at closure)',
    description: 'Also on a terminated grant: the debt survives the termination, which already released the amount owed to the call.',
  })
  @ApiOkResponse({ type: CommandResultDto })
  @ApiRuleViolations(grantCommandRules.RecordAdvanceRecovery)
  @ApiProblemResponses(400, 401, 403, 404, 409, 422)
  @commandDocs()
  recordRecovery(@Param('id', ParseUUIDPipe) grantId: string, @Body() body: RecordRecoveryDto, @CommandCtx() ctx: CommandContext): Promise<CommandResultDto> {
    return this.run({ type: 'RecordAdvanceRecovery', data: { grantId, reference: body.reference } }, ctx);
  }

  private run(command: GrantLifecycleCommand, ctx: CommandContext, options = {}): Promise<CommandResultDto> {
    return this.commandBus.execute(new ExecuteGrantCommand(command, ctx, options));
  }
}
