import { ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import type { ValidationError, ValidatorOptions } from 'class-validator';
import { validationExceptionFactory } from '../problem/validation';
import { passesAllRules } from './valid-fast-path';

/**
 * Nest's ValidationPipe with class-validator's verdict on a valid object taken on a fast path
 * (valid-fast-path.ts): the same rules and constraint functions, without the executor's per-call
 * bookkeeping. Whatever the fast path does not pass goes to class-validator as before, so every
 * 400 is class-validator's own.
 */
export class GrantLedgerValidationPipe extends ValidationPipe {
  protected override validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> | ValidationError[] {
    return passesAllRules(object, validatorOptions) ? [] : super.validate(object, validatorOptions);
  }
}

/** The global pipe: unknown properties refused, values transformed into the DTO classes, problem+json errors. */
export const VALIDATION_PIPE_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: validationExceptionFactory,
};

export function createValidationPipe(): GrantLedgerValidationPipe {
  return new GrantLedgerValidationPipe(VALIDATION_PIPE_OPTIONS);
}
