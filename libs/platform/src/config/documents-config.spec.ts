import { loadConfig } from './app-config';
import { DEFAULT_DOCUMENT_ALLOWED_TYPES, documentsConfigFromEnv } from './documents-config';
import { ConfigurationError } from './environment';

describe('document storage configuration (DOCUMENT_*) and the budget transfer share', () => {
  const read = (env: NodeJS.ProcessEnv) => {
    const problems: { variable: string; problem: string }[] = [];
    const config = documentsConfigFromEnv(env, (variable, problem) => problems.push({ variable, problem }));
    return { config, variables: problems.map((p) => p.variable) };
  };

  it('defaults to PostgreSQL, 10 MiB and PDF, images and office documents', () => {
    expect(read({})).toEqual({ config: { maxBytes: 10 * 1024 * 1024, allowedTypes: [...DEFAULT_DOCUMENT_ALLOWED_TYPES], storage: 'postgres' }, variables: [] });
  });

  it('takes a size limit, allowed types and an S3-compatible store', () => {
    const { config, variables } = read({
      DOCUMENT_MAX_BYTES: '65536',
      DOCUMENT_ALLOWED_TYPES: 'application/pdf, image/png',
      DOCUMENT_STORAGE: 's3',
      DOCUMENT_S3_BUCKET: 'grant-documents',
      DOCUMENT_S3_ENDPOINT: 'http://127.0.0.1:9000',
      DOCUMENT_S3_FORCE_PATH_STYLE: 'false',
    });
    expect(variables).toEqual([]);
    expect(config).toEqual({
      maxBytes: 65_536,
      allowedTypes: ['application/pdf', 'image/png'],
      storage: 's3',
      s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'grant-documents', region: 'us-east-1', forcePathStyle: false, prefix: '' },
    });
  });

  it('names each variable that is wrong', () => {
    expect(read({ DOCUMENT_MAX_BYTES: '0' }).variables).toEqual(['DOCUMENT_MAX_BYTES']);
    expect(read({ DOCUMENT_MAX_BYTES: '2147483648' }).variables).toEqual(['DOCUMENT_MAX_BYTES']);
    expect(read({ DOCUMENT_ALLOWED_TYPES: 'pdf' }).variables).toEqual(['DOCUMENT_ALLOWED_TYPES']);
    expect(read({ DOCUMENT_STORAGE: 'disk' }).variables).toEqual(['DOCUMENT_STORAGE']);
    expect(read({ DOCUMENT_STORAGE: 's3' }).variables).toEqual(['DOCUMENT_S3_BUCKET']);
    expect(read({ DOCUMENT_S3_ENDPOINT: 'minio:9000' }).variables).toEqual(['DOCUMENT_S3_ENDPOINT']);
  });

  it('is part of the application configuration, as is the budget transfer share (1000 basis points by default)', () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', DOCUMENT_MAX_BYTES: '1024' });
    expect(config.documents.maxBytes).toBe(1024);
    expect(config.budgetTransferShareBasisPoints).toBe(1_000);
    expect(loadConfig({ LOG_LEVEL: 'silent', BUDGET_TRANSFER_SHARE_BASIS_POINTS: '2500' }).budgetTransferShareBasisPoints).toBe(2_500);
    for (const value of ['10001', '-1', '10%']) {
      expect(() => loadConfig({ LOG_LEVEL: 'silent', BUDGET_TRANSFER_SHARE_BASIS_POINTS: value })).toThrow(ConfigurationError);
    }
    expect(() => loadConfig({ LOG_LEVEL: 'silent', DOCUMENT_STORAGE: 's3' })).toThrow(/DOCUMENT_S3_BUCKET/);
  });
});
