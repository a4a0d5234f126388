import { MalformedRequestError, RequestValidationError } from '../problem/validation';
import { assertStorableRequest, findUnstorableInput, inputLimitsFromEnv, unstorableTextKind } from './body-guard';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = level % 2 ? [value] : { a: value };
  return value;
};

describe('unstorableTextKind', () => {
  it.each([
    ['plain text', 'Bidoun Rights Collective', undefined],
    ['Arabic and an emoji (a surrogate pair)', 'مجموعة 🌍', undefined],
    ['a NUL', 'Rima\u0000H.', 'nul'],
    ['a lone high surrogate', 'abc\uD800', 'lone-surrogate'],
    ['a lone low surrogate', '\uDC00abc', 'lone-surrogate'],
    ['two high surrogates', '\uD83D\uD83D', 'lone-surrogate'],
    ['a reversed pair', '\uDF0D\uD83C', 'lone-surrogate'],
    ['ESC, a colour code', 'a\u001b[31mb', 'control'],
    ['BEL', 'ring\u0007', 'control'],
    ['vertical tab and form feed', 'a\u000B\u000Cb', 'control'],
    ['DEL', 'a\u007F', 'control'],
    ['a C1 control (NEL)', 'a\u0085b', 'control'],
    ['a right-to-left override', 'report\u202Efdp.exe', 'bidi-override'],
    ['a left-to-right embedding', '\u202Aabc\u202C', 'bidi-override'],
    ['tab and line breaks', 'a\tb\r\nc\nd', undefined],
    ['marks and isolates', 'منح \u2067Bidoun\u2069\u200F\u200E\u061C', undefined],
  ])('%s', (_case, text, kind) => {
    expect(unstorableTextKind(text)).toBe(kind);
  });
});

describe('findUnstorableInput', () => {
  it('names string values and keys anywhere, as dotted paths in document order', () => {
    const findings = findUnstorableInput({
      title: 'ok',
      contactPerson: { name: 'Rima\u0000', email: 'rima@example.org' },
      criteria: [{ id: 'a' }, { id: '\uD800' }],
      ['bad\u0000key']: 1,
    });
    expect(findings.tooDeep).toBe(false);
    expect(findings.fields.map((field) => field.field)).toEqual(['contactPerson.name', 'criteria.1.id', 'bad\uFFFDkey']);
    expect(findings.fields[2].messages[0]).toContain('its name');
    // Nothing of the value is echoed.
    expect(JSON.stringify(findings)).not.toContain('Rima');
  });

  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(findUnstorableInput(nested(32), { maxJsonDepth: 32 }).tooDeep).toBe(false);
    expect(findUnstorableInput(nested(33), { maxJsonDepth: 32 }).tooDeep).toBe(true);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(findUnstorableInput(deep, { maxJsonDepth: 200_000 }).tooDeep).toBe(false);
    expect(findUnstorableInput(deep).tooDeep).toBe(true);
  });

  it('stops after 20 findings', () => {
    expect(findUnstorableInput(Array.from({ length: 500 }, () => '\u0000')).fields).toHaveLength(20);
  });
});

describe('assertStorableRequest', () => {
  it('passes clean input', () => {
    expect(() => assertStorableRequest({ body: { a: ['b'] }, query: { limit: '5' }, params: { id: 'x' } })).not.toThrow();
  });

  it('refuses NUL in the query or the path as field errors', () => {
    const error = catchError(() => assertStorableRequest({ body: {}, query: { actor: 'a\u0000' }, params: { id: '\u0000' } }));
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).errors.map((field) => field.field)).toEqual(['actor', 'id']);
  });

  it('refuses deep input as a malformed request naming the limit', () => {
    const error = catchError(() => assertStorableRequest({ body: nested(40) }, { maxJsonDepth: 32 }));
    expect(error).toBeInstanceOf(MalformedRequestError);
    expect((error as Error).message).toBe('The request body is nested deeper than 32 levels');
  });
});

describe('inputLimitsFromEnv', () => {
  it('defaults to 32 and reads MAX_JSON_DEPTH', () => {
    expect(inputLimitsFromEnv({})).toEqual({ maxJsonDepth: 32 });
    expect(inputLimitsFromEnv({ MAX_JSON_DEPTH: '8' })).toEqual({ maxJsonDepth: 8 });
  });

  it.each(['0', '-1', '1.5', 'deep', '100000'])('refuses MAX_JSON_DEPTH=%s', (value) => {
    expect(() => inputLimitsFromEnv({ MAX_JSON_DEPTH: value })).toThrow(/MAX_JSON_DEPTH/);
  });
});

function catchError(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('findUnstorableInput paths, as the walk has always spelled them', () => {
  /** The walk as it was before paths were spelled out only for findings (the reference). */
  function reference(input: unknown, maxJsonDepth = 32): { fields: { field: string; messages: string[] }[]; tooDeep: boolean } {
    const fields: { field: string; messages: string[] }[] = [];
    const stack: { value: unknown; path: string; depth: number; key?: string }[] = [{ value: input, path: '', depth: 0 }];
    const printable = (key: string) => key.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
    const push = (path: string, kind: string | undefined, what: 'value' | 'name') => {
      if (!kind) return;
      const field = path || '(body)';
      const subject = what === 'name' ? 'its name' : field.slice(field.lastIndexOf('.') + 1);
      fields.push({ field, messages: [kind === 'nul' ? `${subject} must not contain the NUL character (U+0000)` : `${subject} must be valid Unicode text: it holds an unpaired UTF-16 surrogate`] });
    };
    while (stack.length > 0 && fields.length < 20) {
      const { value, path, depth, key } = stack.pop()!;
      if (key !== undefined) push(path, unstorableTextKind(key), 'name');
      if (typeof value === 'string') {
        push(path, unstorableTextKind(value), 'value');
        continue;
      }
      if (value === null || typeof value !== 'object') continue;
      if (depth + 1 > maxJsonDepth) return { fields, tooDeep: true };
      const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [childKey, child] = entries[index];
        stack.push({ value: child, path: path ? `${path}.${printable(childKey)}` : printable(childKey), depth: depth + 1, key: childKey });
      }
    }
    return { fields: fields.slice(0, 20), tooDeep: false };
  }

  it.each([
    ['nested objects and arrays', { a: { b: ['ok', 'x\u0000', { c: '\uD800' }] }, d: 'fine' }],
    ['an empty name at the start of a path', { '': { a: 'x\u0000', '': ['\uDC00'] } }],
    ['empty names deeper down', { a: { '': { '': 'x\u0000' } } }],
    ['unstorable names at every level', { ['k\u0000']: { ['\uD800']: ['v\u0000'] } }],
    ['a top-level string', '\u0000'],
    ['more than 20 findings', { list: Array.from({ length: 30 }, (_, index) => (index % 2 ? { ['n\u0000']: 'v\u0000' } : 'x\u0000')) }],
    ['too deep after findings', { a: 'x\u0000', b: nested(40) }],
    ['surrogate pairs and clean text', { name: 'مجموعة 🌍', tags: ['🌍🌍', 'a'] }],
  ])('%s', (_case, input) => {
    expect(findUnstorableInput(input)).toEqual(reference(input));
  });
});
