/**
 * The forms of dates the ledger stores, one definition for the deciders' rules and the API's
 * validation of the same fields: calendar dates `YYYY-MM-DD` (the proleptic Gregorian calendar, as
 * JavaScript's Date counts it) and date-times with an explicit offset.
 */

const DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `YYYY-MM-DD` naming a day the calendar has, in years 0001–9999: `2027-02-28` yes; `2027-02-30`,
 * `2028-13-01` or `0000-01-01` no. Year 0000 is ISO 8601's 1 BC, which PostgreSQL's `date` has no
 * year for: until 2026-12-06 a report due on `0000-01-01` was recorded, and the grants projection
 * stalled on it for good ("date/time field value out of range").
 */
export function isCalendarDate(value: unknown): value is string {
  const match = typeof value === 'string' ? DAY_ONLY.exec(value) : null;
  if (match === null) return false;
  const year = Number(match[1]);
  return year >= 1 && isDayOfMonth(year, Number(match[2]), Number(match[3]));
}

/** Whether month `month` (1–12) of `year` has a day `day`. */
export function isDayOfMonth(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * ISO 8601 date-time with an explicit offset (`2027-03-01T12:00:00Z`), so every instant means the
 * same thing everywhere, on a day the calendar has: `Date.parse` alone reads `2027-02-30T00:00:00Z`
 * as 2 March.
 */
export function isDateTimeWithOffset(value: string): boolean {
  const match = DATE_TIME_WITH_OFFSET.exec(value);
  return match !== null && isDayOfMonth(Number(match[1]), Number(match[2]), Number(match[3]));
}

const DATE_TIME_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The calendar date `years` later (or earlier, when negative); 29 February becomes 28 February in a
 * year without it. `date` is a calendar date (isCalendarDate).
 */
export function addYears(date: string, years: number): string {
  const year = Number(date.slice(0, 4)) + years;
  const month = Number(date.slice(5, 7));
  let day = Number(date.slice(8, 10));
  while (!isDayOfMonth(year, month, day)) day -= 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
