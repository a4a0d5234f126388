import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from './problem-types';

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

  @ApiPropertyOptional({ description: 'The broken business rule (422): a stable code, listed per command', example: 'proposal.call.not-published' })
  rule?: string;

  @ApiPropertyOptional({
    description: 'Version the request expected (409 version conflict)',
    oneOf: [{ type: 'integer' }, { type: 'string', enum: ['any', 'no_stream', 'stream_exists'] }],
  })
  expectedVersion?: number | string;

  @ApiPropertyOptional({ type: 'integer', description: 'Current version of the resource (409 version conflict)' })
  actualVersion?: number;

  @ApiPropertyOptional({ description: 'The state the resource is in (409 invalid state transition)', example: 'closed' })
  currentStatus?: string;

  @ApiPropertyOptional({ description: 'What the command tried (409 invalid state transition)', example: 'publish the call' })
  attempted?: string;
}

interface ProblemExample {
  summary: string;
  value: ProblemDetails;
}

const CALL_ID = '0b9f3c52-6a4e-4d8e-9a55-3f0f7f1b2c10';
const PROPOSAL_ID = '7d2e4a90-3c1b-4f6e-8a7d-5b9c0e1f2a34';

/** One realistic answer per kind of problem, as the problem-details filter writes it. */
const EXAMPLES = {
  validation: {
    summary: 'A field is invalid',
    value: {
      type: PROBLEM_TYPES.validation,
      title: 'Invalid request',
      status: 400,
      detail: 'One or more fields are invalid',
      instance: '/calls',
      errors: [
        { field: 'budgetMinor', messages: ['budgetMinor must be a positive integer'] },
        { field: 'criteria.0.weight', messages: ['weight must not be greater than 100'] },
      ],
    },
  },
  malformedRequest: {
    summary: 'The body is not JSON',
    value: { type: PROBLEM_TYPES.malformedRequest, title: 'Malformed request', detail: 'The request body is not valid JSON', status: 400, instance: '/calls' },
  },
  unauthenticated: {
    summary: 'No or no valid bearer token',
    value: { type: PROBLEM_TYPES.unauthenticated, title: 'Unauthenticated', status: 401, detail: 'A bearer token is required', instance: `/calls/${CALL_ID}` },
  },
  forbidden: {
    summary: 'The role may not use this route',
    value: { type: PROBLEM_TYPES.forbidden, title: 'Forbidden', status: 403, detail: 'The role auditor may not use this route', instance: `/calls/${CALL_ID}/publish` },
  },
  notFound: {
    summary: 'Unknown, or not visible to the caller',
    value: { type: PROBLEM_TYPES.notFound, title: 'Not found', status: 404, detail: `call-${CALL_ID} not found`, instance: `/calls/${CALL_ID}/publish` },
  },
  versionConflict: {
    summary: 'If-Match named an older version (or a concurrent change won)',
    value: {
      type: PROBLEM_TYPES.versionConflict,
      title: 'Version conflict',
      status: 409,
      detail: 'The resource has changed: expected version 3, current version 4',
      instance: `/proposals/${PROPOSAL_ID}/submit`,
      expectedVersion: 3,
      actualVersion: 4,
    },
  },
  invalidStateTransition: {
    summary: 'The command does not fit the current state',
    value: {
      type: PROBLEM_TYPES.invalidStateTransition,
      title: 'Invalid state transition',
      status: 409,
      detail: 'Cannot publish the call while closed',
      instance: `/calls/${CALL_ID}/publish`,
      currentStatus: 'closed',
      attempted: 'publish the call',
    },
  },
  alreadyExists: {
    summary: 'Creating what exists',
    value: { type: PROBLEM_TYPES.alreadyExists, title: 'Already exists', status: 409, detail: `proposal-${PROPOSAL_ID} already exists`, instance: '/proposals' },
  },
  ruleViolation: {
    summary: 'A business rule is broken',
    value: {
      type: PROBLEM_TYPES.domainRuleViolation,
      title: 'Business rule violated',
      status: 422,
      detail: 'Proposals can be drafted and submitted only while the call is published (it is closed)',
      instance: `/proposals/${PROPOSAL_ID}/submit`,
      rule: 'proposal.call.not-published',
    },
  },
  idempotencyKeyReused: {
    summary: 'The Idempotency-Key was used before for another request',
    value: {
      type: PROBLEM_TYPES.idempotencyKeyReused,
      title: 'Idempotency-Key reused',
      status: 422,
      detail: 'This Idempotency-Key was already used for a different request',
      instance: `/calls/${CALL_ID}/close`,
      rule: 'idempotency.key-reused',
    },
  },
  tooManyRequests: {
    summary: 'A limit was reached (see Retry-After)',
    value: { type: PROBLEM_TYPES.tooManyRequests, title: 'Too many requests', status: 429, detail: 'Too many commands from this caller: at most 6000 every 10 s', instance: `/calls/${CALL_ID}/close` },
  },
  serviceUnavailable: {
    summary: 'The database or the event store is unreachable (see Retry-After)',
    value: {
      type: PROBLEM_TYPES.serviceUnavailable,
      title: 'Service unavailable',
      status: 503,
      detail: 'A service this request needs is unavailable for a moment. Retry after the number of seconds in Retry-After.',
      instance: `/calls/${CALL_ID}`,
    },
  },
} satisfies Record<string, ProblemExample>;

