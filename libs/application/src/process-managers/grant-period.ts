/**
 * The grant period an award implies: from the day of the funding decision (UTC) for the proposal's
 * duration, ending the day before the same day of the month `durationMonths` later (clamped to the
 * end of a shorter month). Derived from the decision event alone, so a redelivered decision gives
 * the same period and AwardGrant stays idempotent. Dates are `YYYY-MM-DD`.
 */
export function grantPeriodFrom(decidedAt: string, durationMonths: number): { periodStart: string; periodEnd: string } {
  const decided = new Date(decidedAt);
  if (Number.isNaN(decided.getTime())) throw new Error(`Not a timestamp: ${decidedAt}`);
  const [year, month, day] = [decided.getUTCFullYear(), decided.getUTCMonth(), decided.getUTCDate()];
  const targetMonth = month + durationMonths;
  const lastDayOfTarget = new Date(Date.UTC(year, targetMonth + 1, 0)).getUTCDate();
  const sameDayLater = Date.UTC(year, targetMonth, Math.min(day, lastDayOfTarget));
  const periodEnd = new Date(sameDayLater - 24 * 60 * 60 * 1000);
  return { periodStart: isoDate(new Date(Date.UTC(year, month, day))), periodEnd: isoDate(periodEnd) };
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
