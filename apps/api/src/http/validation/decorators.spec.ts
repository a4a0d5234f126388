import { plainToInstance } from 'class-transformer';
import { IsArray, IsOptional, validateSync } from 'class-validator';
import { hasRealCalendarDate, IsCalendarDate, IsCurrencyCode, IsInstant, IsMinorUnits, IsOmittable, IsPageLimit, IsPageOffset, MAX_PAGE_POSITION } from './decorators';

class PageQuery {
  @IsOptional() @IsPageOffset()
  offset?: number;
  @IsOptional() @IsPageLimit(200)
  limit?: number;
}

class MoneyBody {
  @IsMinorUnits({ min: 1 })
  budgetMinor: number;
  @IsMinorUnits()
  feeMinor: number;
  @IsMinorUnits({ min: -Number.MAX_SAFE_INTEGER })
  changeMinor: number;
  @IsCurrencyCode()
  currency: string;
}

const queryErrors = (query: Record<string, unknown>) =>
  validateSync(plainToInstance(PageQuery, query)).map((error) => ({ property: error.property, messages: Object.values(error.constraints ?? {}) }));

const moneyErrors = (overrides: Record<string, unknown>) =>
  validateSync(plainToInstance(MoneyBody, { budgetMinor: 100, feeMinor: 0, changeMinor: -5, currency: 'EUR', ...overrides })).map((error) => error.property);

describe('IsPageOffset and IsPageLimit', () => {
  it('parses plain decimal query values', () => {
    const query = plainToInstance(PageQuery, { offset: '40', limit: '20' });
    expect(query).toEqual({ offset: 40, limit: 20 });
    expect(validateSync(query)).toEqual([]);
    expect(queryErrors({ offset: String(MAX_PAGE_POSITION), limit: '200' })).toEqual([]);
  });

  it.each(['99999999999999999999', '1e300', '9007199254740992', '-1', '1.5', '', ' 5', '0x10', 'abc', 'Infinity'])(
    'refuses offset=%j with a field error naming the range',
    (offset) => {
      expect(queryErrors({ offset })).toEqual([{ property: 'offset', messages: [`offset must be an integer from 0 to ${MAX_PAGE_POSITION}`] }]);
    },
  );

  it('refuses a repeated parameter (an array)', () => {
    expect(queryErrors({ offset: ['1', '2'] }).map((error) => error.property)).toEqual(['offset']);
  });

  it.each(['0', '201', '1e2', '-3'])('refuses limit=%j', (limit) => {
    expect(queryErrors({ limit }).map((error) => error.property)).toEqual(['limit']);
  });

  it('keeps the range below PostgreSQL bigint', () => {
    expect(BigInt(MAX_PAGE_POSITION)).toBeLessThan(2n ** 63n - 1n);
    expect(Number.isSafeInteger(MAX_PAGE_POSITION)).toBe(true);
  });
});

describe('IsMinorUnits', () => {
  it('accepts safe integers within the bounds', () => {
    expect(moneyErrors({ budgetMinor: Number.MAX_SAFE_INTEGER, feeMinor: 0, changeMinor: -Number.MAX_SAFE_INTEGER })).toEqual([]);
  });

  it.each([1e300, 9007199254740993, Number.MAX_SAFE_INTEGER + 1, 1.5, 0, -1, Number.NaN, Infinity, '100', null, [100], { amount: 1 }])(
    'refuses budgetMinor %p (positive amount)',
    (budgetMinor) => {
      expect(moneyErrors({ budgetMinor })).toEqual(['budgetMinor']);
    },
  );

  it('accepts zero only where the minimum allows it', () => {
    expect(moneyErrors({ feeMinor: 0 })).toEqual([]);
    expect(moneyErrors({ feeMinor: -1 })).toEqual(['feeMinor']);
  });

  it('names the bounds in the message', () => {
    const [error] = validateSync(plainToInstance(MoneyBody, { budgetMinor: 1e300, feeMinor: 0, changeMinor: 0, currency: 'EUR' }));
    expect(Object.values(error.constraints ?? {})).toEqual([`budgetMinor must be an integer number of minor units from 1 to ${Number.MAX_SAFE_INTEGER}`]);
  });
});

describe('IsCurrencyCode', () => {
  it.each(['XXX', 'ABC', 'eur', 'EURO', '', 978, null])('refuses %p', (currency) => {
    expect(moneyErrors({ currency })).toEqual(['currency']);
  });

  it.each(['EUR', 'USD', 'LBP', 'TND'])('accepts %s', (currency) => {
    expect(moneyErrors({ currency })).toEqual([]);
  });
});

