/// <reference lib="dom" />
/**
 * Headless chromium for the report's browser tests: Debian's /usr/bin/chromium (or $CHROMIUM_PATH) driven by
 * puppeteer-core, with a throwaway profile and nothing that reaches the network on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** What a page did while it loaded and ran. */
export interface PageLog {
  /** Console messages of type error, uncaught exceptions and failed requests. */
  readonly errors: string[];
  /** Every URL the page requested, the document itself first. */
  readonly requests: string[];
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const profile = mkdtempSync(join(tmpdir(), 'sagetune-chromium-'));
  try {
    const browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-default-browser-check'],
    });
    // Chromium may still be writing its profile as it exits: retry, and leave it to the OS if it will not go.
    browser.once('disconnected', () => {
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch {
        /* a temporary folder */
      }
    });
    return browser;
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Could not start chromium at ${executablePath} (install it with apt-get install -y chromium, or set CHROMIUM_PATH): ${(error as Error).message}`);
  }
}

/** Opens an HTML file in a new page `width` pixels wide, recording errors and requests; `loadMs` from navigation to the load event. */
export async function openReport(browser: Browser, file: string, width: number): Promise<{ page: Page; log: PageLog; loadMs: number }> {
  const page = await browser.newPage();
  const log: PageLog = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') log.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.errors.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => log.errors.push(`request failed: ${r.url()}`));
  page.on('request', (r) => log.requests.push(r.url()));
  await page.setViewport({ width, height: 900 });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const loadMs = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return nav.loadEventEnd - nav.startTime;
  });
  return { page, log, loadMs };
}
