import { getMetadataStorage, IsInt, IsString, MaxLength } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Base {
  @IsString() name: string;
}
class Grouped extends Base {
  @IsInt({ groups: ['admin'] }) level: number;
  @MaxLength(5, { always: true }) code: string;
}

describe('cacheValidationMetadata', () => {
  const storage = getMetadataStorage();
  // The lookup as class-validator answers it, before the cache wraps it.
  const uncached = storage.getTargetValidationMetadatas.bind(storage);
  cacheValidationMetadata(storage);

  const calls: [string | undefined, boolean, boolean, string[] | undefined][] = [
    [undefined, false, false, undefined],
    ['Base', false, false, undefined],
    ['', false, false, undefined],
    [undefined, true, false, undefined],
    [undefined, false, true, undefined],
    [undefined, false, false, ['admin']],
    [undefined, false, false, []],
    ['Base', true, true, ['admin', 'other']],
  ];

  it.each(calls)('answers as class-validator for schema %p, always %p, strictGroups %p, groups %p, and remembers it', (schema, always, strictGroups, groups) => {
    const expected = uncached(Grouped, schema as string, always, strictGroups, groups);
    const first = storage.getTargetValidationMetadatas(Grouped, schema as string, always, strictGroups, groups);
    expect(first).toEqual(expected);
    expect(storage.getTargetValidationMetadatas(Grouped, schema as string, always, strictGroups, groups)).toBe(first);
  });

  it('keeps the calls apart', () => {
    const answers = calls.map(([schema, always, strictGroups, groups]) => storage.getTargetValidationMetadatas(Grouped, schema as string, always, strictGroups, groups).map((m) => m.propertyName).sort());
    const expected = calls.map(([schema, always, strictGroups, groups]) => uncached(Grouped, schema as string, always, strictGroups, groups).map((m) => m.propertyName).sort());
    expect(answers).toEqual(expected);
  });

  it('forgets its answers when a rule is registered', () => {
    class Late {
      @IsString() first: string;
    }
    const before = storage.getTargetValidationMetadatas(Late, undefined as unknown as string, false, false);
    expect(before.map((metadata) => metadata.propertyName)).toEqual(['first']);
    IsInt()(Late.prototype, 'second');
    expect(storage.getTargetValidationMetadatas(Late, undefined as unknown as string, false, false).map((metadata) => metadata.propertyName)).toEqual(['first', 'second']);
  });
});
