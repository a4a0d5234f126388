import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { plainToInstance, Type } from 'class-transformer';
import {
  getMetadataStorage, IsArray, IsInt, IsOptional, IsString, Min, validate, validateSync, ValidateIf, ValidateNested, ValidateBy, type ValidationError,
} from 'class-validator';
import { RequestValidationError } from '../problem/validation';
import { IsOmittable } from './decorators';
import { passesAllRules } from './valid-fast-path';
import { cacheValidationMetadata } from './validation-metadata-cache';
import { createValidationPipe, isPlainData, VALIDATION_PIPE_OPTIONS } from './validation-pipe';

// Every DTO of the API, loaded so that their rules are registered (the files that import class-validator).
const SRC = join(__dirname, '..', '..');
const dtoFiles: string[] = [];
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.ts$/.test(name) && !/\.spec\.ts$/.test(name) && !path.includes(join('http', 'validation'))) {
      if (readFileSync(path, 'utf8').includes("from 'class-validator'")) dtoFiles.push(path);
    }
  }
};
walk(SRC);

cacheValidationMetadata();
const storage = getMetadataStorage();
const hasRules = (cls: unknown): cls is new () => object =>
  typeof cls === 'function' && storage.getTargetValidationMetadatas(cls, '', false, false).length > 0;
let dtoClasses: (new () => object)[] = [];
beforeAll(async () => {
  const modules = await Promise.all(dtoFiles.map(async (path) => (await import(path)) as Record<string, unknown>));
  dtoClasses = [...new Set(modules.flatMap((module) => Object.values(module)).filter(hasRules))];
});

const nestPipe = new ValidationPipe(VALIDATION_PIPE_OPTIONS);
const ourPipe = createValidationPipe();

/** What a pipe made of a value: the DTO it handed on, or the field errors of its 400. */
async function outcome(pipe: ValidationPipe, value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
  try {
    const result: unknown = await pipe.transform(structuredClone(value), metadata);
    return { passed: shape(result) };
  } catch (error) {
    if (error instanceof RequestValidationError) return { refused: error.errors };
    return { threw: String(error) };
  }
}

/** A value with the class of each object spelled out, so that toEqual compares the classes too. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value instanceof Date) return { date: value.toISOString() };
  if (value !== null && typeof value === 'object') {
    return { class: value.constructor?.name, own: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shape(item)])) };
  }
  return value;
}

/** A small seeded generator, so that a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [
  null, undefined, '', ' ', 'x', 'relevance', 'LB', 'EUR', 'eur', '2027-03-01T12:00:00Z', '2027-02-30', '12', '1e3', 0, 1, -1, 1.5, 100, 1e300,
  Number.MAX_SAFE_INTEGER + 1, true, false, [], [''], ['LB'], [null], [{}], {}, { a: 1 }, 'a'.repeat(300), 'b3c1e1a0-0000-4000-8000-000000000000',
];
const EXTRA_KEYS = ['extra', 'hasOwnProperty', 'toString', 'isPrototypeOf', 'valueOf', '__proto__', 'constructor'];

/** A plain body built from a DTO's OpenAPI examples (valid for most), nested DTOs included. */
function exampleOf(cls: new () => object, depth = 0): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const names = (Reflect.getMetadata('swagger/apiModelPropertiesArray', cls.prototype) as string[] | undefined) ?? [];
  for (const name of names.map((entry) => entry.replace(/^:/, ''))) {
    const property = Reflect.getMetadata('swagger/apiModelProperties', cls.prototype, name) as { example?: unknown; type?: unknown } | undefined;
    if (property?.example !== undefined) body[name] = structuredClone(property.example);
    else if (depth < 3 && typeof property?.type === 'function' && hasRules(property.type)) body[name] = exampleOf(property.type as new () => object, depth + 1);
  }
  return body;
}

