/**
 * Who is signed in: a bearer token, pasted (npm run token locally) or obtained from the OpenID
 * Connect provider (authorization code + PKCE, in the browser). Kept in sessionStorage only: it
 * dies with the tab, and is never written to a cookie, so no other site's request can carry it.
 * The claims are only read here to choose the views; the API verifies every request's token.
 */
export interface Session {
  token: string;
  role: string;
  sub: string;
  org?: string;
  expiresAt?: number;
}

const TOKEN_KEY = 'grant-ledger-console-token';
const PKCE_KEY = 'grant-ledger-console-pkce';

export type TokenProblem = 'invalid' | 'expired';

export function sessionFromToken(token: string, now = Date.now()): Session | TokenProblem {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return 'invalid';
  try {
    const claims = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1]))) as { sub?: unknown; role?: unknown; org?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string') return 'invalid';
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
    if (expiresAt !== undefined && expiresAt <= now) return 'expired';
    return {
      token: token.trim(),
      sub: claims.sub,
      role: typeof claims.role === 'string' ? claims.role : 'unknown',
      ...(typeof claims.org === 'string' ? { org: claims.org } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
  } catch {
    return 'invalid';
  }
}

/**
 * The session this tab kept, if any. A kept token that has expired (or is no longer readable) is
 * dropped and answered as its problem, so the sign-in view can say why the tab was signed out.
 */
export function savedSession(): Session | TokenProblem | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return undefined;
  const session = sessionFromToken(token);
  if (typeof session === 'string') sessionStorage.removeItem(TOKEN_KEY);
  return session;
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(TOKEN_KEY, session.token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  scope: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  return (await response.json()) as Discovery;
}

const redirectUri = () => `${location.origin}/console/`;

/** Leaves for the provider's sign-in page with a fresh PKCE verifier and state kept in this tab. */
export async function startOidcSignIn(config: OidcConfig): Promise<void> {
  const { authorization_endpoint } = await discover(config.issuer);
  const verifier = base64UrlEncode(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64UrlEncode(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64UrlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** Back from the provider (`?code=&state=`): exchanges the code for an access token. */
export async function completeOidcSignIn(config: OidcConfig): Promise<string | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  if (!saved || saved.state !== params.get('state')) throw new Error('the sign-in answer does not match the request made from this tab');
  const { token_endpoint } = await discover(config.issuer);
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: config.clientId, code_verifier: saved.verifier }),
  });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error('the token endpoint sent no access token');
  return body.access_token;
}

function base64UrlDecode(value: string): Uint8Array {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function base64UrlEncode(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
