/**
 * GraphiQL's weight in a real browser (Debian's Chromium, with its HTTP cache
 * on): the first load transfers GraphiQL's files compressed (about 2 MB, not
 * the 9 MB the inlined page was), and a reload takes them from the cache,
 * transferring little more than the page. Counted by Chromium itself (the
 * bytes it reports per response, headers and encoded body).
 * Without /usr/bin/chromium this file skips (`.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, startTestGateway, waitFor, type TestGateway } from './helpers/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const BROWSER_TEST_TIMEOUT_MS = 60_000;
const hasChromium = existsSync(CHROMIUM);
/** What the first load may transfer at most (the inlined page was 9 MB); it takes about 2.2 MB. */
const FIRST_LOAD_MAX_BYTES = 3_000_000;
/** What a reload may transfer at most: the page and the API's introspection; GraphiQL's files come from the cache. */
const RELOAD_MAX_BYTES = 256 * 1024;
/** How long the page's files may take to arrive (generous: the machine is shared). */
const ASSETS_TIMEOUT_MS = 30_000;

interface Transfer {
  /** Bytes on the wire (headers and the encoded body), per URL (the last request of it). */
  readonly bytes: Map<string, number>;
  /** Response headers, per URL. */
  readonly headers: Map<string, Record<string, string>>;
}

/** The files the page names (its `/graphiql/…` paths), as absolute URLs. */
async function namedAssets(page: Page): Promise<string[]> {
  const html = await page.content();
  return [...new Set([...html.matchAll(/"(\/graphiql\/[^"]+)"/g)].map((m) => new URL(m[1] ?? '', page.url()).href))];
}

/** Loads GraphiQL and counts what crossed the wire (the page's and its workers' requests), as Chromium reports it. */
async function load(page: Page, url: string, how: 'goto' | 'reload'): Promise<Transfer> {
  const transfer: Transfer = { bytes: new Map(), headers: new Map() };
  const finished = new Set<string>();
  const pending: Array<Promise<void>> = [];
  const onFinished = (request: Request) => {
    finished.add(request.url());
    pending.push(
      (async () => {
        const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
        transfer.bytes.set(request.url(), sizes.responseBodySize + sizes.responseHeadersSize);
        transfer.headers.set(request.url(), (await response?.allHeaders()) ?? {});
      })(),
    );
  };
  page.on('requestfinished', onFinished);
  if (how === 'goto') await page.goto(url);
  else await page.reload();
  await page.locator('.graphiql-execute-button').waitFor();
  // Monaco starts its workers once the editors are up: wait until every file the page names has arrived.
  const named = await namedAssets(page);
  expect(named.length).toBeGreaterThanOrEqual(5);
  await waitFor(() => named.every((u) => finished.has(u)), 'every file the page names', ASSETS_TIMEOUT_MS);
  page.off('requestfinished', onFinished);
  await Promise.all(pending);
  return transfer;
}

const total = (t: Transfer) => [...t.bytes.values()].reduce((a, b) => a + b, 0);
const assetUrls = (t: Transfer) => [...t.headers.keys()].filter((u) => new URL(u).pathname.startsWith('/graphiql/'));

describe.skipIf(!hasChromium)(
  `GraphiQL's weight in a browser${hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} is missing; apt-get install chromium, as .ci/run does)`}`,
  () => {
    let gateway: TestGateway;
    let browser: Browser;
    let page: Page;
    let first: Transfer;

    beforeAll(async () => {
      gateway = await startTestGateway();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      page = await browser.newPage();
      first = await load(page, new URL('/graphql', gateway.url).href, 'goto');
    }, BROWSER_TEST_TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await disposeAll();
    });

    it("loads GraphiQL's files compressed and cacheable for good: about 2 MB in all, not 9", () => {
      const assets = assetUrls(first);
      // The script, the styles, the icon and Monaco's workers.
      expect(assets.length).toBeGreaterThanOrEqual(5);
      for (const asset of assets) {
        const headers = first.headers.get(asset) ?? {};
        expect(headers['cache-control'], asset).toMatch(/immutable/);
        if (!asset.endsWith('.ico')) expect(headers['content-encoding'], asset).toMatch(/^(br|gzip)$/);
      }
      expect(total(first)).toBeLessThan(FIRST_LOAD_MAX_BYTES);
    });

    it(
      "takes them from the browser's cache on a reload",
      async () => {
        const again = await load(page, '', 'reload');
        const assets = assetUrls(again);
        expect(assets.length).toBeGreaterThanOrEqual(5);
        for (const asset of assets) expect(again.bytes.get(asset), `${asset} came over the wire again`).toBe(0);
        expect(total(again)).toBeLessThan(RELOAD_MAX_BYTES);
      },
      BROWSER_TEST_TIMEOUT_MS,
    );
  },
);
