/**
 * Headless Chromium for the explorer's tests and benchmark: Debian's `chromium` package driven by playwright-core,
 * with a fresh profile and the flags that keep it off the network (this machine has none). Screenshots go to
 * test-artifacts/ (gitignored).
 *
 * Author: Claude.
 *
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where tests save screenshots. */
export const ARTIFACTS = resolve(import.meta.dirname, '..', 'test-artifacts');

/** A browser with one fresh context of 1280x800, and a way to close both and remove the profile. */
export interface TestBrowser {
  readonly browser: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Chromium (throws with the set-up command when it is not installed). */
export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed: run the README's set-up command (bash scripts/setup.sh), which installs Debian's chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'bpfship-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    browser: context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot as test-artifacts/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export type { Browser, Page };