function mutate(body: Record<string, unknown>, next: () => number): Record<string, unknown> {
  const copy = structuredClone(body);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const changes = Math.floor(next() * 3);
  for (let change = 0; change < changes; change += 1) {
    const keys = Object.keys(copy);
    const roll = next();
    if (roll < 0.15 && keys.length) delete copy[pick(keys)];
    else if (roll < 0.25) Object.defineProperty(copy, pick(EXTRA_KEYS), { value: pick(ODD_VALUES), enumerable: true, configurable: true, writable: true });
    else if (roll < 0.6 && keys.length) copy[pick(keys)] = structuredClone(pick(ODD_VALUES));
    else if (keys.length) {
      // one level down: an item of an array or a field of a nested object
      const key = pick(keys);
      const inner = copy[key];
      const target = Array.isArray(inner) ? inner[0] : inner;
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        const innerKeys = Object.keys(target);
        if (innerKeys.length && next() < 0.7) (target as Record<string, unknown>)[pick(innerKeys)] = structuredClone(pick(ODD_VALUES));
        else (target as Record<string, unknown>)[pick(EXTRA_KEYS.slice(0, 4))] = 1;
      } else if (Array.isArray(inner)) {
        inner.push(structuredClone(pick(ODD_VALUES)));
      }
    }
  }
  return copy;
}

