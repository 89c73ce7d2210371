/**
 * GraphiQL's first use, as the page is served: it opens on a public channel,
 * every tab's variables are complete and valid for the schema right now (no
 * "Variable $expiry was not provided"), the private tabs carry the demo key
 * only when the gateway runs on its built-in simulator (never on a live
 * upstream), the page loads nothing from a CDN, and `GET /` leads to it.
 */
import { getVariableValues, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { API_KEY_HEADER, API_SECRET_HEADER } from '../src/server/context.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../src/server/graphiql/graphiql-assets.ts';
import { exampleExpiry, exampleOption, exampleVariables, isPrivateExample } from '../src/channels/examples.ts';
import {
  DEFAULT_TAB,
  EXAMPLES_TAB,
  FEATURED_TABS,
  graphiqlOptions,
  loadExampleOperations,
  type GraphiQLPageOptions,
} from '../src/server/graphiql/graphiql.ts';
import { DEMO_ACCOUNT, startSimulator, type Simulator } from '../src/simulator/index.ts';
import { underlyingSpec } from '../src/simulator/instrument-specs.ts';
import { DEMO_CREDENTIAL, disposeAll, sse, startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { pageOptions } from './helpers/graphiql-options.ts';

const schema = gatewaySchema();
const OPERATIONS = loadExampleOperations(new URL('../schema/operations/', import.meta.url));
/** The examples as app.ts passes them: from the channel files. */
const EXAMPLES = { variables: exampleVariables, isPrivate: isPrivateExample };
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The GraphiQL page, without its assets (which were 9 MB inlined). */
const PAGE_MAX_BYTES = 64 * 1024;
/** What a page must not load from: the CDNs GraphiQL pages commonly use. */
const CDN = /unpkg\.com|jsdelivr\.net|cdnjs\.|esm\.sh|fonts\.googleapis/;
/** An element that fetches from elsewhere: `<script src="http…">`, `<link href="//…">`. */
const EXTERNAL_ASSET = /<(script|link|img)\b[^>]*\b(src|href)=["']?(https?:)?\/\//i;

async function fetchPage(url: string): Promise<{ status: number; html: string }> {
  const res = await fetch(url, { headers: { accept: 'text/html' } });
  return { status: res.status, html: await res.text() };
}

/** The tab whose document holds `name`'s root field or operation. */
function tabOf(options: GraphiQLPageOptions, name: string) {
  const operation = OPERATIONS.find((op) => op.name === name);
  return options.defaultTabs?.find((tab) => tab.query === operation?.query);
}

/** The operations that have a tab of their own, and the others (in the examples tab). */
const FEATURED = OPERATIONS.filter((op) => FEATURED_TABS.includes(op.name));
const OTHERS = OPERATIONS.filter((op) => !FEATURED_TABS.includes(op.name));

/** The examples tab: the one whose document starts by naming it. */
const examplesTabOf = (options: GraphiQLPageOptions) =>
  options.defaultTabs?.find((tab) => tab.query?.includes(`query ${EXAMPLES_TAB}`) === true);

/** The name of an operation file's (first) operation. */
const operationNameOf = (query: string) => (parse(query).definitions[0] as OperationDefinitionNode).name?.value;

describe('the example expiry', () => {
  it('is 08:00 UTC between one and two days ahead, whatever the time of day', () => {
    const day = Date.UTC(2026, 4, 27);
    for (const now of [day, day + 8 * HOUR_MS - 1, day + 8 * HOUR_MS, day + 8 * HOUR_MS + 1, day + DAY_MS - 1]) {
      const expiry = exampleExpiry(now);
      expect(new Date(expiry).toISOString()).toMatch(/T08:00:00\.000Z$/);
      expect(expiry - now).toBeGreaterThan(DAY_MS);
      expect(expiry - now).toBeLessThanOrEqual(2 * DAY_MS);
    }
  });

  it('names an option near the reference price, on the strike grid', () => {
    const now = Date.UTC(2026, 4, 27, 12);
    expect(exampleOption({ now, referencePrice: 65_432 })).toBe('BTCUSD-29MAY26-65000-C');
    expect(exampleOption({ now, referencePrice: 65_600 })).toBe('BTCUSD-29MAY26-66000-C');
  });
});

describe('graphiqlOptions', () => {
  const now = Date.UTC(2026, 4, 27, 7, 59);
  const options = graphiqlOptions(
    { operations: OPERATIONS, now: () => now, referencePrice: 65_000, demoCredential: DEMO_CREDENTIAL, examples: EXAMPLES },
    schema,
  );

  it(`opens on ${DEFAULT_TAB}, a public channel, with its variables in the editor`, () => {
    const [first] = options.defaultTabs ?? [];
    expect(first?.query).toContain(`${DEFAULT_TAB}(`);
    expect(isPrivateExample(DEFAULT_TAB)).toBe(false);
    expect(options.defaultQuery).toBe(first?.query);
    expect(options.initialVariables).toBe(first?.variables);
    expect(options.initialHeaders).toBe('{}');
  });

  it('has a handful of tabs: the featured examples in order, then one with every other example', () => {
    expect(FEATURED.length).toBeGreaterThanOrEqual(4);
    expect(options.defaultTabs).toHaveLength(FEATURED.length + 1);
    expect(options.defaultTabs?.slice(0, FEATURED.length).map((tab) => tab.query)).toEqual(
      FEATURED_TABS.flatMap((name) => FEATURED.filter((op) => op.name === name)).map((op) => op.query),
    );
    expect(options.defaultTabs?.at(-1)).toBe(examplesTabOf(options));
  });

  it('has a tab for the status subscription', () => {
    expect(FEATURED.map((op) => op.name)).toContain('statusUpdates');
    expect(tabOf(options, 'statusUpdates')?.query).toMatch(/subscription StatusUpdates\b[^]*\bstatus\b/);
  });

  it('puts every other example in the examples tab, each runnable as it stands: its variables are its defaults', () => {
    const document = parse(examplesTabOf(options)?.query ?? '');
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    expect(operations.map((op) => op.name?.value).sort()).toEqual(OTHERS.map((op) => operationNameOf(op.query)).sort());
    expect(validate(schema, document)).toEqual([]);
    for (const operation of operations) {
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], {});
      expect(coerced.errors ?? [], operation.name?.value).toEqual([]);
      const expiry = operation.variableDefinitions?.find((v) => v.variable.name.value === 'expiry')?.defaultValue;
      if (expiry?.kind === Kind.STRING) expect(Date.parse(expiry.value)).toBeGreaterThan(now);
    }
  });

  it.each(FEATURED.filter((op) => op.name !== 'statusUpdates').map((op) => [op.name]))(
    'gives the %s tab variables that the schema accepts at the moment the page is served',
    (name) => {
      const tab = tabOf(options, name);
      const operation = parse(tab?.query ?? '').definitions[0] as OperationDefinitionNode;
      const inputs = JSON.parse(tab?.variables ?? '{}') as Record<string, unknown>;
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
      expect(coerced.errors ?? []).toEqual([]);
      if (typeof inputs['expiry'] === 'string') expect(Date.parse(inputs['expiry'])).toBeGreaterThan(now);
    },
  );

  it('puts the demo key on the private tabs, the examples tab and new tabs, and none on the public ones', () => {
    expect(JSON.parse(examplesTabOf(options)?.headers ?? 'null')).toEqual({
      [API_KEY_HEADER]: DEMO_ACCOUNT.apiKey,
      [API_SECRET_HEADER]: DEMO_ACCOUNT.apiSecret,
    });
    for (const op of FEATURED) {
      const headers = JSON.parse(tabOf(options, op.name)?.headers ?? 'null') as Record<string, string> | null;
      if (isPrivateExample(op.name))
        expect(headers, op.name).toEqual({ [API_KEY_HEADER]: DEMO_ACCOUNT.apiKey, [API_SECRET_HEADER]: DEMO_ACCOUNT.apiSecret });
      else expect(headers, op.name).toEqual({});
    }
    expect(JSON.parse(options.defaultHeaders ?? 'null')).toEqual({
      [API_KEY_HEADER]: DEMO_ACCOUNT.apiKey,
      [API_SECRET_HEADER]: DEMO_ACCOUNT.apiSecret,
    });
  });

  it('without a demo key (a live upstream) sets no headers anywhere', () => {
    const live = graphiqlOptions({ operations: OPERATIONS, now: () => now, examples: EXAMPLES }, schema);
    expect(live.defaultHeaders).toBeUndefined();
    expect(live.initialHeaders).toBeUndefined();
    expect(live.defaultTabs).toHaveLength(FEATURED.length + 1);
    for (const tab of live.defaultTabs ?? []) expect(tab.headers).toBeNull();
  });
});

describe('the served page, on the simulator', () => {
  const NOW = Date.now();
  let gateway: TestGateway;
  let page: { status: number; html: string };
  beforeAll(async () => {
    gateway = await startTestGateway({ now: () => NOW });
    page = await fetchPage(gateway.url);
  });
  afterAll(disposeAll);

  it('is GraphiQL with every asset from the gateway itself: no CDN, no external script or stylesheet', () => {
    expect(page.status).toBe(200);
    expect(CDN.test(page.html), 'a CDN is referenced').toBe(false);
    expect(EXTERNAL_ASSET.exec(page.html)?.[0], 'an element loads from another host').toBeUndefined();
  });

  it('preloads the variables the example helper computes now, and the demo key on the private tabs', () => {
    const options = pageOptions(page.html);
    const variables: Readonly<Record<string, object>> = exampleVariables({
      now: NOW,
      referencePrice: underlyingSpec('BTCUSD')?.startPrice,
    });
    for (const op of FEATURED) {
      const tab = tabOf(options, op.name);
      expect(tab, op.name).toBeDefined();
      expect(JSON.parse(tab?.variables ?? '{}'), op.name).toEqual(variables[op.name] ?? {});
      if (isPrivateExample(op.name)) expect(tab?.headers, op.name).toContain(DEMO_ACCOUNT.apiSecret);
    }
    // The examples tab spells each option's symbol and expiry of now as a default.
    const examples = examplesTabOf(options)?.query ?? '';
    for (const name of ['optionPricing', 'optionOrderBook'])
      expect(examples).toContain(`= "${String(Reflect.get(variables[name] ?? {}, 'symbol'))}"`);
  });

  it("runs the private AccountBalance tab as GraphiQL does (SSE with the tab's headers) and streams the demo account", async () => {
    const tab = tabOf(pageOptions(page.html), 'accountBalance');
    const headers = JSON.parse(tab?.headers ?? '{}') as Record<string, string>;
    const [event] = (await sse(gateway.url, { query: tab?.query ?? '' }, 1, headers)) as Array<{
      data?: { accountBalance?: { userId: string } };
      errors?: unknown;
    }>;
    expect(event?.errors).toBeUndefined();
    expect(event?.data?.accountBalance?.userId).toBe(DEMO_ACCOUNT.userId);
  });

  it("is a small page; GraphiQL's files are separate, hashed, compressed and cached for good, with an ETag that answers 304", async () => {
    expect(page.html.length).toBeLessThan(PAGE_MAX_BYTES);
    const paths = [...new Set([...page.html.matchAll(/"(\/graphiql\/[^"]+)"/g)].map((m) => m[1] ?? ''))];
    expect(paths.length).toBeGreaterThanOrEqual(5);
    for (const path of paths) {
      expect(path).toMatch(/\.[0-9a-f]{16}\.(js|css|ico)$/);
      const url = new URL(path, gateway.url);
      for (const [accept, encoding] of [
        ['br, gzip', 'br'],
        ['gzip, deflate', 'gzip'],
        ['identity', null],
      ] as const) {
        const res = await fetch(url, { headers: { 'accept-encoding': accept } });
        await res.arrayBuffer();
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-encoding'), `${path} for ${accept}`).toBe(encoding);
        expect(res.headers.get('cache-control')).toBe(IMMUTABLE_CACHE_CONTROL);
        expect(res.headers.get('vary')).toBe('accept-encoding');
        const etag = res.headers.get('etag') ?? '';
        expect(etag).toMatch(/^"[0-9a-f]{16}(-br|-gzip)?"$/);
        const again = await fetch(url, { headers: { 'accept-encoding': accept, 'if-none-match': etag } });
        expect(again.status, `${path} revalidated`).toBe(304);
        expect(await again.text()).toBe('');
      }
    }
    // The big one, compressed: GraphiQL's script shrinks to a quarter at most.
    const script = paths.find((p) => /\/graphiql\.[0-9a-f]+\.js$/.test(p)) ?? '';
    const raw = await fetch(new URL(script, gateway.url), { headers: { 'accept-encoding': 'identity' } });
    const rawBytes = (await raw.arrayBuffer()).byteLength;
    const br = await fetch(new URL(script, gateway.url), { headers: { 'accept-encoding': 'br' } });
    await br.arrayBuffer();
    expect(Number(br.headers.get('content-length'))).toBeLessThan(rawBytes / 4);
  });

  it('answers 404 for a GraphiQL file it does not have', async () => {
    const res = await fetch(new URL('/graphiql/graphiql.0000000000000000.js', gateway.url));
    expect(res.status).toBe(404);
  });

  it('is where GET / leads (302 to /graphql)', async () => {
    const res = await fetch(new URL('/', gateway.url), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/graphql');
  });
});

describe('the served page, on a live upstream', () => {
  let simulator: Simulator;
  let page: { status: number; html: string };
  beforeAll(async () => {
    // A live-mode gateway (UPSTREAM=coincall) whose "exchange" is a standalone simulator signed with the demo key.
    simulator = await startSimulator({ tickMs: 50 });
    const gateway = await startTestGateway({
      config: {
        upstream: 'coincall',
        optionsWsUrl: simulator.urls.options,
        futuresWsUrl: simulator.urls.futures,
        apiKey: DEMO_ACCOUNT.apiKey,
        apiSecret: DEMO_ACCOUNT.apiSecret,
      },
    });
    expect(gateway.mode).toBe('LIVE');
    page = await fetchPage(gateway.url);
  });
  afterAll(async () => {
    await disposeAll();
    await simulator.close();
  });

  it("never preloads a key: not the server's, not the demo account's", () => {
    expect(page.status).toBe(200);
    expect(page.html.includes(DEMO_ACCOUNT.apiKey)).toBe(false);
    expect(page.html.includes(DEMO_ACCOUNT.apiSecret)).toBe(false);
    expect(page.html.includes(API_SECRET_HEADER)).toBe(false);
  });

  it('still gives every tab working variables (a listed expiry; the strike from the fallback level)', () => {
    const options = pageOptions(page.html);
    expect(tabOf(options, DEFAULT_TAB)).toBe(options.defaultTabs?.[0]);
    expect(JSON.parse(tabOf(options, 'optionChain')?.variables ?? '{}')).toHaveProperty('expiry');
    expect(examplesTabOf(options)?.query).toMatch(/subscription OptionPricing\(\$symbol: String! = "BTCUSD-\d{1,2}[A-Z]{3}\d{2}-\d+-C"/);
  });
});
