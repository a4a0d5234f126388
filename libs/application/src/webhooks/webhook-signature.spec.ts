import { createHmac } from 'node:crypto';
import { generateWebhookSecret, signWebhook, verifyWebhook, WebhookVerificationError } from './webhook-signature';

// The reference vector of the Standard Webhooks libraries (standard-webhooks/standard-webhooks).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';

describe('webhook signatures (Standard Webhooks)', () => {
  it('signs exactly like the reference implementation', () => {
    expect(signWebhook(SECRET, ID, TIMESTAMP, BODY)).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('generates whsec_ secrets of 32 random bytes, different every time', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it('verifies its own signature, also among several (secret rotation)', () => {
    const headers = signWebhook(SECRET, ID, TIMESTAMP, BODY);
    expect(verifyWebhook(SECRET, headers, BODY, { nowSeconds: TIMESTAMP + 10 })).toEqual({ test: 2432232314 });
    const rotated = { ...headers, 'webhook-signature': `v1,${createHmac('sha256', 'other').update('x').digest('base64')} ${headers['webhook-signature']}` };
    expect(verifyWebhook(SECRET, rotated, BODY, { nowSeconds: TIMESTAMP })).toEqual({ test: 2432232314 });
  });

  it('refuses a changed body, another secret, a stale timestamp and missing headers', () => {
    const headers = signWebhook(SECRET, ID, TIMESTAMP, BODY);
    expect(() => verifyWebhook(SECRET, headers, '{"test": 1}', { nowSeconds: TIMESTAMP })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(generateWebhookSecret(), headers, BODY, { nowSeconds: TIMESTAMP })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(SECRET, headers, BODY, { nowSeconds: TIMESTAMP + 301 })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(SECRET, { 'webhook-id': ID }, BODY, { nowSeconds: TIMESTAMP })).toThrow(WebhookVerificationError);
  });
});
