import { randomBytes } from 'node:crypto';
import { DEV_ONLY_PII_MASTER_KEY, loadConfig, piiMasterKeyFromEnv } from '@app/platform/config/app-config';

describe('PII_MASTER_KEY', () => {
  it('refuses to start in production without a master key', () => {
    expect(() => piiMasterKeyFromEnv({ NODE_ENV: 'production' })).toThrow(/PII_MASTER_KEY must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's' })).toThrow(/PII_MASTER_KEY/);
  });

  it('uses the labelled development key outside production only', () => {
    expect(piiMasterKeyFromEnv({})).toBe(DEV_ONLY_PII_MASTER_KEY);
    expect(Buffer.from(DEV_ONLY_PII_MASTER_KEY, 'base64')).toHaveLength(32);
  });

  it('takes base64 of exactly 32 bytes and never quotes a malformed value back', () => {
    const key = randomBytes(32).toString('base64');
    expect(piiMasterKeyFromEnv({ NODE_ENV: 'production', PII_MASTER_KEY: key })).toBe(key);
    const short = randomBytes(16).toString('base64');
    expect(() => piiMasterKeyFromEnv({ PII_MASTER_KEY: short })).toThrow(/exactly 32 bytes/);
    try {
      piiMasterKeyFromEnv({ PII_MASTER_KEY: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });
});