/** What each documented status means here, and its examples. */
const STATUSES: Record<number, { description: string; examples: Record<string, ProblemExample> }> = {
  400: {
    description: 'Invalid input: `errors` names each invalid field (validation), or the body or URL could not be read (malformed request).',
    examples: { validation: EXAMPLES.validation, malformedRequest: EXAMPLES.malformedRequest },
  },
  401: { description: 'No bearer token, or one that is invalid or expired.', examples: { unauthenticated: EXAMPLES.unauthenticated } },
  403: { description: 'The token is valid but its role (or organisation) may not do this.', examples: { forbidden: EXAMPLES.forbidden } },
  404: { description: 'Not found, or not visible to the caller (a stranger is not told it exists).', examples: { notFound: EXAMPLES.notFound } },
  409: {
    description:
      'Conflict: the stream is not at the version `If-Match` named (`expectedVersion`, `actualVersion`), or the command does not fit the resource\'s current state (`currentStatus`, `attempted`), or it creates something that exists.',
    examples: { versionConflict: EXAMPLES.versionConflict, invalidStateTransition: EXAMPLES.invalidStateTransition, alreadyExists: EXAMPLES.alreadyExists },
  },
  422: {
    description: 'A business rule is broken: `rule` is a stable code, `detail` says how.',
    examples: { ruleViolation: EXAMPLES.ruleViolation, idempotencyKeyReused: EXAMPLES.idempotencyKeyReused },
  },
  429: { description: 'Too many requests: wait the seconds in `Retry-After`.', examples: { tooManyRequests: EXAMPLES.tooManyRequests } },
  503: { description: 'Unavailable for a moment: retry after the seconds in `Retry-After`.', examples: { serviceUnavailable: EXAMPLES.serviceUnavailable } },
};

const problemSchema = () => ({ $ref: getSchemaPath(ProblemDetailsDto) });

/**
 * Documents each error status with the problem schema, served as application/problem+json, with
 * that status's own description and examples.
 */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto, FieldErrorDto),
    ...statuses.map((status) => {
      const documented = STATUSES[status];
      return ApiResponse({
        status,
        description: documented?.description ?? STATUS_CODES[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema(), ...(documented ? { examples: documented.examples } : {}) } },
      });
    }),
  );
}

/** A rule as documentation sees it: a DomainRuleViolation class (its static `rule` code and its name). */
export interface DocumentedRule {
  readonly rule: string;
  readonly name: string;
}

/**
 * The 422 answer of one command: the rule codes it can raise, listed in the description and as the
 * `rule` enum of its schema, plus the Idempotency-Key rule every command has. Place it ABOVE
 * ApiProblemResponses on the method (decorators apply bottom-up, and the later 422 wins).
 */
export function ApiRuleViolations(rules: readonly DocumentedRule[], note?: string): MethodDecorator {
  const codes = [...new Set(rules.map((rule) => rule.rule))].sort();
  const all = [...codes, EXAMPLES.idempotencyKeyReused.value.rule as string];
  const listed = codes.map((code) => `\`${code}\``).join(', ');
  const first = rules.find((rule) => rule.rule === codes[0]);
  // Joined to ApiProblemResponses' 422 description by @nestjs/swagger, so it only adds the list.
  const description =
    (codes.length ? `Rules this command's decider can raise: ${listed}.` : "This command's decider raises no business rule of its own.") +
    (note ? ` ${note}` : '') +
    ' And `idempotency.key-reused` when an Idempotency-Key is sent again with a different request.';
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto, FieldErrorDto),
    ApiResponse({
      status: 422,
      description,
      content: {
        [PROBLEM_CONTENT_TYPE]: {
          schema: { allOf: [problemSchema(), { type: 'object', properties: { rule: { type: 'string', enum: all } } }] },
          examples: {
            ...(first
              ? {
                  [first.name]: {
                    summary: `Rule ${first.rule}`,
                    value: { ...EXAMPLES.ruleViolation.value, detail: sentence(first.name), rule: first.rule },
                  },
                }
              : {}),
            idempotencyKeyReused: EXAMPLES.idempotencyKeyReused,
          },
        },
      },
    }),
  );
}

/** `CallNotPublished` → `Call not published`. */
function sentence(className: string): string {
  const words = className.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
