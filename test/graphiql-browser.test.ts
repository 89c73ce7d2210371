/**
 * GraphiQL in a real browser (Debian's Chromium, driven by playwright-core),
 * offline: every request to a host other than the gateway is refused and
 * recorded. Opening /graphql and pressing Run on the default tab streams
 * order books into the response pane, and the private AccountBalance tab
 * streams the demo account with the headers the page preloads.
 * `.ci/run` installs Chromium; without /usr/bin/chromium this file skips.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TAB } from '../src/server/graphiql.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import { disposeAll, startTestGateway, type TestGateway } from './helpers/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'];
const BROWSER_TEST_TIMEOUT_MS = 60_000;
const hasChromium = existsSync(CHROMIUM);

/** The timestamp shown in the response pane, or undefined before the first event. */
const RESPONSE_TIMESTAMP = /"timestamp":\s*"([^"]+)"/;

describe.skipIf(!hasChromium)(`GraphiQL in a browser${hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} is missing; apt-get install chromium, as .ci/run does)`}`, () => {
  let gateway: TestGateway;
  let browser: Browser;
  let page: Page;
  const refused: string[] = [];
  /** Requests that reached the gateway: the page and GraphiQL's own (introspection, the streams). */
  const served: string[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    const gatewayOrigin = new URL(gateway.url).origin;
    await page.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin === gatewayOrigin) served.push(url.href);
      if (url.origin === gatewayOrigin || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
      refused.push(url.href);
      return route.abort();
    });
  }, BROWSER_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await disposeAll();
  });

  const response = () => page.locator('.graphiql-response');
  /** The Run button reads "Execute query" when idle and "Stop query" while a subscription runs. */
  const idleRunButton = () => page.locator('.graphiql-execute-button[aria-label^="Execute"]');
  const run = () => idleRunButton().click();
  const stop = async () => {
    await page.locator('.graphiql-execute-button[aria-label^="Stop"]').click();
    await idleRunButton().waitFor();
  };
  const activeTab = () => page.locator('.graphiql-tab-active');

  it(`opens on ${DEFAULT_TAB}, and Run streams order books into the response pane`, async () => {
    await page.goto(gateway.url);
    await idleRunButton().waitFor();
    expect(await activeTab().innerText()).toBe('FuturesOrderBook');
    await run();
    await response().filter({ hasText: '"futuresOrderBook"' }).waitFor();
    const first = RESPONSE_TIMESTAMP.exec(await response().innerText())?.[1];
    expect(first).toBeDefined();
    // Streamed: a later event replaces the first one in the pane.
    await page.waitForFunction(
      ([selector, shown]) => {
        const text = document.querySelector(selector)?.textContent ?? '';
        return text.includes('"timestamp"') && !text.includes(shown);
      },
      ['.graphiql-response', first ?? ''] as const,
      { timeout: 0 },
    );
    expect(await response().innerText()).toContain('"bids"');
    await stop();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('runs the private AccountBalance tab out of the box with the demo key it preloads', async () => {
    // The tabs are draggable: a synthetic click selects without starting a drag.
    await page.locator('.graphiql-tab-button', { hasText: 'AccountBalance' }).dispatchEvent('click');
    await activeTab().filter({ hasText: 'AccountBalance' }).waitFor();
    // GraphiQL takes in the tab's document (and its operation name) on a debounce, then stores it: wait for that.
    await page.waitForFunction(() => localStorage.getItem('graphiql:query')?.includes('subscription AccountBalance') === true, undefined, { timeout: 0 });
    await run();
    await response().filter({ hasText: '"availableBalance"' }).waitFor();
    const text = await response().innerText();
    expect(text).toMatch(new RegExp(`"userId":\\s*"${DEMO_ACCOUNT.userId}"`));
    expect(text).not.toContain('UNAUTHENTICATED');
    await stop();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('loaded everything from the gateway: nothing was requested from another host', () => {
    // The tests above ran against the page (a file run alone with -t would not).
    expect(served.length).toBeGreaterThan(0);
    expect(refused).toEqual([]);
  });
});
