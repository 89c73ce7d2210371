/**
 * GraphiQL in a real browser (Debian's Chromium, driven by playwright-core),
 * offline: every request to a host other than the gateway is refused and
 * recorded. Opening /graphql and pressing Run on the default tab streams
 * order books into the response pane, and the private AccountBalance tab
 * streams the demo account with the headers the page preloads. The first
 * real mouse click on an inactive tab selects it, at every common width (it
 * used to be lost: the tab jumped away under the pointer), and the title
 * stays on one line. (Its weight and caching: graphiql-browser-load.test.ts.)
 * `.ci/run` installs Chromium; without /usr/bin/chromium this file skips.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TAB, EXAMPLES_TAB } from '../src/server/graphiql/graphiql.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import { disposeAll, startTestGateway, type TestGateway } from './helpers/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Widths at which the first click on a tab used to be lost (the tab jumped 600–1300 px on mouse-down). */
const WIDTHS = [1280, 1920, 2560] as const;
/** How long a selected tab may take to show as active. */
const TAB_SWITCH_TIMEOUT_MS = 5_000;

const BROWSER_TEST_TIMEOUT_MS = 60_000;
const hasChromium = existsSync(CHROMIUM);

/** The timestamp shown in the response pane, or undefined before the first event. */
const RESPONSE_TIMESTAMP = /"timestamp":\s*"([^"]+)"/;

describe.skipIf(!hasChromium)(
  `GraphiQL in a browser${hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} is missing; apt-get install chromium, as .ci/run does)`}`,
  () => {
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

    it(
      `opens on ${DEFAULT_TAB}, and Run streams order books into the response pane`,
      async () => {
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
      },
      BROWSER_TEST_TIMEOUT_MS,
    );

    it(
      'runs the private AccountBalance tab out of the box with the demo key it preloads',
      async () => {
        await page.locator('.graphiql-tab-button', { hasText: 'AccountBalance' }).click();
        await activeTab().filter({ hasText: 'AccountBalance' }).waitFor();
        // GraphiQL takes in the tab's document (and its operation name) on a debounce, then stores it: wait for that.
        await page.waitForFunction(
          () => localStorage.getItem('graphiql:query')?.includes('subscription AccountBalance') === true,
          undefined,
          { timeout: 0 },
        );
        await run();
        await response().filter({ hasText: '"availableBalance"' }).waitFor();
        const text = await response().innerText();
        expect(text).toMatch(new RegExp(`"userId":\\s*"${DEMO_ACCOUNT.userId}"`));
        expect(text).not.toContain('UNAUTHENTICATED');
        await stop();
      },
      BROWSER_TEST_TIMEOUT_MS,
    );

    it.each(WIDTHS)(
      'selects each inactive tab with the first mouse click, the tab staying under the pointer (%i px wide)',
      async (width) => {
        // A fresh page: GraphiQL keeps the tabs of earlier visits (their edits) in local storage.
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(gateway.url);
        await page.locator('.graphiql-execute-button').waitFor();
        const titles = await page.locator('.graphiql-tab-button').allInnerTexts();
        expect(titles.length).toBeLessThanOrEqual(8);
        expect(titles).toContain(EXAMPLES_TAB);
        // Every tab but the active first one, then back to the first.
        for (const title of [...titles.slice(1), titles[0] ?? '']) {
          const tab = page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${title}$`) });
          const before = await tab.boundingBox();
          if (before === null) throw new Error(`tab ${title} is not visible`);
          await page.mouse.move(before.x + before.width / 2, before.y + before.height / 2);
          await page.mouse.down();
          const pressed = await tab.boundingBox();
          await page.mouse.up();
          expect(pressed?.x, `${title} moved on mouse-down`).toBeCloseTo(before.x, 0);
          // The active tab is the one clicked (found by place: the examples tab takes the name of its first operation once open).
          await expect
            .poll(async () => (await page.locator('.graphiql-tab-active .graphiql-tab-button').boundingBox())?.x, {
              timeout: TAB_SWITCH_TIMEOUT_MS,
            })
            .toBeCloseTo(before.x, 0);
        }
        await page.close();
      },
      BROWSER_TEST_TIMEOUT_MS,
    );

    it('keeps the title on one line', async () => {
      const logo = page.locator('.graphiql-logo');
      const lineHeight = await logo.evaluate(
        (el) => parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5,
      );
      expect((await logo.boundingBox())?.height).toBeLessThan(lineHeight * 1.5);
    });

    it('loaded everything from the gateway: nothing was requested from another host', () => {
      // The tests above ran against the page (a file run alone with -t would not).
      expect(served.length).toBeGreaterThan(0);
      expect(refused).toEqual([]);
    });
  },
);
