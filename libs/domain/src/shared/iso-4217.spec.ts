import { ISO_4217_ACTIVE_CODES, ISO_4217_ACTIVE_COUNT, isIso4217Currency } from './iso-4217';

describe('ISO 4217 currencies in circulation', () => {
  it('holds well-formed, unique, sorted codes', () => {
    expect(ISO_4217_ACTIVE_COUNT).toBe(155);
    expect(ISO_4217_ACTIVE_CODES).toHaveLength(ISO_4217_ACTIVE_COUNT);
    for (const code of ISO_4217_ACTIVE_CODES) expect(code).toMatch(/^[A-Z]{3}$/);
    expect([...ISO_4217_ACTIVE_CODES].sort()).toEqual(ISO_4217_ACTIVE_CODES);
  });

  it.each(['EUR', 'USD', 'GBP', 'LBP', 'ILS', 'MAD', 'TND', 'XOF', 'XCG', 'ZWG', 'SLE'])('accepts %s', (code) => {
    expect(isIso4217Currency(code)).toBe(true);
  });

  it.each(['XXX', 'XTS', 'ABC', 'XAU', 'XDR', 'CHE', 'HRK', 'ANG', 'ZWL', 'SLL', 'eur', 'EURO', '', 978, null])('refuses %p', (code) => {
    expect(isIso4217Currency(code)).toBe(false);
  });
});
