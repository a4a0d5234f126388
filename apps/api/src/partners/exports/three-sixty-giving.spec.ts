import { majorUnits, threeSixtyGivingConfigFromEnv } from './three-sixty-giving';

describe('360Giving mapping', () => {
  it('converts minor units to major units by the currency exponent, exactly', () => {
    expect(majorUnits(5_000_050, 'EUR')).toBe(50_000.5);
    expect(majorUnits(1_234_567, 'EUR')).toBe(12_345.67);
    expect(JSON.stringify(majorUnits(10, 'EUR'))).toBe('0.1');
    expect(majorUnits(1_500, 'JPY')).toBe(1_500);
    expect(majorUnits(1_500, 'KWD')).toBe(1.5);
  });

  it('takes the publisher prefix and funder from the environment and refuses a prefix that is not 360G-…', () => {
    expect(threeSixtyGivingConfigFromEnv({})).toEqual({ prefix: '360G-grantledger', funder: { id: '360G-grantledger-funder', name: 'Grant Ledger programme' } });
    expect(threeSixtyGivingConfigFromEnv({ THREESIXTYGIVING_PREFIX: '360G-ExampleFunder', THREESIXTYGIVING_FUNDER_ID: 'GB-CHC-1234567', THREESIXTYGIVING_FUNDER_NAME: 'Example Funder' })).toEqual({
      prefix: '360G-ExampleFunder',
      funder: { id: 'GB-CHC-1234567', name: 'Example Funder' },
    });
    expect(() => threeSixtyGivingConfigFromEnv({ THREESIXTYGIVING_PREFIX: 'ExampleFunder' })).toThrow(/360G-/);
  });
});
