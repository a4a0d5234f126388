import { formatMoney } from '../../apps/console/src/money';

/** Intl separates a currency code from the number by a no-break space. */
const shown = (...args: Parameters<typeof formatMoney>) => formatMoney(...args).replace(/\u00a0/g, ' ');

describe('console amounts', () => {
  it("show minor units by the currency's ISO 4217 exponent, which Intl's display digits do not always match", () => {
    expect(shown('en-GB', 7_654_321, 'LBP', 2)).toBe('LBP 76,543.21'); // Intl's digits alone: LBP 7,654,321
    expect(shown('en-GB', 3_000_505, 'IQD', 3)).toBe('IQD 3,000.505');
    expect(shown('en-GB', 123_456, 'EUR', 2)).toBe('€1,234.56');
    expect(shown('en-GB', 500, 'JPY', 0)).toBe('JP¥500');
    // A currency the server did not list: Intl's digits.
    expect(shown('en-GB', 123_456, 'EUR', undefined)).toBe('€1,234.56');
    expect(shown('en-GB', 7_654_321, 'LBP', undefined)).toBe('LBP 7,654,321');
  });
});
