/**
 * A record's fields as a person reads them, for the time machine (the record as it stood, and the
 * fields that differ now): each field by its name in the reader's language (`field.<name>`, else
 * the form's word for it, `form.<name>`; the raw name for a field the console does not know), and
 * each value as the rest of the console shows it — amounts in the record's currency, dates and
 * times, statuses and decisions in words, countries by name, lists as lists, a nested object as its
 * labelled fields. Text people typed is isolated (<bdi>) and cut after 160 characters.
 */
import type { ComponentChildren, JSX } from 'preact';
import type { Locale } from '../i18n';

/** The record the field belongs to, for its currency and the words of its statuses. */
export interface RecordContext {
  currency?: string;
  kind: 'call' | 'proposal' | 'grant';
}

/** A field's name in words; the raw name for one the console has no label for. */
export const fieldLabel = ({ lookup }: Locale, key: string): string => lookup(`field.${key}`) ?? lookup(`form.${key}`) ?? key;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const LONG = 160;
/** A nested value this deep is shown as a count, not opened further. */
const MAX_DEPTH = 3;

/** Fields whose values are words of the console (an enum), by the prefix of their strings. */
const WORDS: Record<string, (value: string, context: RecordContext, locale: Locale) => string | undefined> = {
  status: (value, { kind }, { lookup }) => (kind === 'grant' ? lookup(`status.grant.${value}`) : undefined) ?? lookup(`status.${value}`),
  decision: (value, _context, { lookup }) => lookup(`form.decision=${value}`),
  recommendation: (value, _context, { lookup }) => lookup(`form.recommendation=${value}`),
  kind: (value, _context, { lookup }) => lookup(`reportKind.${value}`) ?? lookup(`amendmentKind.${value}`),
  actorRole: (value, _context, { role }) => role(value),
};

function regionName(locale: Locale, code: string): string {
  try {
    return new Intl.DisplayNames(locale.tag, { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

const cut = (text: string) => (text.length > LONG ? `${text.slice(0, LONG - 1)}…` : text);

const isMarker = (value: Record<string, unknown>): value is { personalData: string } => typeof value.personalData === 'string' && Object.keys(value).length === 1;

/** A value in words, as text: for a slider's summary, a title. */
export function fieldText(locale: Locale, context: RecordContext, key: string, value: unknown): string {
  const shown = fieldValue(locale, context, key, value);
  return typeof shown === 'string' ? shown : '';
}

/** A field's value as a person reads it (text, or a list for a list of records). */
export function fieldValue(locale: Locale, context: RecordContext, key: string, value: unknown, depth = 0): string | JSX.Element {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return locale.t(value ? 'common.yes' : 'common.no');
  if (typeof value === 'number') {
    if (/Minor$/.test(key) && context.currency) return locale.money(value, context.currency);
    if (key === 'transferShareBasisPoints') return new Intl.NumberFormat(locale.tag, { style: 'percent', maximumFractionDigits: 2 }).format(value / 10_000);
    return new Intl.NumberFormat(locale.tag).format(value);
  }
  if (typeof value === 'string') {
    const word = WORDS[key]?.(value, context, locale);
    if (word !== undefined) return word;
    if (ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return locale.dateTime(value);
    if (ISO_DATE.test(value)) return locale.date(value);
    if (/Countr(y|ies)$/.test(key) && /^[A-Z]{2}$/.test(value)) return regionName(locale, value);
    return cut(value);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return locale.t('field.emptyList');
    if (depth >= MAX_DEPTH) return locale.count('field.items', value.length);
    if (value.every((item) => item === null || typeof item !== 'object')) return value.map((item) => fieldText(locale, context, key, item)).join(locale.t('field.listSeparator'));
    return (
      <ol class="compact">
        {value.map((item, i) => (
          <li key={i}>{fieldValue(locale, context, key, item, depth + 1)}</li>
        ))}
      </ol>
    );
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (isMarker(record)) return locale.t('audit.personalData', { state: locale.lookup(`audit.pii.${record.personalData}`) ?? record.personalData });
    const entries = Object.entries(record).filter(([, item]) => item !== null && item !== undefined);
    if (entries.length === 0) return '—';
    if (depth >= MAX_DEPTH) return locale.count('field.items', entries.length);
    return (
      <span class="fields">
        {entries.map(([name, item], i) => (
          <span key={name} class="subfield">
            {i > 0 && locale.t('field.separator')}
            {fieldLabel(locale, name)}
            {locale.t('field.colon')}
            <Shown>{fieldValue(locale, context, name, item, depth + 1)}</Shown>
          </span>
        ))}
      </span>
    );
  }
  return cut(String(value));
}

/** A value in its cell: text isolated (<bdi>), kept whole when it is an amount or a date. */
export function Shown({ children }: { children: ComponentChildren }): JSX.Element {
  return typeof children === 'string' ? <bdi class="value">{children}</bdi> : <>{children}</>;
}
