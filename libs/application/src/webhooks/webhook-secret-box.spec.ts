import { randomBytes } from 'node:crypto';
import { WebhookSecretBox } from './webhook-secret-box';

describe('webhook secret box', () => {
  it('stores secrets sealed: the stored form does not contain the secret and opens only with the same master key', () => {
    const box = new WebhookSecretBox(randomBytes(32));
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sealed = box.seal(secret);
    expect(sealed).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(box.open(sealed)).toBe(secret);
    expect(box.seal(secret)).not.toBe(sealed);
    expect(() => new WebhookSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
});
