/**
 * A form whose fields come from the request body schema the API documents for an operation
 * (GET /docs-json, read once): types, enums, required fields, lengths and descriptions. The server
 * stays the judge: its RFC 9457 problem details are shown beside the fields they name (`errors[].field`,
 * e.g. `results.0.note`) and above the form for the rest (a 422 rule, a 409 conflict).
 *
 * Labels, hints, placeholders and enum values are the console's own, translated (i18n.ts, `form.*`):
 * `form.<operation>.<property path>` for one form's field (`form.consensus.score.hint`), else
 * `form.<property>` for the name wherever it appears (`form.rule`), with `.hint`, `.example` and
 * `=<value>` for the rest; what the console has no string for shows as the OpenAPI document says it.
 * An amount in minor units (`…Minor`, with a `currency`) is typed in major units of that currency
 * and converted exactly (money.ts) before it is sent. The text of an amount keeps the number style
 * it was typed in: switching language never rereads "15,000" typed in English as French 15,000 (15);
 * the amount is shown again in the new language's style, its value unchanged, and the form says so.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { fetchRaw, type Problem } from './api';
import { type Locale, useLocale } from './i18n';
import { formatMajorUnits, parseMajorUnits } from './money';
import { ProblemNotice } from './problems';

export interface JsonSchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: (string | number)[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  description?: string;
  example?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  /** An ECMA-262 regular expression the value must match (the API's `@Matches`), checked before sending. */
  pattern?: string;
  allOf?: JsonSchema[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
  components: { schemas: Record<string, JsonSchema> };
}

let documentPromise: Promise<OpenApiDocument> | undefined;
export function openApiDocument(): Promise<OpenApiDocument> {
  documentPromise ??= fetchRaw('/docs-json').then((response) => response.json() as Promise<OpenApiDocument>);
  documentPromise.catch(() => (documentPromise = undefined));
  return documentPromise;
}

export function resolve(document: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema {
  let current = schema ?? {};
  for (let depth = 0; depth < 10; depth += 1) {
    if (current.$ref) current = document.components.schemas[current.$ref.replace('#/components/schemas/', '')] ?? {};
    else if (current.allOf?.length === 1) current = current.allOf[0];
    else break;
  }
  return current;
}

export function requestSchema(document: OpenApiDocument, path: string, method: string): JsonSchema | undefined {
  const schema = document.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
  return schema ? resolve(document, schema) : undefined;
}

type Value = unknown;

/** The first value a field starts with: nothing typed yet; one item in a required list of objects, none in an optional one. */
function initialValue(document: OpenApiDocument, raw: JsonSchema, required = true): Value {
  const schema = resolve(document, raw);
  if (schema.type === 'object' && schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, initialValue(document, property, schema.required?.includes(name) ?? false)]));
  }
  if (schema.type === 'array') {
    const items = resolve(document, schema.items);
    return items.type === 'object' && required ? [initialValue(document, items)] : [];
  }
  if (schema.type === 'boolean') return false;
  return '';
}

/** An amount field: the currency it is typed in, its ISO 4217 minor-unit digits, and how one looks in this locale. */
interface Money {
  currency: string;
  digits: number;
  tag: string;
  example: string;
}

/**
 * An amount field's value: the text as typed, and the locale tag whose number style it was typed
 * in ("15,000" in en-GB is fifteen thousand, in fr-FR fifteen), so it is read as it was meant.
 */
interface TypedAmount {
  text: string;
  tag: string;
}

const isTypedAmount = (value: Value): value is TypedAmount => typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as TypedAmount).text === 'string' && typeof (value as TypedAmount).tag === 'string' && Object.keys(value).length === 2;

/**
 * After a language switch: each amount typed in another number style, shown again in `tag`'s with
 * the same value (kept as it was, and read in its own style, when it is no amount there or would not
 * read back the same). `changed` says whether any was.
 */
