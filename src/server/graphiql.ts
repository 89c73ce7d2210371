/**
 * GraphiQL's first use: the example operations of `schema/operations/` as
 * tabs, a public channel first, each with variables that work at the moment
 * the page is served (a listed expiry, an option near the money), and, on the
 * built-in simulator only, the simulator's demo key as the headers of the
 * private tabs. (`http.ts` renders the page from the npm package's bundled
 * assets, so it needs no CDN and works offline.)
 *
 * Pure apart from reading the operation files: the caller passes the clock,
 * the reference price and the demo credential (server/ does not know the
 * simulator; `app.ts` does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { GraphiQLOptions } from 'graphql-yoga';
import { CHANNELS, type ChannelId } from '../channels/registry.ts';
import { DAY_MS, nextDailyExpiry, optionSymbol } from '../coincall/symbols.ts';
import { API_KEY_HEADER, API_SECRET_HEADER } from './context.ts';

export interface ExampleOperation {
  readonly name: string;
  readonly query: string;
}

/** The example operations: one per root field, named as the field. */
export type ExampleName = ChannelId | 'status';

export const GRAPHIQL_TITLE = 'Coincall GraphQL gateway';
/** The tab GraphiQL opens on: public, streams at once, needs no variables to edit. */
export const DEFAULT_TAB: ExampleName = 'futuresOrderBook';
/** The underlying of every example. */
export const EXAMPLE_UNDERLYING = 'BTCUSD';
/** Distance between BTCUSD strikes near the money (the exchange's and the simulator's grid). */
export const EXAMPLE_STRIKE_STEP = 1_000;
/**
 * Used when no market price is at hand (a live upstream): a round BTCUSD level
 * for the example option's strike. The expiry is right either way; pick a
 * listed strike from the optionChain tab if this one is not listed.
 */
export const FALLBACK_REFERENCE_PRICE = 100_000;
const JSON_INDENT = 2;
const EMPTY_HEADERS = '{}';

export function loadExampleOperations(directory: URL): ExampleOperation[] {
  let files: string[];
  try {
    files = readdirSync(directory).filter((f) => f.endsWith('.graphql')).sort();
  } catch {
    return [];
  }
  return files.map((file) => ({ name: file.replace(/\.graphql$/, ''), query: readFileSync(new URL(file, directory), 'utf8') }));
}

/** What the examples' variables are computed from. */
export interface ExampleMarket {
  /** Current time in ms. */
  readonly now: number;
  /** A recent BTCUSD price, for a strike near the money; `FALLBACK_REFERENCE_PRICE` when omitted. */
  readonly referencePrice?: number | undefined;
}

/**
 * The example expiry: the second daily expiry from `now`, 08:00 UTC between
 * one and two days ahead. Listed by the exchange and the simulator alike, and
 * never minutes from expiring while someone reads the page.
 */
export function exampleExpiry(now: number): number {
  return nextDailyExpiry(now) + DAY_MS;
}

/** The example option: a BTCUSD call of the example expiry at the strike nearest the reference price. */
export function exampleOption(market: ExampleMarket): string {
  const reference = market.referencePrice ?? FALLBACK_REFERENCE_PRICE;
  const strike = Math.max(1, Math.round(reference / EXAMPLE_STRIKE_STEP)) * EXAMPLE_STRIKE_STEP;
  return optionSymbol(EXAMPLE_UNDERLYING, exampleExpiry(market.now), String(strike), 'CALL');
}

/**
 * Variables for every example operation, valid at `market.now`. Variables
 * with a default in the operation are spelled out too, so that the
 * variables pane shows what can be changed. Enum values keep their literal
 * types, so the end-to-end test checks these against the generated operation types.
 */
export function exampleVariables(market: ExampleMarket) {
  const symbol = EXAMPLE_UNDERLYING;
  const option = exampleOption(market);
  const expiry = new Date(exampleExpiry(market.now)).toISOString();
  return {
    status: {},
    accountBalance: {},
    optionIndexPrice: { symbol },
    optionKline: { symbol: option, period: 'H1' as const },
    optionPricing: { symbol: option },
    optionChain: { underlying: symbol, expiry, type: 'CALL' as const },
    optionOrderBook: { symbol: option, depth: 5 },
    optionTrades: { symbol: option },
    optionFills: { symbol: option },
    optionOrders: {},
    optionPositions: { underlyings: [symbol] },
    futuresIndexPrice: { symbol },
    futuresKline: { symbol, period: 'M1' as const },
    futuresOrderBook: { symbol, depth: 10 },
    futuresTrades: { symbol },
    futuresFills: {},
    futuresOrders: {},
    futuresPositions: {},
  } satisfies Readonly<Record<ExampleName, Readonly<Record<string, unknown>>>>;
}

/** Whether an example needs the client's Coincall key. */
export function isPrivateExample(name: string): boolean {
  return Object.hasOwn(CHANNELS, name) && CHANNELS[name as ChannelId].access === 'private';
}

export interface DemoCredential {
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface GraphiQLSetup {
  readonly operations: readonly ExampleOperation[];
  /** Clock: the variables are computed each time the page is served, so they never go stale. */
  readonly now: () => number;
  readonly referencePrice?: number | undefined;
  /**
   * Preloaded as the headers of the private tabs (and of new tabs). Only the
   * built-in simulator's demo account belongs here; never a real key.
   */
  readonly demoCredential?: DemoCredential | undefined;
}

/**
 * GraphiQL's options as yoga's page passes them on: besides yoga's typed
 * ones, GraphiQL's own `initialVariables` and `initialHeaders`, which fill the
 * editors of the tab shown first (GraphiQL fills them from these, not from
 * the first of `defaultTabs`).
 */
export type GraphiQLPageOptions = GraphiQLOptions & { readonly initialVariables?: string; readonly initialHeaders?: string };

/** The GraphiQL page's options: tabs in order (default first), their variables and headers. */
export function graphiqlOptions(setup: GraphiQLSetup): GraphiQLPageOptions {
  const variables: Readonly<Record<string, object>> = exampleVariables({ now: setup.now(), referencePrice: setup.referencePrice });
  const headers =
    setup.demoCredential === undefined
      ? undefined
      : JSON.stringify({ [API_KEY_HEADER]: setup.demoCredential.apiKey, [API_SECRET_HEADER]: setup.demoCredential.apiSecret }, null, JSON_INDENT);
  const ordered = [...setup.operations.filter((op) => op.name === DEFAULT_TAB), ...setup.operations.filter((op) => op.name !== DEFAULT_TAB)];
  const tabs = ordered.map((op) => {
    const values = Object.hasOwn(variables, op.name) ? variables[op.name] : undefined;
    return {
      query: op.query,
      variables: values === undefined || Object.keys(values).length === 0 ? null : JSON.stringify(values, null, JSON_INDENT),
      // An empty object, not null: GraphiQL would fill a null with `defaultHeaders`.
      headers: headers === undefined ? null : isPrivateExample(op.name) ? headers : EMPTY_HEADERS,
    };
  });
  const [first] = tabs;
  return {
    title: GRAPHIQL_TITLE,
    subscriptionsProtocol: 'SSE',
    ...(first === undefined ? {} : { defaultQuery: first.query }),
    ...(first?.variables == null ? {} : { initialVariables: first.variables }),
    ...(first?.headers == null ? {} : { initialHeaders: first.headers }),
    defaultTabs: tabs,
    ...(headers === undefined ? {} : { defaultHeaders: headers }),
  };
}
