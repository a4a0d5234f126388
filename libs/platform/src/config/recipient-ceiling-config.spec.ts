import { ConfigurationError, loadConfig } from './app-config';

function refused(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems.map((problem) => problem.variable);
  }
  throw new Error('the configuration was accepted');
}

describe('configuration schema: the ceiling per recipient', () => {
  it('defaults to 6,000,000 minor units (EUR 60,000) for every programme', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).recipientCeiling).toEqual({ defaultMinor: 6_000_000, byProgramme: {}, currency: 'EUR' });
  });

  it('takes a default of its own and ceilings per programme (JSON: programme name → minor units)', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      RECIPIENT_CEILING_MINOR: '5000000',
      RECIPIENT_CEILINGS: '{"Civic Space 2027": 4000000, "Pilot, phase 2": 10000000}',
      RECIPIENT_CEILING_CURRENCY: 'USD',
    });
    expect(config.recipientCeiling).toEqual({ defaultMinor: 5_000_000, byProgramme: { 'Civic Space 2027': 4_000_000, 'Pilot, phase 2': 10_000_000 }, currency: 'USD' });
  });

  it('refuses a ceiling that is not a whole number of minor units >= 1, and malformed JSON, naming the variable', () => {
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILING_MINOR: '60000.5' })).toEqual(['RECIPIENT_CEILING_MINOR']);
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILING_MINOR: '0' })).toEqual(['RECIPIENT_CEILING_MINOR']);
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILINGS: '{"Civic Space 2027": -1}' })).toEqual(['RECIPIENT_CEILINGS']);
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILINGS: '[6000000]' })).toEqual(['RECIPIENT_CEILINGS']);
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILINGS: 'Civic Space=4000000' })).toEqual(['RECIPIENT_CEILINGS']);
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILING_CURRENCY: 'eur' })).toEqual(['RECIPIENT_CEILING_CURRENCY']);
    expect(refused({ NODE_ENV: 'test', RECIPIENT_CEILING_CURRENCY: 'XYZ' })).toEqual(['RECIPIENT_CEILING_CURRENCY']);
  });
});
