import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { isISO8601, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { isCalendarDate, isDateTimeWithOffset, isDayOfMonth } from '@app/domain/shared/dates';
import { isIso4217Currency } from '@app/domain/shared/iso-4217';

/**
 * Largest offset or stream version a client may ask for. Number.MAX_SAFE_INTEGER (2^53 − 1) is
 * the largest integer JavaScript holds exactly, and it is a thousand times below PostgreSQL's bigint
 * maximum (2^63 − 1), so no accepted value is silently rounded or overflows a SQL parameter. A
 * tighter cap would buy nothing: OFFSET costs what the table holds, not what the client asks, and
 * an offset or version past the end is a valid question whose answer is an empty page.
 */
export const MAX_PAGE_POSITION = Number.MAX_SAFE_INTEGER;

/**
 * The property may be left out, but `null` is refused by the validators that follow. `@IsOptional()`
 * skips validation for null too, handing `null` to code that only expects a value or its absence
 * (`"documents": null` used to reach `.map` and answer 500).
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/** Query strings are text: only plain decimal digits become numbers ("1e3", "0x10", " 5", "" stay text and fail). */
const DECIMAL_DIGITS = /^\d{1,20}$/;
const parseQueryInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value;

function integerBetween(name: string, min: number, max: number, validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an integer from ${min} to ${max}`,
      },
    },
    validationOptions,
  );
}

/**
 * A zero-based position in a list or a stream (`offset`, `fromVersion`) given in the query string:
 * decimal digits only, 0..MAX_PAGE_POSITION. Combine with @IsOptional() when it may be omitted.
 */
export function IsPageOffset(validationOptions?: ValidationOptions): PropertyDecorator {
  return applyDecorators(Transform(parseQueryInteger), integerBetween('isPageOffset', 0, MAX_PAGE_POSITION, validationOptions));
}

/** A page size (`limit`) given in the query string: decimal digits only, 1..max. */
export function IsPageLimit(max: number, validationOptions?: ValidationOptions): PropertyDecorator {
  return applyDecorators(Transform(parseQueryInteger), integerBetween('isPageLimit', 1, max, validationOptions));
}

export interface MinorUnitsOptions {
  /**
   * Smallest accepted amount: 0 (the default) for amounts that may be nil, 1 for amounts that must
   * be positive, -Number.MAX_SAFE_INTEGER for a signed change.
   */
  min?: number;
}

/**
 * A JSON number of minor units (cents): an integer, at least `min`, at most Number.MAX_SAFE_INTEGER,
 * and exactly representable. `1e300`, `1.5`, `"100"` and `9007199254740993` (which JSON.parse
 * silently rounds to …992) are refused with a 400 field error instead of reaching a decider as a
 * rounded float.
 */
export function IsMinorUnits(options: MinorUnitsOptions = {}, validationOptions?: ValidationOptions): PropertyDecorator {
  const min = options.min ?? 0;
  return ValidateBy(
    {
      name: 'isMinorUnits',
      constraints: [min, Number.MAX_SAFE_INTEGER],
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= min,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an integer number of minor units from ${min} to ${Number.MAX_SAFE_INTEGER}`,
      },
    },
    validationOptions,
  );
}

/** An upper-case ISO 4217 code of a currency in circulation (EUR, USD, LBP…); "XXX" or "ABC" are refused. */
export function IsCurrencyCode(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCurrencyCode',
      validator: {
        validate: (value: unknown) => isIso4217Currency(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be the ISO 4217 code of a currency in circulation, such as EUR`,
      },
    },
    validationOptions,
  );
}

/** Years every layer agrees on: JavaScript Date, PostgreSQL timestamptz (no year 0) and ISO 8601 without expansion. */
const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * `2027-02-30` is well formed but no day. (isISO8601's own `strict` check does this too, but it also
 * refuses every year before 0100, because it builds a local Date that maps years 0..99 to 19xx.)
 */

export function hasRealCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE.exec(value);
  if (!match) return true; // week and ordinal dates have no day of month; Date.parse refuses them anyway
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  // The proleptic Gregorian calendar, as Date counts it (no Date built per validation).
  return isDayOfMonth(year, month, day);
}

/**
 * A day as `YYYY-MM-DD` that the calendar has: `2027-02-30` or `2028-13-01` is refused here with a
 * 400 naming the field, as a malformed date is (the deciders' own check, 422, stays for states
 * built otherwise; until 2026-12-06 such a day in a report's due date or an extension's new end
 * passed the format check and was answered 422 by the decider).
 */
export function IsCalendarDate(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCalendarDate',
      validator: {
        validate: (value: unknown) => isCalendarDate(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a calendar date YYYY-MM-DD that exists, in years 0001 to 9999, such as 2027-03-01`,
      },
    },
    validationOptions,
  );
}

export interface InstantOptions {
  /**
   * Require a full date-time with offset (`2027-03-01T12:00:00Z`), as commands store it; otherwise a
   * calendar date alone is also taken, as midnight UTC. A time always needs its offset: without one,
   * `new Date` reads it in the server's time zone (until 2026-12-07 `?asOf=2027-03-01T12:00` was so read).
   */
  requireOffset?: boolean;
}

/**
 * An ISO 8601 instant that JavaScript and PostgreSQL both read the same way. `isISO8601` alone lets
 * through week dates (`2027-W01-1`) and ordinal dates (`2027-001`) that `new Date` cannot parse, and
 * years PostgreSQL refuses; each would surface later as a 500 or a 422.
 */
export function IsInstant(options: InstantOptions = {}, validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !isISO8601(value) || !hasRealCalendarDate(value)) return false;
          // A time without an offset is local time: each server (and each browser) would read another instant.
          if ((options.requireOffset || value.length > 'YYYY-MM-DD'.length) && !isDateTimeWithOffset(value)) return false;
          const millis = Date.parse(value);
          return Number.isFinite(millis) && millis >= EARLIEST_INSTANT && millis <= LATEST_INSTANT;
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an ISO 8601 ${options.requireOffset ? 'date-time with offset' : 'instant (a date alone is midnight UTC; a time needs its offset, Z or +hh:mm)'} between years 0001 and 9999, such as 2027-03-01T12:00:00Z`,
      },
    },
    validationOptions,
  );
}

/**
 * A reviewer is named by the identity provider's subject (`sub`), as in tokens and events: printable,
 * no spaces (`POST /proposals/:id/reviewers`, `PUT /admin/reviewer-contacts/:reviewerId`). Until
 * 2026-12-07 a blank id (`" "`) was assigned.
 */
export const REVIEWER_ID = /^[A-Za-z0-9._:|@-]{1,200}$/;
export const REVIEWER_ID_MESSAGE = "reviewerId must be the reviewer's token subject (1-200 of A-Z a-z 0-9 . _ : | @ -)";
