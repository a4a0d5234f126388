/**
 * A form whose fields come from the request body schema the API documents for an operation
 * (GET /docs-json, read once): types, enums, required fields, lengths and descriptions. The server
 * stays the judge: its RFC 9457 problem details are shown beside the fields they name (`errors[].field`,
 * e.g. `results.0.note`) and above the form for the rest (a 422 rule, a 409 conflict).
 */
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { fetchRaw, type Problem } from './api';
import { useLocale } from './i18n';

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

/** What is sent: empty optional fields left out, numbers as numbers (anything else as typed, for the server to judge). */
function bodyOf(document: OpenApiDocument, raw: JsonSchema, value: Value, required = true): Value {
  const schema = resolve(document, raw);
  if (schema.type === 'object' && schema.properties) {
    const entries = Object.entries(schema.properties)
      .map(([name, property]) => [name, bodyOf(document, property, (value as Record<string, Value>)[name], schema.required?.includes(name) ?? false)] as const)
      .filter(([, v]) => v !== undefined);
    return Object.fromEntries(entries);
  }
  if (schema.type === 'array') {
    const items = resolve(document, schema.items);
    const list = value as Value[];
    if (list.length === 0 && !required) return undefined;
    if (items.type === 'object') return list.map((item) => bodyOf(document, items, item));
    return list;
  }
  if (value === '' && !required) return undefined;
  if ((schema.type === 'integer' || schema.type === 'number') && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}

const humanize = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

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
  labelOf(path: string, name: string): string;
  /** The enclosing group's label ("Results 1"), so a nested field's label says whose it is ("Results 1: Rule"). */
  context?: string;
}

function Field(props: FieldProps): JSX.Element {
  const { document, name, path, idPrefix, required, value, onChange, errors, labelOf, context } = props;
  const { t } = useLocale();
  const schema = resolve(document, props.schema);
  const id = `${idPrefix}-${path.replace(/\./g, '-')}`;
  const label = context ? `${context}: ${labelOf(path, name)}` : labelOf(path, name);
  const fieldErrors = errors.get(path);
  const hintId = schema.description ? `${id}-hint` : undefined;
  const errorId = fieldErrors ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const extras = (
    <>
      {schema.description && <small id={hintId} class="hint">{schema.description}</small>}
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
          {list.map((item, index) => (
            <div class="array-item" key={index}>
              <Field {...props} schema={items} name={`${name} ${index + 1}`} context={context} path={`${path}.${index}`} required value={item} onChange={(next) => onChange(list.map((old, i) => (i === index ? next : old)))} />
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
          <option key={option} value={String(option)}>{String(option)}</option>
        ))}
      </select>
    );
  } else if (schema.type === 'integer' || schema.type === 'number') {
    control = <input {...common} type="number" inputMode="decimal" step={schema.type === 'integer' ? 1 : 'any'} value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else if ((schema.maxLength ?? 0) > 200) {
    control = <textarea {...common} rows={3} maxLength={schema.maxLength} value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else {
    control = <input {...common} type="text" maxLength={schema.maxLength} placeholder={typeof schema.example === 'string' ? schema.example : undefined} value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} />;
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
  labelOf?(path: string, name: string): string;
}

export function SchemaForm({ path, method = 'post', title, submitLabel, submit, labelOf = (_path, name) => humanize(name) }: SchemaFormProps): JSX.Element {
  const { t } = useLocale();
  const [document, setDocument] = useState<OpenApiDocument>();
  const [value, setValue] = useState<Value>({});
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string>();
  const idPrefix = `form-${path.replace(/[^a-z0-9]+/gi, '-')}`;

  useEffect(() => {
    openApiDocument().then(
      (doc) => {
        setDocument(doc);
        const schema = requestSchema(doc, path, method);
        setValue(schema ? initialValue(doc, schema) : {});
      },
      (error: unknown) => setLoadError(String((error as Problem).title ?? error)),
    );
  }, [path, method]);

  if (loadError) return <p role="alert">{loadError}</p>;
  if (!document) return <p>{t('common.loading')}</p>;
  const schema = requestSchema(document, path, method);
  const errors = new Map<string, string[]>((problem?.errors ?? []).map((error) => [error.field, error.messages]));

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setDone(false);
    try {
      const answer = await submit(schema ? bodyOf(document, schema, value) : undefined);
      setProblem(answer);
      if (!answer) {
        setDone(true);
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
      {problem && (
        <div class="problem" role="alert" data-testid="problem">
          <strong>{t('common.error', { status: problem.status, title: problem.title })}</strong>
          {problem.detail && <p>{problem.detail}</p>}
          {problem.rule && <p><code>{problem.rule}</code></p>}
        </div>
      )}
      {schema?.properties &&
        Object.entries(schema.properties).map(([name, property]) => (
          <Field
            key={name}
            document={document}
            schema={property}
            name={name}
            path={name}
            idPrefix={idPrefix}
            required={schema.required?.includes(name) ?? false}
            value={(value as Record<string, Value>)[name]}
            onChange={(next) => setValue({ ...(value as Record<string, Value>), [name]: next })}
            errors={errors}
            labelOf={labelOf}
          />
        ))}
      <button type="submit" disabled={busy}>{submitLabel ?? t('common.submit')}</button>
    </form>
  );
}
