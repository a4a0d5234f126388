import 'reflect-metadata';
import { Exclude, Expose, plainToInstance, Transform, Type } from 'class-transformer';
import { IsArray, IsOptional } from 'class-validator';
import { DraftCallDto } from '../../calls/call.dto';
import { ListOrganisationsQuery, RegisterOrganisationDto, UpdateOrganisationDto } from '../../organisations/organisation.dto';
import { plainToInstanceFast, readsDecoratorMetadata } from './plain-to-instance-fast-path';
import { IsPageLimit } from './decorators';

/** A value with the class of each object (and array) spelled out, holes and undefined included. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return { array: Object.getPrototypeOf(value) === Array.prototype, length: value.length, items: Object.entries(value).map(([key, item]) => [key, shape(item)]) };
  if (value instanceof Date) return { date: value.getTime() };
  if (value instanceof Set) return { set: [...value].map(shape) };
  if (value instanceof Map) return { map: [...value].map(shape) };
  if (value !== null && typeof value === 'object') {
    return { class: Object.getPrototypeOf(value)?.constructor?.name ?? null, own: Object.entries(value).map(([key, item]) => [key, shape(item)]) };
  }
  if (typeof value === 'function') return { function: value.name };
  return { [typeof value]: value };
}

class Leaf {
  @IsOptional() name?: string;
}
class Tree {
  @Type(() => Leaf) leaf?: Leaf;
  @Type(() => Leaf) leaves?: Leaf[];
  @Type(() => Number) count?: number;
  @Type(() => String) label?: string;
  @Type(() => Boolean) flag?: boolean;
  @Type(() => Date) at?: Date;
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)) trimmed?: string;
  @IsPageLimit(50) limit?: number;
  @IsArray() loose?: unknown[];
  untyped?: unknown;
  get computed(): string {
    return 'computed';
  }
  method(): string {
    return 'method';
  }
}
class Exposing {
  @Expose({ name: 'renamed' }) original?: string;
}
@Exclude()
class Excluding {
  @Expose() shown?: string;
}

const parse = (text: string): unknown => JSON.parse(text);
const sparse = (): unknown[] => {
  const array: unknown[] = [];
  array[2] = { name: 'b' };
  return array;
};

const cases: [string, new () => object, () => unknown][] = [
  ['a draft call', DraftCallDto, () => parse('{"title":"t","criteria":[{"id":"a","weight":60},{"id":"b","weight":40}],"eligibleCountries":["LB"],"budgetMinor":1}')],
  ['criteria that are not objects', DraftCallDto, () => ({ criteria: ['x', 1, null, [{ id: 'a' }], [[]]] })],
  ['criteria as an object', DraftCallDto, () => ({ criteria: { id: 'a' } })],
  ['an organisation with its contact', RegisterOrganisationDto, () => parse('{"name":"n","contactPerson":{"name":"c","email":"e","extra":{"deep":[1,{"x":null}]}},"focusGroups":["a"]}')],
  ['a profile change', UpdateOrganisationDto, () => ({ name: 'n', contactPerson: null, memberUserIds: [] })],
  ['a query, numbers as text', ListOrganisationsQuery, () => Object.assign(Object.create(null) as object, { limit: '20', offset: 'abc', country: 'LB' })],
  ['typed primitives', Tree, () => ({ count: '12', label: 5, flag: 0, trimmed: '  x  ', limit: '7', at: null })],
  ['typed primitives from objects', Tree, () => ({ count: { a: 1 }, label: [1, 2], flag: [] })],
  ['nested classes', Tree, () => ({ leaf: { name: 'a', other: 1 }, leaves: [{ name: 'b' }, null, 'c', [{ name: 'd' }]] })],
  ['untyped nested objects and arrays', Tree, () => ({ untyped: { a: { b: [1, { c: 2 }] }, toString: 1, hasOwnProperty: 2 }, loose: [{ x: 1 }, [2]] })],
  ['names of the prototype', Tree, () => ({ computed: 'x', method: 'y', toString: 'z', valueOf: 1, __defineGetter__: 2 })],
  ['a null-prototype nested object', Tree, () => ({ untyped: Object.assign(Object.create(null) as object, { a: 1 }) })],
  ['a sparse array', Tree, () => ({ leaves: sparse(), loose: sparse() })],
  ['undefined values', Tree, () => ({ leaf: undefined, count: undefined, untyped: undefined })],
  ['a Date', Tree, () => ({ at: '2027-01-01T00:00:00Z', untyped: new Date(0) })],
  ['a Set and a Map', Tree, () => ({ loose: new Set([1]), untyped: new Map([[1, 2]]) })],
  ['a Buffer', Tree, () => ({ untyped: Buffer.from('x') })],
  ['a class instance', Tree, () => ({ untyped: new Leaf() })],
  ['a thenable', Tree, () => ({ untyped: { then: () => undefined } })],
  ['a function', Tree, () => ({ untyped: () => 1 })],
  ['an own constructor key', Tree, () => ({ untyped: { constructor: 1 } })],
  ['a top-level constructor key', Tree, () => ({ constructor: { name: 'x' }, count: '1' })],
  ['a top-level __proto__ key', Tree, () => parse('{"__proto__":{"count":"1"},"label":"a"}')],
  ['a top-level array', Tree, () => [{ count: '1' }]],
  ['a string', Tree, () => 'text'],
  ['@Expose with a name', Exposing, () => ({ renamed: 'a', original: 'b' })],
  ['@Exclude on the class', Excluding, () => ({ shown: 'a', hidden: 'b' })],
];

describe('plainToInstanceFast', () => {
  it('reads the metadata class-transformer decorators register', () => {
    expect(readsDecoratorMetadata).toBe(true);
  });

  it.each(cases)('%s: the same instance as class-transformer', (_case, cls, input) => {
    const expected = (() => {
      try {
        return shape(plainToInstance(cls, input()));
      } catch (error) {
        return { threw: String(error) };
      }
    })();
    const actual = (() => {
      try {
        return shape(plainToInstanceFast(cls, input()));
      } catch (error) {
        return { threw: String(error) };
      }
    })();
    expect(actual).toEqual(expected);
  });

  it('follows decorators registered after a first transformation', () => {
    class Late {
      child?: unknown;
    }
    expect(shape(plainToInstanceFast(Late, { child: { a: 1 } }))).toEqual(shape(plainToInstance(Late, { child: { a: 1 } })));
    Type(() => Leaf)(Late.prototype, 'child');
    const late = plainToInstanceFast(Late, { child: { name: 'a' } }) as Late;
    expect(late.child).toBeInstanceOf(Leaf);
  });

  it('passes options on to class-transformer', () => {
    expect(plainToInstanceFast(Tree, { count: '1', other: 2 }, { excludeExtraneousValues: true })).toEqual(plainToInstance(Tree, { count: '1', other: 2 }, { excludeExtraneousValues: true }));
  });
});
