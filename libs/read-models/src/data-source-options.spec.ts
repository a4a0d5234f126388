import { isoDay } from './data-source-options';

describe('isoDay: a PostgreSQL date as ISO 8601 text', () => {
  it('keeps a day of the common era as PostgreSQL writes it', () => {
    expect(isoDay('2027-12-31')).toBe('2027-12-31');
    expect(isoDay('0001-01-01')).toBe('0001-01-01');
  });

  it('numbers a year BC as ISO 8601 does: 1 BC is 0000, 10 BC is -0009', () => {
    expect(isoDay('0001-02-29 BC')).toBe('0000-02-29');
    expect(isoDay('0010-07-01 BC')).toBe('-0009-07-01');
  });
});
