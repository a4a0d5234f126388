import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from './problem-types';

export class FieldErrorDto {
  @ApiProperty({ example: 'criteria.0.weight', description: 'Dotted path of the offending property' })
  field: string;

  @ApiProperty({ type: [String], example: ['weight must be a positive number'] })
  messages: string[];
}

/** OpenAPI schema of our RFC 9457 problem bodies (documentation only). */
export class ProblemDetailsDto {
  @ApiProperty({
    description: 'Stable URI identifying the kind of problem',
    enum: Object.values(PROBLEM_TYPES),
    example: PROBLEM_TYPES.validation,
  })
  type: string;

  @ApiProperty({ example: 'Invalid request' })
  title: string;

  @ApiProperty({ type: 'integer', example: 400 })
  status: number;

  @ApiProperty({ example: 'One or more fields are invalid' })
  detail: string;

  @ApiProperty({ description: 'The request path', example: '/calls' })
  instance: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Validation failures (400)' })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({ description: 'The broken business rule (422)', example: 'budget-within-call-ceiling' })
  rule?: string;

  @ApiPropertyOptional({
    description: 'Version the request expected (409 version conflict)',
    oneOf: [{ type: 'integer' }, { type: 'string', enum: ['any', 'no_stream', 'stream_exists'] }],
  })
  expectedVersion?: number | string;

  @ApiPropertyOptional({ type: 'integer', description: 'Current version of the resource (409 version conflict)' })
  actualVersion?: number;
}

/** Documents each error status with the problem schema, served as application/problem+json. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto, FieldErrorDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: STATUS_CODES[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
      }),
    ),
  );
}