function restyleAmounts(value: Value, tag: string, digits: number): { value: Value; changed: boolean } {
  if (isTypedAmount(value)) {
    if (value.tag === tag || value.text.trim() === '') return { value, changed: false };
    const minor = parseMajorUnits(value.text, digits, value.tag, true);
    if (minor === undefined) return { value, changed: false };
    const text = new Intl.NumberFormat(tag, { minimumFractionDigits: 0, maximumFractionDigits: digits }).format(minor / 10 ** digits);
    if (parseMajorUnits(text, digits, tag, true) !== minor) return { value, changed: false };
    return { value: { text, tag }, changed: true };
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => restyleAmounts(item, tag, digits));
    return items.some((item) => item.changed) ? { value: items.map((item) => item.value), changed: true } : { value, changed: false };
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => [key, restyleAmounts(item, tag, digits)] as const);
    return entries.some(([, item]) => item.changed) ? { value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])), changed: true } : { value, changed: false };
  }
  return { value, changed: false };
}

const isAmount = (schema: JsonSchema, name: string, money: Money | undefined): money is Money => money !== undefined && (schema.type === 'integer' || schema.type === 'number') && /Minor$/.test(name);

/** A typed amount that is not one (too many decimals, a letter): refused here, as nothing exact could be sent. */
class NotAnAmount extends Error {
  constructor(readonly path: string) {
    super(path);
  }
}

/** A typed value the document's `pattern` does not match (a reviewer id with a space): refused here, as the server would. */
class NotInPattern extends Error {
  constructor(
    readonly path: string,
    readonly name: string,
  ) {
    super(path);
  }
}

/** Whether `value` matches the schema's documented pattern (a pattern this browser cannot read is left to the server). */
function matchesPattern(schema: JsonSchema, value: string): boolean {
  if (schema.pattern === undefined) return true;
  try {
    return new RegExp(schema.pattern).test(value);
  } catch {
    return true;
  }
}

/** What is sent: empty optional fields left out, numbers as numbers, amounts in minor units (anything else as typed, for the server to judge). */
function bodyOf(document: OpenApiDocument, raw: JsonSchema, value: Value, money: Money | undefined, required = true, name = '', path = ''): Value {
  const schema = resolve(document, raw);
  if (schema.type === 'object' && schema.properties) {
    const entries = Object.entries(schema.properties)
      .map(([child, property]) => [child, bodyOf(document, property, (value as Record<string, Value>)[child], money, schema.required?.includes(child) ?? false, child, path ? `${path}.${child}` : child)] as const)
      .filter(([, v]) => v !== undefined);
    return Object.fromEntries(entries);
  }
  if (schema.type === 'array') {
    const items = resolve(document, schema.items);
    const list = value as Value[];
    if (list.length === 0 && !required) return undefined;
    if (items.type === 'object') return list.map((item, index) => bodyOf(document, items, item, money, true, name, `${path}.${index}`));
    return list;
  }
  // An amount is read in the number style it was typed in, whatever the language is now.
  const typed = isTypedAmount(value) ? value : undefined;
  const leaf = typed?.text === '' ? '' : value;
  if (leaf === '' && !required) return undefined;
  if (isAmount(schema, name, money) && leaf !== '') {
    // A field whose schema allows negatives (a reallocation's change) takes a sign.
    const minor = parseMajorUnits(typed?.text ?? String(leaf), money.digits, typed?.tag ?? money.tag, typeof schema.minimum === 'number' && schema.minimum < 0);
    if (minor === undefined) throw new NotAnAmount(path);
    return minor;
  }
  if ((schema.type === 'integer' || schema.type === 'number') && leaf !== '' && Number.isFinite(Number(leaf))) return Number(leaf);
  if (typeof leaf === 'string' && leaf !== '' && !matchesPattern(schema, leaf)) throw new NotInPattern(path, name);
  return typed ? typed.text : leaf;
}

const humanize = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

/** The console's words for a form's fields (see the top of this file), the OpenAPI document's where it has none. */
interface Labels {
  label(path: string, name: string): string;
  hint(path: string, name: string, schema: JsonSchema): string | undefined;
  example(path: string, name: string, schema: JsonSchema): string | undefined;
  option(path: string, name: string, value: string): string;
  /** What a value the documented pattern refuses should look like, where the console has words for it. */
  invalid(path: string, name: string): string | undefined;
}

