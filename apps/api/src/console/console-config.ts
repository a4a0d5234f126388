/**
 * What the console needs to know before anyone signs in: whether an OpenID Connect sign-in is
 * offered. Nothing secret: a browser-based public client has an id, never a secret.
 *
 * - CONSOLE_OIDC_ISSUER: the identity provider's issuer URL (its discovery document is
 *   `<issuer>/.well-known/openid-configuration`); defaults to JWT_ISSUER when JWT_JWKS_URL is set
 *   (the API then verifies that provider's tokens).
 * - CONSOLE_OIDC_CLIENT_ID: the public client registered for the console (authorization code + PKCE,
 *   redirect URI `<origin>/console/`). Without it, only the paste-a-token sign-in is offered.
 * - CONSOLE_OIDC_SCOPE: default `openid`.
 */
export interface ConsoleOidcConfig {
  issuer: string;
  clientId: string;
  scope: string;
}

export interface ConsoleConfig {
  oidc: ConsoleOidcConfig | null;
}

export function consoleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const clientId = env.CONSOLE_OIDC_CLIENT_ID?.trim();
  const issuer = env.CONSOLE_OIDC_ISSUER?.trim() || (env.JWT_JWKS_URL?.trim() ? env.JWT_ISSUER?.trim() : undefined);
  if (!clientId || !issuer || !isHttpUrl(issuer)) return { oidc: null };
  return { oidc: { issuer: issuer.replace(/\/+$/, ''), clientId, scope: env.CONSOLE_OIDC_SCOPE?.trim() || 'openid' } };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * The console page's own policy, stricter than the API's default (no inline styles, nothing but
 * the bundle): scripts, styles, images and fonts from the API itself; fetches to the API and, when
 * OIDC is configured, to the issuer's origin (discovery and the token endpoint).
 */
export function consoleContentSecurityPolicy(config: ConsoleConfig): string {
  const connect = ["'self'", ...(config.oidc ? [new URL(config.oidc.issuer).origin] : [])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
