import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '@app/event-store/hash-chain';

/**
 * The Ed25519 key that signs audit seals. AUDIT_SIGNING_KEY holds the private key as PKCS#8, either
 * PEM or base64 of the DER (`openssl genpkey -algorithm ed25519 | base64 -w0`). Production refuses to
 * start without it. Elsewhere a fixed DEV-ONLY key is used, so seals made by a local run are
 * reproducible and verifiable; anyone can forge seals under it, and verify says so (`devKey: true`).
 *
 * The verifier needs only the public key: AUDIT_PUBLIC_KEY (SPKI PEM or base64 DER), else the one
 * derived from AUDIT_SIGNING_KEY. The key id is the first 16 hex digits of sha256(SPKI DER), so
 * an auditor can compare what they were given out of band with what a report prints.
 */
export interface AuditVerificationKey {
  keyId: string;
  publicKey: KeyObject;
  /** SPKI PEM: what /audit/verify and export manifests publish. */
  publicKeyPem: string;
  devKey: boolean;
}

export interface AuditSigningKey extends AuditVerificationKey {
  sign(payload: string): string;
}

/** FOR LOCAL DEVELOPMENT AND TESTS ONLY — NOT A SECRET: its seed is this public string. */
const DEV_ONLY_SEED = createHash('sha256').update('grant-ledger-DEV-ONLY-audit-signing-key', 'utf8').digest();
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const DEV_ONLY_PRIVATE_KEY = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, DEV_ONLY_SEED]), format: 'der', type: 'pkcs8' });

export function auditSigningKeyFromEnv(env: NodeJS.ProcessEnv = process.env): AuditSigningKey {
  const value = env.AUDIT_SIGNING_KEY?.trim();
  if (!value && env.NODE_ENV === 'production') {
    throw new Error('AUDIT_SIGNING_KEY must be set in production (Ed25519 private key, PKCS#8 PEM or base64 DER)');
  }
  const privateKey = value ? parseKey(value, 'private') : DEV_ONLY_PRIVATE_KEY;
  const publicKey = createPublicKey(privateKey);
  return { ...describe(publicKey, !value), sign: (payload) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64') };
}

export function auditVerificationKeyFromEnv(env: NodeJS.ProcessEnv = process.env): AuditVerificationKey {
  const value = env.AUDIT_PUBLIC_KEY?.trim();
  if (!value) {
    const { sign: _sign, ...key } = auditSigningKeyFromEnv(env);
    return key;
  }
  return describe(parseKey(value, 'public'), false);
}

/** What a seal's signature covers. scripts/verify-bundle.js repeats it. */
export interface SealStatement {
  position: string;
  eventCount: number;
  chainHash: string;
  createdAt: string;
  keyId: string;
}

export function sealSigningPayload(seal: SealStatement): string {
  const { position, eventCount, chainHash, createdAt, keyId } = seal;
  return `grant-ledger-audit-seal/v1\n${canonicalJson({ position, eventCount, chainHash, createdAt, keyId })}`;
}

export function sealSignatureValid(key: AuditVerificationKey, seal: SealStatement, signature: string): boolean {
  try {
    return verify(null, Buffer.from(sealSigningPayload(seal), 'utf8'), key.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function describe(publicKey: KeyObject, devKey: boolean): AuditVerificationKey {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('The audit signing key must be an Ed25519 key');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    devKey,
  };
}

function parseKey(value: string, kind: 'private' | 'public'): KeyObject {
  // The error never quotes the value: it may be a secret.
  try {
    if (value.includes('-----BEGIN')) return kind === 'private' ? createPrivateKey(value) : createPublicKey(value);
    const der = Buffer.from(value, 'base64');
    return kind === 'private' ? createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) : createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw new Error(kind === 'private' ? 'AUDIT_SIGNING_KEY is not a PKCS#8 private key (PEM or base64 DER)' : 'AUDIT_PUBLIC_KEY is not an SPKI public key (PEM or base64 DER)');
  }
}