function labelsFor(operation: string, { lookup }: Locale, money: Money | undefined): Labels {
  const params = money ? { currency: money.currency, digits: money.digits, example: money.example } : undefined;
  // `results.0.rule` is the field `results.rule` of the operation, whichever item it is in.
  const find = (path: string, name: string, suffix: string) => lookup(`form.${operation}.${path.replace(/\.\d+(?=\.|$)/g, '')}${suffix}`, params) ?? lookup(`form.${name}${suffix}`, params);
  return {
    label: (path, name) => find(path, name, '') ?? humanize(name),
    hint: (path, name, schema) => find(path, name, '.hint') ?? schema.description,
    example: (path, name, schema) => find(path, name, '.example') ?? (typeof schema.example === 'string' ? schema.example : undefined),
    option: (path, name, value) => find(path, name, `=${value}`) ?? value,
    invalid: (path, name) => find(path, name, '.invalid'),
  };
}

interface FieldProps {
  document: OpenApiDocument;
  schema: JsonSchema;
  name: string;
  path: string;
  idPrefix: string;
  required: boolean;
  value: Value;
  onChange(value: Value): void;
  errors: Map<string, string[]>;
  labels: Labels;
  money?: Money;
  /** An item of a list of objects: its number, shown after the list's label ("Results 1"). */
  item?: number;
  /** The enclosing group's label ("Results 1"), so a nested field's label says whose it is ("Results 1: Rule"). */
  context?: string;
  /** What the view knows beside a field (the call's maximum beside a new amount), by field path. */
  notes?: Record<string, string>;
}

