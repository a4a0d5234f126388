import { ISO_4217_ACTIVE_CODES } from '@app/domain/shared/iso-4217';
import { ISO_4217_MINOR_UNITS, iso4217MinorUnits } from './iso-4217-minor-units';

describe('ISO 4217 minor units', () => {
  it.each([
    ['EUR', 2],
    ['USD', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['XOF', 0],
    ['LBP', 2],
    ['SYP', 2],
    ['YER', 2],
    ['IDR', 2],
    ['IRR', 2],
    ['IQD', 3],
    ['TND', 3],
    ['BHD', 3],
    ['KWD', 3],
    ['OMR', 3],
    ['JOD', 3],
    ['LYD', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])('%s has %i decimals, as ISO 4217 lists them', (code, exponent) => {
    expect(iso4217MinorUnits(code)).toBe(exponent);
  });

  it('has an entry for every currency the ledger accepts', () => {
    expect(ISO_4217_ACTIVE_CODES.filter((code) => !ISO_4217_MINOR_UNITS.has(code))).toEqual([]);
  });

  it('holds well-formed codes, and none for what ISO lists without a minor unit (metals, XDR, XXX, XTS)', () => {
    const listed = [...ISO_4217_MINOR_UNITS.keys()];
    expect(listed.every((code) => /^[A-Z]{3}$/.test(code))).toBe(true);
    for (const code of ['XAU', 'XDR', 'XXX', 'XTS']) expect(iso4217MinorUnits(code)).toBeUndefined();
  });
});