describe('GrantLedgerValidationPipe', () => {
  it('finds the API DTOs', () => {
    expect(dtoClasses.length).toBeGreaterThan(40);
  });

  it('answers exactly as Nest ValidationPipe on every API DTO: the same DTO (classes, values) or the same 400 field errors (a body array: refused whole)', async () => {
    const next = random(11);
    let passed = 0;
    let refused = 0;
    for (const cls of dtoClasses) {
      const example = exampleOf(cls);
      const bodies: unknown[] = [example, {}, null, undefined, 'text', 5, [example]];
      for (let round = 0; round < 120; round += 1) bodies.push(mutate(example, next));
      for (const type of ['body', 'query'] as const) {
        const metadata: ArgumentMetadata = { type, metatype: cls, data: undefined };
        for (const body of bodies) {
          const ours = await outcome(ourPipe, body, metadata);
          if (type === 'body' && Array.isArray(body)) {
            // The one answer on purpose not Nest's: a body array is refused whole, not field by field.
            expect({ cls: cls.name, outcome: ours }).toEqual({ cls: cls.name, outcome: { threw: 'MalformedRequestError: The request body must be a JSON object' } });
            refused += 1;
            continue;
          }
          const nest = await outcome(nestPipe, body, metadata);
          expect({ cls: cls.name, body, outcome: ours }).toEqual({ cls: cls.name, body, outcome: nest });
          if ((ours as { passed?: unknown }).passed !== undefined) passed += 1;
          else refused += 1;
        }
      }
    }
    // Both verdicts are well exercised.
    expect(passed).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });

  it('answers an empty input (no query string, an empty body) as Nest does, the first time and every time after, on every API DTO', async () => {
    const pipe = createValidationPipe();
    let newInstances = 0;
    for (const cls of dtoClasses) {
      for (const type of ['body', 'query'] as const) {
        const metadata: ArgumentMetadata = { type, metatype: cls, data: undefined };
        const nest = await outcome(nestPipe, {}, metadata);
        const answers: unknown[] = [];
        // A query string parser's object has no prototype.
        for (const empty of [{}, {}, Object.create(null) as object, {}]) {
          expect({ cls: cls.name, type, outcome: await outcome(pipe, empty, metadata) }).toEqual({ cls: cls.name, type, outcome: nest });
          answers.push(await pipe.transform(empty, metadata).catch(() => undefined));
        }
        if (answers[0] !== undefined) {
          newInstances += 1;
          // Each request gets an instance of its own.
          expect(new Set(answers).size).toBe(answers.length);
        }
      }
    }
    expect(newInstances).toBeGreaterThan(10);
  });

  it('hands an empty input on as it is where the pipe does not validate (a custom decorator, a parameter typed Object)', async () => {
    const pipe = createValidationPipe();
    for (const metadata of [{ type: 'custom', metatype: Object, data: undefined }, { type: 'body', metatype: Object, data: undefined }] as ArgumentMetadata[]) {
      for (let round = 0; round < 3; round += 1) {
        const input = {};
        expect(await pipe.transform(input, metadata)).toBe(input);
      }
    }
  });

  it('gives an empty input the class\'s own defaults, and refuses {} every time where a field is required', async () => {
    class WithDefault {
      @IsOptional()
      @IsInt()
      limit: number = 20;
    }
    class Required {
      @IsString()
      name!: string;
    }
    const pipe = createValidationPipe();
    for (let round = 0; round < 3; round += 1) {
      expect(await pipe.transform({}, { type: 'query', metatype: WithDefault, data: undefined })).toEqual(Object.assign(new WithDefault(), { limit: 20 }));
      await expect(pipe.transform({}, { type: 'body', metatype: Required, data: undefined })).rejects.toBeInstanceOf(RequestValidationError);
    }
  });

  it("passes an object on its fast path exactly when class-validator finds no error (its own rules, not just the pipe's answer)", () => {
    const next = random(7);
    const options = { ...VALIDATION_PIPE_OPTIONS, forbidUnknownValues: false, validationError: { target: false } };
    let fast = 0;
    for (const cls of dtoClasses) {
      const example = exampleOf(cls);
      for (let round = 0; round < 60; round += 1) {
        const entity = plainToInstance(cls, round === 0 ? example : mutate(example, next)) as object;
        const errors = validateSync(entity, options);
        expect({ cls: cls.name, entity, passes: passesAllRules(entity, options) }).toEqual({ cls: cls.name, entity, passes: errors.length === 0 });
        if (errors.length === 0) fast += 1;
      }
    }
    expect(fast).toBeGreaterThan(500);
  });

  describe('leaves to class-validator what it does not decide itself', () => {
    it('an asynchronous rule', async () => {
      let calls = 0;
      class WithAsyncRule {
        @ValidateBy({ name: 'isLater', async: true, validator: { validate: async (value: unknown) => (calls += 1) > 0 && value === 'ok' } })
        field: string;
      }
      expect(passesAllRules(plainToInstance(WithAsyncRule, { field: 'ok' }))).toBe(false);
      const errors = await ourPipe.transform({ field: 'no' }, { type: 'body', metatype: WithAsyncRule }).catch((error: RequestValidationError) => error.errors);
      expect(errors).toEqual([{ field: 'field', messages: [expect.any(String)] }]);
      await expect(ourPipe.transform({ field: 'ok' }, { type: 'body', metatype: WithAsyncRule })).resolves.toEqual({ field: 'ok' });
    });

    it('whitelist without forbidNonWhitelisted (class-validator deletes the unknown properties)', () => {
      class Plain {
        @IsString() name: string;
      }
      const entity = plainToInstance(Plain, { name: 'a', extra: 1 });
      expect(passesAllRules(entity, { whitelist: true })).toBe(false);
      expect(passesAllRules(entity, { whitelist: true, forbidNonWhitelisted: true })).toBe(false);
      expect(passesAllRules(plainToInstance(Plain, { name: 'a' }), { whitelist: true, forbidNonWhitelisted: true })).toBe(true);
    });

    it('a rule that throws: class-validator throws as before', async () => {
      class Throwing {
        @ValidateBy({ name: 'throws', validator: { validate: () => { throw new Error('rule failed'); } } })
        field: string;
      }
      expect(passesAllRules(plainToInstance(Throwing, { field: 'x' }))).toBe(false);
      await expect(ourPipe.transform({ field: 'x' }, { type: 'body', metatype: Throwing })).rejects.toThrow('rule failed');
      await expect(nestPipe.transform({ field: 'x' }, { type: 'body', metatype: Throwing })).rejects.toThrow('rule failed');
    });
  });

  it('follows conditions, each-rules, nested arrays and objects like class-validator', async () => {
    class Item {
      @IsInt() @Min(1) weight: number;
    }
    class Body {
      @IsOptional() @IsString() note?: string;
      @IsOmittable() @IsArray() @IsString({ each: true }) tags?: string[];
      @ValidateIf((object: Body) => object.note === 'check') @IsInt() checked?: number;
      @IsArray() @ValidateNested({ each: true }) @Type(() => Item) items: Item[];
    }
    const cases: unknown[] = [
      { items: [] },
      { items: [{ weight: 1 }, { weight: 2 }] },
      { items: [{ weight: 0 }] },
      { items: [[{ weight: 1 }]] },
      { items: [[{ weight: 0 }]] },
      { items: [1] },
      { items: [null] },
      { items: [{ weight: 1, extra: 1 }] },
      { items: { weight: 1 } },
      { note: null, items: [] },
      { note: 5, items: [] },
      { tags: null, items: [] },
      { tags: ['a', 2], items: [] },
      { tags: ['a', 'b'], items: [] },
      { note: 'check', items: [] },
      { note: 'check', checked: 1, items: [] },
      { note: 'other', checked: 'x', items: [] },
      { items: [], hasOwnProperty: 1 },
      { items: [], toString: 1 },
    ];
    for (const body of cases) {
      const metadata: ArgumentMetadata = { type: 'body', metatype: Body };
      expect({ body, outcome: await outcome(ourPipe, body, metadata) }).toEqual({ body, outcome: await outcome(nestPipe, body, metadata) });
      const entity = plainToInstance(Body, structuredClone(body)) as object;
      const errors: ValidationError[] = await validate(entity, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
      expect({ body, passes: passesAllRules(entity, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false }) }).toEqual({ body, passes: errors.length === 0 });
    }
  });

  describe('skips Nest\'s gap-closing and prototype-key walks only for input they would not change', () => {
    class Item {
      @IsInt() weight: number;
    }
    class Body {
      @IsOptional() @IsString() note?: string;
      @IsArray() @ValidateNested({ each: true }) @Type(() => Item) items: Item[];
    }
    const cyclic: Record<string, unknown> = { items: [] };
    cyclic.self = cyclic;
    const sparse = [, { weight: 1 }, , { weight: 2 }];
    const cases: [string, () => unknown, boolean][] = [
      ['JSON', () => JSON.parse('{"note":"a","items":[{"weight":1},{"weight":2}]}'), true],
      ['a query object (null prototype)', () => Object.assign(Object.create(null) as object, { note: 'a', items: [] }), true],
      ['an own __proto__ key, as JSON.parse makes it', () => JSON.parse('{"__proto__":{"note":"polluted"},"items":[]}'), false],
      ['a nested __proto__ key', () => JSON.parse('{"items":[{"weight":1,"__proto__":{"x":1}}]}'), false],
      ['a constructor key', () => JSON.parse('{"constructor":{"name":"x"},"items":[]}'), false],
      ['a prototype key', () => JSON.parse('{"prototype":1,"items":[]}'), false],
      ['a sparse array', () => ({ items: [...[sparse]][0].slice() }), false],
      ['a Date', () => ({ note: new Date(0), items: [] }), false],
      ['a Buffer', () => ({ items: [Buffer.from('x')] }), false],
      ['a cycle', () => cyclic, false],
    ];
    it.each(cases)('%s', async (_case, input, plain) => {
      expect(isPlainData(input() as object)).toBe(plain);
      const metadata: ArgumentMetadata = { type: 'body', metatype: Body };
      const settle = (pipe: ValidationPipe) =>
        pipe.transform(input(), metadata).then(
          (value: unknown) => ({ passed: shape(value) }),
          (error: unknown) => (error instanceof RequestValidationError ? { refused: error.errors } : { threw: String(error) }),
        );
      expect(await settle(ourPipe)).toEqual(await settle(nestPipe));
    });

    it('looks for binary values where nested DTOs are expected as Nest does, at any depth', async () => {
      class Leaf {
        @IsOptional() @IsString() name?: string;
      }
      class Branch {
        @IsOptional() @ValidateNested({ each: true }) @Type(() => Leaf) leaves?: Leaf[];
        @IsOptional() @ValidateNested() @Type(() => Leaf) leaf?: Leaf;
      }
      class Root {
        @IsOptional() @ValidateNested() @Type(() => Branch) branch?: Branch;
        @IsOptional() @ValidateIf(() => false) @ValidateNested() @Type(() => Leaf) skipped?: Leaf;
      }
      const inputs: unknown[] = [
        { branch: { leaves: [{ name: 'a' }], leaf: { name: 'b' } } },
        { branch: { leaves: [{ name: 'a' }, Buffer.from('x')] } },
        { branch: { leaf: new Uint8Array(2) } },
        { branch: { leaves: new Set([Buffer.from('x')]) } },
        { skipped: Buffer.from('x') },
        { branch: Buffer.from('x') },
      ];
      for (const input of inputs) {
        const metadata: ArgumentMetadata = { type: 'body', metatype: Root };
        const settle = (pipe: ValidationPipe) =>
          pipe.transform(input, metadata).then(
            (value: unknown) => ({ passed: shape(value) }),
            (error: unknown) => (error instanceof RequestValidationError ? { refused: error.errors } : { threw: String(error) }),
          );
        expect({ input, outcome: await settle(ourPipe) }).toEqual({ input, outcome: await settle(nestPipe) });
      }
    });

    it('walks at most 10,000 objects before leaving the decision to Nest', () => {
      expect(isPlainData({ items: Array.from({ length: 9_998 }, () => ({})) })).toBe(true);
      expect(isPlainData({ items: Array.from({ length: 10_000 }, () => ({})) })).toBe(false);
    });
  });
});
