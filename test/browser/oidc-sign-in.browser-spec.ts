/**
 * The OIDC sign-in in a real browser, against a minimal provider run by the test: discovery, the
 * authorization endpoint (which approves at once and redirects back with a code), and the token
 * endpoint, which only hands out the access token for the PKCE verifier matching the challenge.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { AUDITOR, type ConsoleWorld, startConsoleWorld } from './support/console-world';
import { expectText, launchChromium, watchConsole } from './support/browser';

describe('console in a browser: OIDC sign-in (authorization code + PKCE)', () => {
  let world: ConsoleWorld;
  let provider: Server;
  let issuer: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const seen: { authorize?: URLSearchParams; token?: URLSearchParams } = {};

  beforeAll(async () => {
    const challenges = new Map<string, { challenge: string; redirectUri: string }>();
    let accessToken = '';
    provider = createServer((req, res) => {
      const url = new URL(req.url ?? '/', issuer);
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (url.pathname === '/.well-known/openid-configuration') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` }));
      } else if (url.pathname === '/authorize') {
        seen.authorize = url.searchParams;
        const code = `code-${challenges.size + 1}`;
        challenges.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri: url.searchParams.get('redirect_uri') ?? '' });
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        back.search = new URLSearchParams({ code, state: url.searchParams.get('state') ?? '' }).toString();
        res.writeHead(302, { Location: back.toString() }).end();
      } else if (url.pathname === '/token' && req.method === 'POST') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const form = new URLSearchParams(body);
          seen.token = form;
          const expected = challenges.get(form.get('code') ?? '');
          const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
          const valid = expected && expected.challenge === challenge && expected.redirectUri === form.get('redirect_uri') && form.get('client_id') === 'ledger-console';
          res.writeHead(valid ? 200 : 400, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
          res.end(JSON.stringify(valid ? { access_token: accessToken, token_type: 'Bearer' } : { error: 'invalid_grant' }));
        });
      } else if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Allow-Methods': 'POST' }).end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    process.env.CONSOLE_OIDC_CLIENT_ID = 'ledger-console';
    process.env.CONSOLE_OIDC_ISSUER = issuer;
    world = await startConsoleWorld();
    // The provider issues what the API verifies (here the test's signing configuration).
    accessToken = await world.token({ ...AUDITOR, id: 'oidc-auditor' });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
  }, 120_000);

  afterAll(async () => {
    delete process.env.CONSOLE_OIDC_CLIENT_ID;
    delete process.env.CONSOLE_OIDC_ISSUER;
    await browser?.close();
    await world?.close();
    await new Promise((resolve) => provider?.close(resolve));
  });

  it('signs in through the provider and uses its access token as the bearer', async () => {
    await page.goto(`${world.baseUrl}/console/`);
    await page.getByRole('button', { name: /^Sign in with 127\.0\.0\.1/ }).click();
    await expectText(page.getByTestId('who'), /Signed in as auditor oidc-auditor/);
    expect(seen.authorize?.get('code_challenge_method')).toBe('S256');
    expect(seen.authorize?.get('response_type')).toBe('code');
    expect(seen.authorize?.get('redirect_uri')).toBe(`${world.baseUrl}/console/`);
    expect(seen.token?.get('grant_type')).toBe('authorization_code');
    // The code and state are gone from the address bar once used.
    expect(new URL(page.url()).search).toBe('');
    // An authenticated call went through with that token: the search view lists records (none yet).
    await expectText(page.locator('main'), /No call, proposal or grant has that in its title/);
  });

  it('sends you back to sign in, saying why, when the API refuses the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    const token = await world.token(AUDITOR);
    const forged = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await page.getByLabel('Bearer token').fill(forged);
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await expectText(page.getByRole('alert'), /The API refused the token \(expired or not valid here\): sign in again/);
    expect(await page.getByTestId('who').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('grant-ledger-console-token'))).toBeNull();
  });

  it('ran without a policy violation or a script error (the issuer is the only other origin the page may fetch)', () => {
    expect(problems.filter((p) => /Content Security Policy|Refused to|Uncaught/i.test(p))).toEqual([]);
  });
});
