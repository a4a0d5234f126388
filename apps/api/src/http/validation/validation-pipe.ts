import { type ArgumentMetadata, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { getMetadataStorage, type ValidationError, type ValidatorOptions } from 'class-validator';
import { BODY_NOT_AN_OBJECT, MalformedRequestError, validationExceptionFactory } from '../problem/validation';
import { classToPlain } from 'class-transformer';
import { plainToInstanceFast } from './plain-to-instance-fast-path';
import { passesAllRules } from './valid-fast-path';
import { lowerCaseUuids } from '../uuid-case';

/**
 * Nest's ValidationPipe with class-validator's verdict on a valid object taken on a fast path
 * (valid-fast-path.ts): the same rules and constraint functions, without the executor's per-call
 * bookkeeping. Whatever the fast path does not pass goes to class-validator as before, so every
 * 400 is class-validator's own.
 */
export class GrantLedgerValidationPipe extends ValidationPipe {
  /**
   * Per argument kind (query, body…), per DTO class: whether an empty input (`{}`: most reads send no
   * query string) comes out of the pipe as a plain new instance of the class, with nothing refused.
   * Asked of the pipe itself the first time, and remembered only when its answer is exactly what
   * `new Class()` gives (a class-transformer default or a refusal answers "no": the pipe then runs
   * every time). An empty query was ~15 µs of a GET's CPU (issue 11).
   */
  private readonly emptyInputIsNewInstance = new Map<string, WeakMap<object, boolean>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const result = await this.validated(value, metadata);
    // Ids compare lower-case everywhere (uuid-case.ts): in what a request sends, not in a custom
    // decorator's value (the command context).
    if (metadata.type !== 'custom') lowerCaseUuids(result);
    return result;
  }

  private async validated(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as (new () => object) | undefined;
    // A body a DTO class reads is a JSON object: an array is refused as a whole, like a scalar (the
    // JSON parser's strict mode), not member by member ("property 0 should not exist", then every
    // field missing).
    if (metadata.type === 'body' && Array.isArray(value) && metatype && this.toValidate(metadata)) throw new MalformedRequestError(BODY_NOT_AN_OBJECT);
    // Only where the pipe validates (a DTO class; not a custom decorator's value, not `Object`): there
    // it answers a new object anyway, elsewhere the input itself.
    if (!metatype || this.expectedType || !this.toValidate(metadata) || !isEmptyObject(value)) return super.transform(value, metadata);
    let known = this.emptyInputIsNewInstance.get(metadata.type);
    if (!known) this.emptyInputIsNewInstance.set(metadata.type, (known = new WeakMap()));
    const answer = known.get(metatype);
    if (answer === true) return new metatype();
    const result: unknown = await super.transform(value, metadata);
    if (answer === undefined) known.set(metatype, isNewInstance(result, metatype));
    return result;
  }

  /** Inputs found to hold nothing that closeArrayGaps or stripProtoKeys would change (see isPlainData). */
  private readonly plainInputs = new WeakSet<object>();

  /**
   * Nest walks the whole input twice before transforming it: once to close the gaps of sparse arrays,
   * once to delete `__proto__`, `prototype` and `constructor` keys. Input as a JSON or urlencoded
   * parser makes it has neither, and one cheaper walk tells: then both walks are skipped (they would
   * change nothing); otherwise they run as before. (Called just before stripProtoKeys, synchronously.)
   */
  protected override closeArrayGaps(value: unknown): void {
    if (value !== null && typeof value === 'object' && isPlainData(value)) {
      this.plainInputs.add(value);
      return;
    }
    super.closeArrayGaps(value);
  }

  protected override stripProtoKeys(value: unknown): void {
    if (value !== null && typeof value === 'object' && this.plainInputs.delete(value)) return;
    super.stripProtoKeys(value);
  }

  /**
   * Nest looks for binary values (Buffers, typed arrays) where a nested DTO is expected, building a
   * message for every nested property on the way, found or not. The same walk without the messages
   * tells first whether there is any such value at all; only then does Nest's own run (its errors).
   */
  protected override findNestedBinaryValues(object: unknown, metadataCache?: Map<unknown, unknown[]>): ValidationError[] {
    return this.holdsNestedBinary(object, new Map()) ? super.findNestedBinaryValues(object, metadataCache) : [];
  }

  /** Nest's findNestedBinaryValues walk (same conditions, same look-ups), answering whether it meets a binary value. */
  private holdsNestedBinary(object: unknown, metadataCache: Map<unknown, readonly { type: string; propertyName: string }[]>): boolean {
    if (
      object === null ||
      typeof object !== 'object' ||
      Array.isArray(object) ||
      isBinary(object) ||
      typeof object.constructor !== 'function' ||
      !Object.values(object).some((value) => value !== null && typeof value === 'object')
    ) {
      return false;
    }
    let metadatas = metadataCache.get(object.constructor);
    if (!metadatas) {
      const { always = false, strictGroups = false, groups } = this.validatorOptions;
      metadatas = getMetadataStorage().getTargetValidationMetadatas(object.constructor, undefined as unknown as string, always, strictGroups, groups);
      metadataCache.set(object.constructor, metadatas);
    }
    for (const metadata of metadatas) {
      if (metadata.type !== 'nestedValidation') continue;
      if (this.nestedValueHoldsBinary((object as Record<string, unknown>)[metadata.propertyName], metadataCache)) return true;
    }
    return false;
  }

  private nestedValueHoldsBinary(value: unknown, metadataCache: Map<unknown, readonly { type: string; propertyName: string }[]>): boolean {
    if (isBinary(value)) return true;
    if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
      const items: unknown[] = value instanceof Set ? Array.from(value) : value instanceof Map ? Array.from(value.values()) : value;
      let found = false;
      items.forEach((item) => {
        if (!found && this.nestedValueHoldsBinary(item, metadataCache)) found = true;
      });
      return found;
    }
    return this.holdsNestedBinary(value, metadataCache);
  }

  protected override validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> | ValidationError[] {
    return passesAllRules(object, validatorOptions) ? [] : super.validate(object, validatorOptions);
  }
}

