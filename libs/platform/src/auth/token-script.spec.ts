import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TokenVerifier } from './token-verifier';

const run = promisify(execFile);
const root = join(__dirname, '../../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const env = { ...process.env, JWT_SECRET: 'script-spec-secret', JWT_ISSUER: 'script-issuer', JWT_AUDIENCE: 'script-audience' };

const token = (args: string[]) => run(tsx, ['scripts/token.ts', ...args], { cwd: root, env });

describe('scripts/token.ts', () => {
  it('prints only a token that the server config accepts', async () => {
    const organisationId = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
    const { stdout } = await token(['--role', 'applicant', '--sub', 'amal', '--org', organisationId, '--ttl', '8h']);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const verifier = new TokenVerifier({ jwtSecret: env.JWT_SECRET, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });
    await expect(verifier.verify(stdout.trim())).resolves.toEqual({ id: 'amal', role: 'applicant', organisationId });
  });

  it('refuses an unknown role with a non-zero exit and no token', async () => {
    await expect(token(['--role', 'wizard'])).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('Unknown role "wizard"'),
    });
  });
});
