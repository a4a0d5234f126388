import { backoffDelayMs } from './backoff';

describe('exponential backoff with full jitter', () => {
  it('doubles the ceiling per failed attempt up to the maximum', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, 100, 1_000, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('draws uniformly from zero to the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, 100, 10_000, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 100, 10_000, () => 0.5)).toBe(200);
  });
});