class InstantQuery {
  @IsOptional() @IsInstant()
  asOf?: string;
  @IsOptional() @IsInstant({ requireOffset: true })
  closesAt?: string;
}

describe('IsInstant', () => {
  const instantErrors = (query: Record<string, unknown>) => validateSync(plainToInstance(InstantQuery, query)).map((error) => error.property);

  it.each(['2027-03-01T12:00:00Z', '2027-03-01T12:00:00.123+02:00', '2027-03-01', '0001-01-01T00:00:00Z', '0050-06-15T00:00:00Z', '9999-12-31T23:59:59.999Z', '2028-02-29T00:00:00Z'])(
    'accepts asOf=%s',
    (asOf) => {
      expect(instantErrors({ asOf })).toEqual([]);
    },
  );

  it.each(['yesterday', '2027-02-30T00:00:00Z', '2027-02-29', '2027-13-01', '2027-W01-1', '2027-032', '0000-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', '1800000000000', 1_800_000_000_000, ['2027-01-01'], '2026-12-07T05:31:06.8', '2027-03-01T12:00', '2027-03-01T12:00:00'])(
    'refuses asOf=%p',
    (asOf) => {
      expect(instantErrors({ asOf })).toEqual(['asOf']);
    },
  );

  it('requires a time and an offset when asked to', () => {
    expect(instantErrors({ closesAt: '2027-03-31T23:59:59Z' })).toEqual([]);
    expect(instantErrors({ closesAt: '2027-03-31T23:59:59+01:00' })).toEqual([]);
    expect(instantErrors({ closesAt: '2027-03-31' })).toEqual(['closesAt']);
    expect(instantErrors({ closesAt: '2027-03-31T23:59:59' })).toEqual(['closesAt']);
  });
});

describe('IsCalendarDate', () => {
  class Due {
    @IsCalendarDate()
    dueDate: unknown;
  }
  const errors = (dueDate: unknown) => validateSync(plainToInstance(Due, { dueDate })).map((error) => error.property);

  it.each(['2027-03-01', '2028-02-29', '2000-02-29', '0001-01-01', '9999-12-31'])('accepts %s', (dueDate) => {
    expect(errors(dueDate)).toEqual([]);
  });

  it.each(['2027-02-30', '2027-02-29', '1900-02-29', '2027-04-31', '2028-13-01', '2027-00-10', '2027-01-00', '06/12/2027', '2027-3-1', '2027-03-01T00:00:00Z', ' 2027-03-01', '', 20270301, null])('refuses %p', (dueDate) => {
    expect(errors(dueDate)).toEqual(['dueDate']);
  });
});

describe('IsOmittable', () => {
  class Submission {
    @IsOmittable() @IsArray()
    documents?: string[];
  }
  const errors = (body: Record<string, unknown>) => validateSync(plainToInstance(Submission, body)).map((error) => error.property);

  it('lets the property be left out but refuses null, unlike IsOptional', () => {
    expect(errors({})).toEqual([]);
    expect(errors({ documents: [] })).toEqual([]);
    expect(errors({ documents: null })).toEqual(['documents']);
  });
});

describe('hasRealCalendarDate', () => {
  /** What it answered when it built a Date for each check. */
  const byDate = (year: number, month: number, day: number): boolean => {
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  };
  const text = (year: number, month: number, day: number) =>
    `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00Z`;

  it('answers as Date for every month and day (00..32, 00..13) of 450 years, leap rules included', () => {
    const years = [...Array.from({ length: 420 }, (_, year) => year), 1582, 1600, 1700, 1900, 2000, 2024, 2027, 2028, 2100, 2400, 9996, 9999];
    for (const year of years) {
      for (let month = 0; month <= 13; month += 1) {
        for (let day = 0; day <= 32; day += 1) {
          if (hasRealCalendarDate(text(year, month, day)) !== byDate(year, month, day)) throw new Error(`differs on ${text(year, month, day)}`);
        }
      }
    }
  });

  it('answers as Date for the 29th of February of every year 0000..9999', () => {
    for (let year = 0; year <= 9999; year += 1) expect([year, hasRealCalendarDate(text(year, 2, 29))]).toEqual([year, byDate(year, 2, 29)]);
  });

  it('leaves forms without a day of month to the other checks', () => {
    expect(hasRealCalendarDate('2027-W01-1')).toBe(true);
    expect(hasRealCalendarDate('2027-032')).toBe(true);
  });
});