function Field(props: FieldProps): JSX.Element {
  const { document, name, path, idPrefix, required, value, onChange, errors, labels, money, item, context, notes } = props;
  const { t } = useLocale();
  const schema = resolve(document, props.schema);
  const id = `${idPrefix}-${path.replace(/\./g, '-')}`;
  const own = item === undefined ? labels.label(path, name) : `${labels.label(path, name)} ${item}`;
  const label = context ? `${context}: ${own}` : own;
  const fieldErrors = errors.get(path);
  const hint = item === undefined ? labels.hint(path, name, schema) : undefined;
  const hintId = hint ? `${id}-hint` : undefined;
  const note = notes?.[path];
  const noteId = note ? `${id}-note` : undefined;
  const errorId = fieldErrors ? `${id}-error` : undefined;
  const describedBy = [hintId, noteId, errorId].filter(Boolean).join(' ') || undefined;
  const extras = (
    <>
      {hint && <small id={hintId} class="hint">{hint}</small>}
      {note && <small id={noteId} class="hint" data-testid="field-note">{note}</small>}
      {fieldErrors && <span id={errorId} class="field-error" role="alert">{fieldErrors.join('; ')}</span>}
    </>
  );

  if (schema.type === 'object' && schema.properties) {
    return (
      <fieldset class="nested">
        <legend>{label}</legend>
        {Object.entries(schema.properties).map(([child, childSchema]) => (
          <Field
            key={child}
            {...props}
            schema={childSchema}
            name={child}
            item={undefined}
            context={label}
            path={path ? `${path}.${child}` : child}
            required={schema.required?.includes(child) ?? false}
            value={(value as Record<string, Value>)[child]}
            onChange={(next) => onChange({ ...(value as Record<string, Value>), [child]: next })}
          />
        ))}
        {fieldErrors && extras}
      </fieldset>
    );
  }
  if (schema.type === 'array') {
    const items = resolve(document, schema.items);
    const list = value as Value[];
    if (items.type === 'object') {
      return (
        <fieldset class="nested">
          <legend>{label}</legend>
          {list.map((entry, index) => (
            <div class="array-item" key={index}>
              <Field {...props} schema={items} name={name} item={index + 1} context={context} path={`${path}.${index}`} required value={entry} onChange={(next) => onChange(list.map((old, i) => (i === index ? next : old)))} />
              <button type="button" class="secondary" onClick={() => onChange(list.filter((_, i) => i !== index))}>
                {t('common.remove')} {index + 1}
              </button>
            </div>
          ))}
          <button type="button" class="secondary" onClick={() => onChange([...list, initialValue(document, items)])}>
            {t('common.add')}
          </button>
          {extras}
        </fieldset>
      );
    }
    return (
      <div class="field">
        <label for={id}>{label}{required && ' *'}</label>
        <textarea id={id} rows={3} aria-describedby={describedBy} aria-invalid={fieldErrors ? 'true' : undefined} value={(list as string[]).join('\n')} onInput={(e) => onChange(e.currentTarget.value.split('\n').filter((line) => line.trim() !== ''))} />
        {extras}
      </div>
    );
  }
  if (schema.type === 'boolean') {
    return (
      <div class="field checkbox">
        <input id={id} type="checkbox" aria-describedby={describedBy} aria-invalid={fieldErrors ? 'true' : undefined} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
        <label for={id}>{label}</label>
        {extras}
      </div>
    );
  }
  const common = { id, name: path, required, 'aria-describedby': describedBy, 'aria-invalid': fieldErrors ? ('true' as const) : undefined };
  let control: JSX.Element;
  if (schema.enum) {
    control = (
      <select {...common} value={String(value)} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">—</option>
        {schema.enum.map((option) => (
          <option key={option} value={String(option)}>{labels.option(path, name, String(option))}</option>
        ))}
      </select>
    );
  } else if (isAmount(schema, name, money)) {
    // Typed in major units of the currency, as the board shows amounts; converted exactly when sent.
    control = (
      <span class="amount">
        <input {...common} type="text" inputMode="decimal" autoComplete="off" placeholder={money.example} value={isTypedAmount(value) ? value.text : String(value)} onInput={(e) => onChange({ text: e.currentTarget.value, tag: money.tag } satisfies TypedAmount)} />
        <span class="currency" data-testid="amount-currency">{money.currency}</span>
      </span>
    );
  } else if (schema.type === 'integer' || schema.type === 'number') {
    control = <input {...common} type="number" inputMode="decimal" step={schema.type === 'integer' ? 1 : 'any'} value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else if ((schema.maxLength ?? 0) > 200) {
    control = <textarea {...common} rows={3} maxLength={schema.maxLength} value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else {
    control = <input {...common} type="text" maxLength={schema.maxLength} placeholder={labels.example(path, name, schema)} value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
  return (
    <div class="field">
      <label for={id}>{label}{required && ' *'}</label>
      {control}
      {extras}
    </div>
  );
}

export interface SchemaFormProps {
  /** The documented path, e.g. `/proposals/{id}/eligibility`. */
  path: string;
  method?: 'post' | 'patch';
  title: string;
  submitLabel?: string;
  /** Sends the body; answers the problem to show, or nothing when it went through. */
  submit(body: unknown): Promise<Problem | undefined>;
  /** The currency of the form's amounts (`…Minor` fields), typed in its major units. */
  currency?: string;
  /**
   * What a refused rule means here, in the reader's language and the form's own units (the server's
   * detail is English and counts minor units: "Award 9000000 exceeds the requested 6000000"); shown
   * above the server's detail, which stays as sent.
   */
  explain?: (problem: Problem) => string | undefined;
  /**
   * For a command that cannot be undone (terminating or closing a grant): what it does, said when
   * the form is submitted; it is sent only once the reader confirms.
   */
  confirm?: string;
  /**
   * Fields the view has already chosen (the reviewer a "Recuse" button stands beside): not shown,
   * sent as given. The schema still documents them; the server still judges them.
   */
  fixed?: Record<string, unknown>;
  /** What the view knows beside a field, by field path (`newAmountMinor`: the call's maximum award). */
  notes?: Record<string, string>;
}

/** The operation a documented path names, for its fields' strings: `/proposals/{id}/decision` → `decision`. */
const operationOf = (path: string) => path.split('/').filter((segment) => segment && !segment.startsWith('{')).pop() ?? '';

export function SchemaForm({ path, method = 'post', title, submitLabel, submit, currency, explain, confirm, fixed, notes }: SchemaFormProps): JSX.Element {
  const locale = useLocale();
  const { t } = locale;
  const digits = currency === undefined ? undefined : locale.minorUnits(currency);
  const money = currency === undefined || digits === undefined ? undefined : { currency, digits, tag: locale.tag, example: formatMajorUnits(locale.tag, 50000, digits) };
  const labels = labelsFor(operationOf(path), locale, money);
  const [document, setDocument] = useState<OpenApiDocument>();
  const [value, setValue] = useState<Value>({});
  const [problem, setProblem] = useState<Problem>();
  /**
   * A field refused here before anything was sent (an amount that is not one, a value the documented
   * pattern refuses), kept as what happened so it is said in the language chosen afterwards too.
   */
  const [refused, setInvalid] = useState<{ path: string; name: string; reason: 'amount' | 'pattern' }>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  /** The form awaits the reader's confirmation (`confirm`); a change to a field withdraws it. */
  const [confirming, setConfirming] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const [loadProblem, setLoadProblem] = useState<Problem>();
  const [loadAttempt, setLoadAttempt] = useState(0);
  const idPrefix = `form-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  /** The amounts typed were shown again in the number style of the language switched to. */
  const [restyled, setRestyled] = useState(false);

  // Another language: amounts typed in the last one's number style are shown in this one's, same value.
  useEffect(() => {
    if (digits === undefined) return;
    const next = restyleAmounts(value, locale.tag, digits);
    if (next.changed) {
      setValue(next.value);
      setRestyled(true);
    }
  }, [locale.tag, digits]);

  useEffect(() => {
    setLoadProblem(undefined);
    openApiDocument().then(
      (doc) => {
        setDocument(doc);
        const schema = requestSchema(doc, path, method);
        setValue(schema ? initialValue(doc, schema) : {});
      },
      (error: Problem) => setLoadProblem(error),
    );
  }, [path, method, loadAttempt]);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  if (loadProblem) return <ProblemNotice problem={loadProblem} onRetry={() => setLoadAttempt((n) => n + 1)} />;
  if (!document) return <p>{t('common.loading')}</p>;
  const schema = requestSchema(document, path, method);
  const errors = new Map<string, string[]>((problem?.errors ?? []).map((error) => [error.field, error.messages]));
  const explanation = problem ? explain?.(problem) : undefined;
  const invalid = refused && {
    path: refused.path,
    message:
      refused.reason === 'pattern'
        ? (labels.invalid(refused.path, refused.name) ?? t('form.patternInvalid'))
        : money
          ? t('form.amountInvalid', { currency: money.currency, digits: money.digits, example: money.example })
          : t('form.patternInvalid'),
  };
  if (invalid) errors.set(invalid.path, [invalid.message]);

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    let body: Value;
    try {
      body = schema ? bodyOf(document, schema, value, money) : undefined;
      if (fixed) body = { ...(body as Record<string, Value>), ...fixed };
    } catch (error) {
      if (error instanceof NotInPattern) {
        setProblem(undefined);
        setInvalid({ path: error.path, name: error.name, reason: 'pattern' });
        return;
      }
      if (!(error instanceof NotAnAmount) || !money) throw error;
      setProblem(undefined);
      setInvalid({ path: error.path, name: '', reason: 'amount' });
      return;
    }
    setInvalid(undefined);
    if (confirm !== undefined && !confirming) {
      setProblem(undefined);
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setBusy(true);
    try {
      const answer = await submit(body);
      setProblem(answer);
      if (!answer) {
        setDone(true);
        setRestyled(false);
        if (schema) setValue(initialValue(document, schema));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="schema-form" onSubmit={onSubmit} aria-label={title} noValidate>
      <h4>{title}</h4>
      {done && <p role="status" class="done">{t('common.done')}</p>}
      {restyled && money && <p role="status" class="hint" data-testid="amounts-restyled">{t('form.amountsRestyled', { currency: money.currency })}</p>}
      {invalid && (
        <div class="problem" role="alert" data-testid="problem">
          <strong>{invalid.message}</strong>
        </div>
      )}
      <ProblemNotice problem={problem} explanation={explanation} testId="problem" />
      {schema?.properties &&
        Object.entries(schema.properties)
          .filter(([name]) => !(fixed && name in fixed))
          .map(([name, property]) => (
          <Field
            key={name}
            document={document}
            schema={property}
            name={name}
            path={name}
            idPrefix={idPrefix}
            required={schema.required?.includes(name) ?? false}
            value={(value as Record<string, Value>)[name]}
            onChange={(next) => {
              setConfirming(false);
              setRestyled(false);
              setValue({ ...(value as Record<string, Value>), [name]: next });
            }}
            errors={errors}
            labels={labels}
            money={money}
            notes={notes}
          />
        ))}
      {confirming ? (
        <div class="confirm" role="alert" data-testid="confirm">
          <p>{confirm}</p>
          <button type="submit" ref={confirmButton} disabled={busy}>{t('form.confirm', { action: title })}</button>{' '}
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>{t('form.notNow')}</button>
        </div>
      ) : (
        <button type="submit" disabled={busy}>{submitLabel ?? t('common.submit')}</button>
      )}
    </form>
  );
}
