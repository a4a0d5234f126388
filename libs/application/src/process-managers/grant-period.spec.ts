import { grantPeriodFrom } from './grant-period';

describe('grantPeriodFrom', () => {
  it('starts on the decision day (UTC) and ends the day before the same day, duration months later', () => {
    expect(grantPeriodFrom('2027-05-03T09:00:00.000Z', 18)).toEqual({ periodStart: '2027-05-03', periodEnd: '2028-11-02' });
    expect(grantPeriodFrom('2027-01-01T00:00:00Z', 12)).toEqual({ periodStart: '2027-01-01', periodEnd: '2027-12-31' });
  });

  it('reads the decision instant in UTC, whatever its offset', () => {
    expect(grantPeriodFrom('2027-05-03T01:00:00+03:00', 1)).toEqual({ periodStart: '2027-05-02', periodEnd: '2027-06-01' });
  });

  it('clamps to the end of a shorter month', () => {
    expect(grantPeriodFrom('2027-01-31T12:00:00Z', 1)).toEqual({ periodStart: '2027-01-31', periodEnd: '2027-02-27' });
    expect(grantPeriodFrom('2027-08-31T12:00:00Z', 6)).toEqual({ periodStart: '2027-08-31', periodEnd: '2028-02-28' });
  });

  it('is deterministic: the same decision always gives the same period (AwardGrant stays idempotent)', () => {
    expect(grantPeriodFrom('2027-05-03T09:00:00Z', 24)).toEqual(grantPeriodFrom('2027-05-03T09:00:00Z', 24));
  });
});
