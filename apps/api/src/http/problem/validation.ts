import { BadRequestException, HttpException, HttpStatus, type ValidationError } from '@nestjs/common';
import type { FieldError } from './problem-types';

/** Bounds the response to a hostile payload with thousands of invalid items. */
const MAX_FIELD_ERRORS = 100;

/** Request input failed class-validator rules; carries one entry per offending field. */
export class RequestValidationError extends BadRequestException {
  constructor(readonly errors: FieldError[]) {
    super('The request is not valid');
    this.name = new.target.name;
  }
}

/** The detail of a body that is valid JSON but not an object (a scalar: the JSON parser; an array: the validation pipe). */
export const BODY_NOT_AN_OBJECT = 'The request body must be a JSON object';

/**
 * The request cannot be read as a whole (e.g. its JSON nests deeper than allowed): a 400
 * malformed-request problem whose detail is this message, so the message never quotes input.
 */
export class MalformedRequestError extends BadRequestException {
  constructor(detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

/** A limit was reached (429): the problem carries this detail and the response a Retry-After header. */
export class TooManyRequestsError extends HttpException {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail, HttpStatus.TOO_MANY_REQUESTS);
    this.name = new.target.name;
  }
}

/** Pass to `new ValidationPipe({ exceptionFactory: validationExceptionFactory })`. */
export function validationExceptionFactory(errors: ValidationError[]): RequestValidationError {
  return new RequestValidationError(toFieldErrors(errors));
}

/** Flattens class-validator's tree into dotted paths (`criteria.0.weight`). */
export function toFieldErrors(errors: readonly ValidationError[], parentPath = ''): FieldError[] {
  const result: FieldError[] = [];
  const visit = (nodes: readonly ValidationError[], prefix: string): void => {
    for (const node of nodes) {
      if (result.length >= MAX_FIELD_ERRORS) return;
      const field = prefix ? `${prefix}.${node.property}` : node.property;
      const messages = Object.values(node.constraints ?? {});
      if (messages.length > 0) result.push({ field, messages });
      if (node.children?.length) visit(node.children, field);
    }
  };
  visit(errors, parentPath);
  return result;
}
