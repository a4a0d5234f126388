import { consoleConfigFromEnv, consoleContentSecurityPolicy } from './console-config';

describe('console configuration', () => {
  it('offers no OIDC sign-in without a client id, or without an issuer', () => {
    expect(consoleConfigFromEnv({})).toEqual({ oidc: null });
    expect(consoleConfigFromEnv({ CONSOLE_OIDC_ISSUER: 'https://id.example.org' })).toEqual({ oidc: null });
    expect(consoleConfigFromEnv({ CONSOLE_OIDC_CLIENT_ID: 'console' })).toEqual({ oidc: null });
    // JWT_ISSUER alone names the HS256 tokens' issuer, not an identity provider.
    expect(consoleConfigFromEnv({ CONSOLE_OIDC_CLIENT_ID: 'console', JWT_ISSUER: 'https://id.example.org' })).toEqual({ oidc: null });
    expect(consoleConfigFromEnv({ CONSOLE_OIDC_CLIENT_ID: 'console', CONSOLE_OIDC_ISSUER: 'not a url' })).toEqual({ oidc: null });
  });

  it('takes the issuer the API verifies tokens of when none is named for the console', () => {
    expect(consoleConfigFromEnv({ CONSOLE_OIDC_CLIENT_ID: 'console', JWT_JWKS_URL: 'https://id.example.org/jwks', JWT_ISSUER: 'https://id.example.org/realms/ledger/' })).toEqual({
      oidc: { issuer: 'https://id.example.org/realms/ledger', clientId: 'console', scope: 'openid' },
    });
    expect(consoleConfigFromEnv({ CONSOLE_OIDC_CLIENT_ID: 'console', CONSOLE_OIDC_ISSUER: 'https://login.example.org', CONSOLE_OIDC_SCOPE: 'openid profile' }).oidc).toEqual({
      issuer: 'https://login.example.org',
      clientId: 'console',
      scope: 'openid profile',
    });
  });

  it('lets the page fetch from itself only, plus the issuer’s origin when OIDC is on', () => {
    const local = consoleContentSecurityPolicy({ oidc: null });
    expect(local).toContain("connect-src 'self';");
    expect(local).toContain("script-src 'self';");
    expect(local).not.toContain('unsafe');
    const withOidc = consoleContentSecurityPolicy({ oidc: { issuer: 'https://id.example.org/realms/ledger', clientId: 'console', scope: 'openid' } });
    expect(withOidc).toContain("connect-src 'self' https://id.example.org;");
  });
});
