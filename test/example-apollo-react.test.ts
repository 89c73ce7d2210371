/**
 * The example frontend (`examples/apollo-react/`), as CI builds and a person
 * uses it: `npm run example:build` builds it (production), a static host serves the build, and Debian's
 * Chromium opens it against the gateway on its simulator. The book (over
 * graphql-ws) draws a depth chart and a ladder whose levels change, the trade
 * tape (Apollo's default HttpLink: multipart HTTP) fills with trades, the
 * option chain of the next expiry shows its strikes; and with no gateway to
 * talk to, each view says so while the page stays up. The gateway runs with
 * TRUSTED_DOCUMENTS_FILE set to the page's manifest: the page needs nothing else,
 * and a document it does not list is refused.
 * Without /usr/bin/chromium this file skips (`.ci/run` installs it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedDocuments } from '../examples/apollo-react/persisted-documents.ts';
import { disposeAll, onDispose, startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { serveStatic, type StaticSite } from './helpers/static-site.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const hasChromium = existsSync(CHROMIUM);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SETUP_TIMEOUT_MS = 90_000;
const BROWSER_TEST_TIMEOUT_MS = 60_000;
/** How long a view may take to show its first data or its next update. */
const LIVE_TIMEOUT_MS = 20_000;

/**
 * Builds the page as a person does, `npm run example:build`, into `outDir`:
 * a production build. (In this process NODE_ENV is vitest's `test`, and Vite
 * would bundle React's development build.)
 */
function buildExample(outDir: string): Promise<void> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_ENV'));
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'example:build', '--', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run example:build exited with ${String(code)}:\n${output}`)),
    );
  });
}

describe.skipIf(!hasChromium)(
  `the Apollo React example page${hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} is missing; apt-get install chromium, as .ci/run does)`}`,
  () => {
    let gateway: TestGateway;
    let site: StaticSite;
    let browser: Browser;
    let page: Page;
    /** Uncaught exceptions in the page: a view that crashes instead of showing its error. */
    const pageErrors: string[] = [];

    beforeAll(async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'apollo-react-'));
      onDispose(() => rmSync(outDir, { recursive: true, force: true }));
      await buildExample(outDir);
      expect(existsSync(join(outDir, 'index.html'))).toBe(true);
      site = await serveStatic(outDir);
      onDispose(() => site.close());
      // The gateway runs only the page's own documents (its manifest, as `npm run example:manifest` builds it).
      const trustedDocumentsFile = join(outDir, 'persisted-documents.json');
      writeFileSync(trustedDocumentsFile, JSON.stringify(persistedDocuments()));
      gateway = await startTestGateway({ config: { access: { mode: 'none', trustedDocumentsFile } } });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      onDispose(() => browser.close());
      page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      // The page's origin differs from the gateway's: every request below is cross-origin (CORS).
      await page.goto(`${site.url}/?gateway=${encodeURIComponent(new URL('/graphql', gateway.url).href)}`);
    }, SETUP_TIMEOUT_MS);

    afterAll(disposeAll);

    const text = (testId: string) => page.getByTestId(testId).innerText();
    /** Waits until `testId`'s text is a number above `than`. */
    const countAbove = (testId: string, than: number) =>
      page.waitForFunction(([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)?.textContent) > n, [testId, than] as const, {
        timeout: LIVE_TIMEOUT_MS,
      });

    it('runs on a gateway that refuses every document the page does not list', async () => {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: '{ status { mode } }' }),
      });
      expect(JSON.stringify(await res.json())).toContain('PERSISTED_QUERY_NOT_FOUND');
    });

    it(
      'draws the BTCUSD book as a depth chart and a ladder, and its levels change',
      async () => {
        await page.getByTestId('ladder').locator('tr[data-side="bid"]').first().waitFor({ timeout: LIVE_TIMEOUT_MS });
        const first = await page.getByTestId('ladder').innerText();
        const firstTimestamp = await text('book-timestamp');
        await countAbove('book-updates', 1);
        await page.waitForFunction(
          (before) => document.querySelector('[data-testid="ladder"]')?.textContent !== before,
          await page.getByTestId('ladder').textContent(),
          { timeout: LIVE_TIMEOUT_MS },
        );
        expect(await page.getByTestId('ladder').innerText()).not.toBe(first);
        expect(await text('book-timestamp')).not.toBe(firstTimestamp);
        // Both sides are drawn, and the ladder's totals add up from the best level.
        for (const side of ['bids', 'asks'])
          expect(await page.getByTestId('depth-chart').locator(`path[data-side="${side}"]`).getAttribute('d')).toMatch(/^M/);
        const bids = await page
          .getByTestId('ladder')
          .locator('tr[data-side="bid"]')
          .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))));
        let running = 0;
        for (const [, volume = 0, total = 0] of bids) {
          running += volume;
          expect(total).toBeCloseTo(running, 6);
        }
        expect(await page.getByTestId('book').getByRole('alert').count()).toBe(0);
      },
      BROWSER_TEST_TIMEOUT_MS,
    );

    it(
      'fills the trade tape over multipart HTTP as trades happen',
      async () => {
        await countAbove('trade-updates', 0);
        const rows = page.getByTestId('trades').locator('tr[data-trade-id]');
        await rows.first().waitFor({ timeout: LIVE_TIMEOUT_MS });
        const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trade-id')));
        expect(new Set(ids).size).toBe(ids.length);
        expect(await page.getByTestId('trades').getByRole('alert').count()).toBe(0);
      },
      BROWSER_TEST_TIMEOUT_MS,
    );

    it(
      'shows the option chain of the next expiry, strike by strike',
      async () => {
        const rows = page.getByTestId('chain').locator('tr[data-strike]');
        await rows.first().waitFor({ timeout: LIVE_TIMEOUT_MS });
        expect(Date.parse(`${await text('chain-expiry')}T08:00:00Z`)).toBeGreaterThan(Date.now());
        await countAbove('chain-updates', 0);
        expect(await rows.count()).toBeGreaterThan(1);
        expect(await page.getByTestId('chain').getByRole('alert').count()).toBe(0);
      },
      BROWSER_TEST_TIMEOUT_MS,
    );

    it('never crashed', async () => {
      // EXAMPLE_SCREENSHOT=/tmp/page.png saves what the page shows once every view is live, to look at by eye.
      const screenshot = process.env['EXAMPLE_SCREENSHOT'];
      if (screenshot !== undefined) await page.screenshot({ path: screenshot, fullPage: true });
      expect(pageErrors).toEqual([]);
    });

    it(
      'with no gateway to talk to, shows each view’s error and stays up',
      async () => {
        const lonely = await browser.newPage();
        const errors: string[] = [];
        lonely.on('pageerror', (error) => errors.push(error.message));
        // A "gateway" that is only the static site: its /graphql answers 404 and refuses WebSockets.
        await lonely.goto(`${site.url}/?gateway=${encodeURIComponent(`${site.url}/graphql`)}`);
        for (const view of ['book', 'trades', 'chain'])
          await lonely.getByTestId(view).getByRole('alert').first().waitFor({ timeout: LIVE_TIMEOUT_MS });
        expect(errors).toEqual([]);
        await lonely.close();
      },
      BROWSER_TEST_TIMEOUT_MS,
    );
  },
);
