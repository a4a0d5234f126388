import { ConfigurationError } from '@app/platform/config/environment';
import { DEFAULT_REDRESS_WINDOW_DAYS, redressWindowDaysFromEnv, redressWindowEndsAt } from './redress-window';

describe('REDRESS_WINDOW_DAYS', () => {
  it('defaults to 30 days and takes a whole number of days from 1 to 365', () => {
    expect(redressWindowDaysFromEnv({})).toBe(DEFAULT_REDRESS_WINDOW_DAYS);
    expect(DEFAULT_REDRESS_WINDOW_DAYS).toBe(30);
    expect(redressWindowDaysFromEnv({ REDRESS_WINDOW_DAYS: '' })).toBe(30);
    expect(redressWindowDaysFromEnv({ REDRESS_WINDOW_DAYS: '45' })).toBe(45);
    expect(redressWindowDaysFromEnv({ REDRESS_WINDOW_DAYS: '365' })).toBe(365);
  });

  it('stops the process at start on anything else, naming the variable', () => {
    for (const value of ['0', '366', '7.5', 'thirty', '-1']) {
      expect(() => redressWindowDaysFromEnv({ REDRESS_WINDOW_DAYS: value })).toThrow(ConfigurationError);
    }
    expect(() => redressWindowDaysFromEnv({ REDRESS_WINDOW_DAYS: 'thirty' })).toThrow(/REDRESS_WINDOW_DAYS/);
  });

  it('ends the window the given number of whole days after the decision, as the decider does', () => {
    expect(redressWindowEndsAt('2027-05-03T09:00:00.000Z', 30)).toBe('2027-06-02T09:00:00.000Z');
  });
});