/** `{}` as a parser makes it (a query string parser's objects have no prototype). */
function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return Object.getOwnPropertySymbols(value).length === 0;
}

/** Whether the pipe's answer is what `new metatype()` gives: same class, same own properties and values. */
function isNewInstance(result: unknown, metatype: new () => object): boolean {
  try {
    return result instanceof metatype && Object.getPrototypeOf(result) === metatype.prototype && isDeepStrictEqual(result, new metatype());
  } catch {
    return false;
  }
}

const isBinary = (value: unknown): boolean => ArrayBuffer.isView(value) || value instanceof ArrayBuffer;

/** Objects and arrays visited at most: past that (a cycle, or a huge input) Nest's own walks decide. */
const MAX_PLAIN_DATA_NODES = 10_000;

/**
 * Whether `value` is data as JSON.parse or qs makes it — objects whose prototype is Object.prototype
 * (or null) without an own `__proto__`, `prototype` or `constructor` key, arrays without gaps,
 * primitives — so that Nest's closeArrayGaps and stripProtoKeys would leave it exactly as it is.
 * Anything else (a Date, a Buffer, a class instance, a sparse array, a cycle) answers false.
 */
export function isPlainData(value: object): boolean {
  const stack: unknown[] = [value];
  let nodes = 0;
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if ((nodes += 1) > MAX_PLAIN_DATA_NODES) return false;
    if (Array.isArray(current)) {
      if (Object.getPrototypeOf(current) !== Array.prototype) return false;
      for (let index = 0; index < current.length; index += 1) {
        if (!(index in current)) return false;
        stack.push(current[index]);
      }
      continue;
    }
    const prototype: unknown = Object.getPrototypeOf(current);
    if (prototype !== Object.prototype && prototype !== null) return false;
    if (Object.hasOwn(current, '__proto__') || Object.hasOwn(current, 'prototype') || Object.hasOwn(current, 'constructor')) return false;
    for (const key in current) stack.push((current as Record<string, unknown>)[key]);
  }
  return true;
}

/** The global pipe: unknown properties refused, values transformed into the DTO classes, problem+json errors. */
export const VALIDATION_PIPE_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: validationExceptionFactory,
};

/** class-transformer, with plainToInstance on a fast path for plain input (plain-to-instance-fast-path.ts). */
const TRANSFORMER = { plainToInstance: plainToInstanceFast, classToPlain };

export function createValidationPipe(): GrantLedgerValidationPipe {
  return new GrantLedgerValidationPipe({ ...VALIDATION_PIPE_OPTIONS, transformerPackage: TRANSFORMER });
}
