/**
 * Debian's Chromium (/usr/bin/chromium; `.ci/run` installs it when missing), driven by
 * playwright-core: headless, no sandbox (CI containers run as root). No browser is downloaded.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-artifacts', 'browser');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Opens the console and signs in by pasting a token, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Every console error and every policy violation the page reports: a test expects none. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/** Waits (10 s at most) until the element's text (whitespace collapsed) matches. */
export function expectText(locator: Locator, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  return untilTextMatches(async () => ((await locator.textContent().catch(() => '')) ?? '').replace(/\s+/g, ' '), pattern, timeoutMs);
}

/** As expectText, on the rendered text (table cells apart, as a reader sees them), trimmed. */
export function expectShown(locator: Locator, pattern: RegExp): Promise<void> {
  return untilTextMatches(async () => ((await locator.innerText({ timeout: 1000 }).catch(() => '')) ?? '').replace(/\s+/g, ' ').trim(), pattern);
}

async function untilTextMatches(read: () => Promise<string>, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await read();
    if (pattern.test(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected ${pattern} in: ${last.slice(0, 2000)}`);
}
