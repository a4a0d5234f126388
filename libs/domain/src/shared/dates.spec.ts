import { addYears, isCalendarDate, isDateTimeWithOffset, isDayOfMonth } from './dates';

describe('dates', () => {
  it('a calendar date is in years 0001 to 9999: year 0000 is no year of PostgreSQL\'s date', () => {
    expect([isCalendarDate('0000-01-01'), isCalendarDate('0000-02-29'), isCalendarDate('0001-01-01'), isCalendarDate('9999-12-31')]).toEqual([false, false, true, true]);
  });

  it('a calendar date is YYYY-MM-DD naming a day the calendar has', () => {
    for (const day of ['2027-02-28', '2028-02-29', '2000-02-29', '0001-01-01', '9999-12-31', '2027-04-30']) expect([day, isCalendarDate(day)]).toEqual([day, true]);
    for (const day of ['2027-02-29', '1900-02-29', '2027-02-30', '2027-04-31', '2028-13-01', '2027-00-10', '2027-01-00', '2027-1-01', '2027-01-01T00:00:00Z', ' 2027-01-01', '', 20270101, null, undefined])
      expect([day, isCalendarDate(day)]).toEqual([day, false]);
  });

  it('agrees with the proleptic Gregorian calendar of Date on every day of 400 years', () => {
    const differences: string[] = [];
    for (let year = 1600; year < 2000; year += 1)
      for (let month = 1; month <= 13; month += 1)
        for (let day = 0; day <= 32; day += 1) {
          const date = new Date(Date.UTC(year, month - 1, day));
          const exists = month <= 12 && day >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
          if (isDayOfMonth(year, month, day) !== exists) differences.push(`${year}-${month}-${day}`);
        }
    expect(differences).toEqual([]);
  });

  it('a date-time needs its offset and a day the calendar has, which Date.parse alone does not check', () => {
    expect(Number.isNaN(Date.parse('2027-02-30T00:00:00Z'))).toBe(false); // V8 reads it as 2 March
    for (const value of ['2027-03-01T12:00:00Z', '2027-03-01T12:00Z', '2028-02-29T23:59:59.123456789+02:00', '2027-03-01T12:00:00-05:30'])
      expect([value, isDateTimeWithOffset(value)]).toEqual([value, true]);
    for (const value of ['2027-02-30T00:00:00Z', '2027-04-31T10:00:00+01:00', '2027-13-01T00:00:00Z', '2027-03-01T12:00:00', '2027-03-01', '2027-03-01 12:00:00Z', 'tomorrow'])
      expect([value, isDateTimeWithOffset(value)]).toEqual([value, false]);
  });

  it('adds years to a calendar date; 29 February becomes 28 February in a year without it', () => {
    expect([addYears('2026-07-01', 10), addYears('2028-02-29', 1), addYears('2028-02-29', 4), addYears('2027-12-31', 1), addYears('0999-03-31', -1)]).toEqual([
      '2036-07-01',
      '2029-02-28',
      '2032-02-29',
      '2028-12-31',
      '0998-03-31',
    ]);
  });
});
