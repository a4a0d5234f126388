import { formatMoney, parseMajorUnits } from '../../apps/console/src/money';

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

describe('amounts typed in major units', () => {
  it('are read exactly in the locale, and refused when they are not an amount', () => {
    expect(parseMajorUnits('50,000.07', 2, 'en-GB')).toBe(5_000_007);
    expect(parseMajorUnits('50 000,07', 2, 'fr-FR')).toBe(5_000_007);
    expect(parseMajorUnits('٥٠٠٠٠٫٠٧', 2, 'ar')).toBe(5_000_007);
    for (const text of ['50.001', '5,00', 'abc', '', '1e3']) expect([text, parseMajorUnits(text, 2, 'en-GB')]).toEqual([text, undefined]);
  });

  it('take a sign only where the field is signed (a budget reallocation’s change)', () => {
    for (const text of ['-1,500.00', '+1,500', '−1,500', '-1500']) expect([text, parseMajorUnits(text, 2, 'en-GB')]).toEqual([text, undefined]);
    expect(['-1,500.00', '−1,500', '+1,500', '\u061c-1500', ' -0.5 '].map((text) => parseMajorUnits(text, 2, 'en-GB', true))).toEqual([-150_000, -150_000, 150_000, -150_000, -50]);
    expect(parseMajorUnits('−1 500,25', 2, 'fr-FR', true)).toBe(-150_025);
    for (const text of ['--5', '-', '-+5', '5-', '- abc']) expect([text, parseMajorUnits(text, 2, 'en-GB', true)]).toEqual([text, undefined]);
  });
});
