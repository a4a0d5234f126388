/**
 * An amount kept in minor units, shown in a locale. `minorUnits` is the currency's ISO 4217 exponent
 * as the server tells it (`/console/config.json`): Intl's fraction digits are display conventions
 * that differ for some currencies (0 for LBP, IQD, SYP, YER, IDR, where ISO has 2 or 3), which showed
 * such amounts 100 times too large. Intl's answer is used only for a currency the server did not list.
 */
export function formatMoney(tag: string, minor: number, currency: string, minorUnits: number | undefined): string {
  const digits = minorDigits(tag, currency, minorUnits);
  const format = new Intl.NumberFormat(tag, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return format.format(minor / 10 ** digits);
}

/** The currency's minor-unit digits: the server's ISO 4217 exponent, else Intl's display digits. */
export function minorDigits(tag: string, currency: string, minorUnits: number | undefined): number {
  return minorUnits ?? new Intl.NumberFormat(tag, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** A number as a person types it in the locale (no currency sign), with `digits` decimals: the placeholder of an amount field. */
export function formatMajorUnits(tag: string, value: number, digits: number): string {
  return new Intl.NumberFormat(tag, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/**
 * An amount typed in major units ("50,000.07" in English, "50 000,07" in French, Arabic-Indic digits
 * too) as an integer of minor units (5000007), exactly: the decimal string is split into its whole
 * and fraction digits and read as integers, never multiplied as a float (50000.07 * 100 is
 * 5000006.999999999). Undefined when it is not such an amount: a letter, more decimals than the
 * currency has, groups not of three digits, more than Number.MAX_SAFE_INTEGER, or a sign where the
 * field takes none. A `signed` field (a budget reallocation's change) takes a leading minus (ASCII
 * "-", or U+2212 as some locales write it, after any bidirectional mark) or plus.
 */
export function parseMajorUnits(text: string, digits: number, tag: string, signed = false): number | undefined {
  const sign = signed ? /^[\u061c\u200e\u200f]*([-\u2212+])/.exec(text.trim()) : null;
  if (sign) {
    const magnitude = parseMajorUnits(text.trim().slice(sign[0].length), digits, tag);
    return magnitude === undefined ? undefined : sign[1] === '+' ? magnitude : -magnitude;
  }
  const parts = new Intl.NumberFormat(tag).formatToParts(12345.6);
  const decimal = parts.find((part) => part.type === 'decimal')?.value ?? '.';
  const group = parts.find((part) => part.type === 'group')?.value ?? ',';
  const spaceGroups = /\s/.test(group);
  const normalized = text
    .trim()
    .replace(/[\u0660-\u0669]/g, (c) => String(c.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (c) => String(c.charCodeAt(0) - 0x06f0))
    .replace(/\u066b/g, decimal)
    .replace(/\u066c/g, group)
    .replace(/\s/g, (space) => (spaceGroups ? group : space));
  if (!spaceGroups && /\s/.test(normalized)) return undefined;
  const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^(\\d{1,3}(?:${escape(group)}\\d{3})+|\\d+)(?:${escape(decimal)}(\\d+))?$`).exec(normalized);
  if (!match) return undefined;
  const whole = match[1].split(group).join('');
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : undefined;
}
