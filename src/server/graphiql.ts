/**
 * GraphiQL's first use: the example operations of `schema/operations/` as
 * tabs, a public channel first, each with variables that work at the moment
 * the page is served (a listed expiry, an option near the money), and, on the
 * built-in simulator only, the simulator's demo key as the headers of the
 * private tabs. (`http.ts` renders the page from the npm package's bundled
 * assets, so it needs no CDN and works offline.)
 *
 * Pure apart from reading the operation files: the caller passes the clock,
 * the reference price, the demo credential (server/ does not know the
 * simulator) and the examples' variables and access (server/ keeps no list of
 * channels; `app.ts` passes `channels/examples.ts`, which loops the registry).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { GraphiQLOptions } from 'graphql-yoga';
import { API_KEY_HEADER, API_SECRET_HEADER } from './context.ts';

export interface ExampleOperation {
  readonly name: string;
  readonly query: string;
}

export const GRAPHIQL_TITLE = 'Coincall GraphQL gateway';
/** The tab GraphiQL opens on: public, streams at once, needs no variables to edit. */
export const DEFAULT_TAB = 'futuresOrderBook';
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
  /** A recent BTCUSD price, for a strike near the money; a round fallback level when omitted. */
  readonly referencePrice?: number | undefined;
}

/** The examples' channel-dependent part: their variables and which need the client's key. */
export interface ExampleSource {
  /** Every example's variables (by operation name), valid at `market.now`. */
  variables(market: ExampleMarket): Readonly<Record<string, object>>;
  /** Whether an example needs the client's Coincall key. */
  isPrivate(name: string): boolean;
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
  /** The examples' variables and access, from the channel files. */
  readonly examples: ExampleSource;
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
  const variables = setup.examples.variables({ now: setup.now(), referencePrice: setup.referencePrice });
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
      headers: headers === undefined ? null : setup.examples.isPrivate(op.name) ? headers : EMPTY_HEADERS,
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
