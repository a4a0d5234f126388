/**
 * An amount kept in minor units, shown in a locale. `minorUnits` is the currency's ISO 4217 exponent
 * as the server tells it (`/console/config.json`): Intl's fraction digits are display conventions
 * that differ for some currencies (0 for LBP, IQD, SYP, YER, IDR, where ISO has 2 or 3), which showed
 * such amounts 100 times too large. Intl's answer is used only for a currency the server did not list.
 */
export function formatMoney(tag: string, minor: number, currency: string, minorUnits: number | undefined): string {
  const digits = minorUnits ?? new Intl.NumberFormat(tag, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const format = new Intl.NumberFormat(tag, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return format.format(minor / 10 ** digits);
}
