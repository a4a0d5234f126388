/**
 * Document storage (DOCUMENT_*), part of the configuration schema (app-config.ts). The default
 * stores documents in PostgreSQL (nothing to set up); DOCUMENT_STORAGE=s3 stores them in an
 * S3-compatible bucket. Either way they are encrypted first (libs/documents).
 */
import { nonEmpty } from './environment';

/** PDF, PNG and JPEG images, and office documents (OOXML and OpenDocument): what grant files usually are. */
export const DEFAULT_DOCUMENT_ALLOWED_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
] as const;

export interface DocumentsConfig {
  /** Larger uploads are refused with 413 (DOCUMENT_MAX_BYTES). */
  maxBytes: number;
  /** MIME types accepted, as sniffed from the bytes (DOCUMENT_ALLOWED_TYPES, comma-separated); anything else is 415. */
  allowedTypes: string[];
  storage: 'postgres' | 's3';
  s3?: {
    endpoint?: string;
    bucket: string;
    region: string;
    forcePathStyle: boolean;
    prefix: string;
  };
}

type Fail = (variable: string, problem: string) => void;

export function documentsConfigFromEnv(env: NodeJS.ProcessEnv, fail: Fail): DocumentsConfig {
  const rawMax = nonEmpty(env.DOCUMENT_MAX_BYTES);
  let maxBytes = 10 * 1024 * 1024;
  if (rawMax !== undefined) {
    const parsed = Number(rawMax);
    // 1 GiB at most: a document is encrypted in memory before it is stored.
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1024 ** 3) fail('DOCUMENT_MAX_BYTES', `must be a whole number of bytes from 1 to 1073741824, got "${rawMax}"`);
    else maxBytes = parsed;
  }
  const rawTypes = nonEmpty(env.DOCUMENT_ALLOWED_TYPES);
  const allowedTypes = rawTypes === undefined ? [...DEFAULT_DOCUMENT_ALLOWED_TYPES] : rawTypes.split(',').map((type) => type.trim()).filter(Boolean);
  if (allowedTypes.length === 0 || allowedTypes.some((type) => !/^[a-z]+\/[a-z0-9.+-]+$/.test(type))) {
    fail('DOCUMENT_ALLOWED_TYPES', 'must be a comma-separated list of MIME types such as application/pdf');
  }
  const storage = (nonEmpty(env.DOCUMENT_STORAGE) ?? 'postgres') as DocumentsConfig['storage'];
  if (storage !== 'postgres' && storage !== 's3') fail('DOCUMENT_STORAGE', `must be postgres or s3, got "${String(storage)}"`);
  const bucket = nonEmpty(env.DOCUMENT_S3_BUCKET);
  if (storage === 's3' && !bucket) fail('DOCUMENT_S3_BUCKET', 'must be set when DOCUMENT_STORAGE=s3');
  const endpoint = nonEmpty(env.DOCUMENT_S3_ENDPOINT);
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) fail('DOCUMENT_S3_ENDPOINT', 'must be an http(s) URL');
  return {
    maxBytes,
    allowedTypes,
    storage,
    ...(storage === 's3' && bucket
      ? {
          s3: {
            ...(endpoint ? { endpoint } : {}),
            bucket,
            region: nonEmpty(env.DOCUMENT_S3_REGION) ?? 'us-east-1',
            forcePathStyle: ['1', 'true', 'yes', 'on'].includes((nonEmpty(env.DOCUMENT_S3_FORCE_PATH_STYLE) ?? 'true').toLowerCase()),
            prefix: nonEmpty(env.DOCUMENT_S3_PREFIX) ?? '',
          },
        }
      : {}),
  };
}
