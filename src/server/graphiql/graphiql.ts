/**
 * GraphiQL's first use: the example operations of `schema/operations/` as
 * tabs, a public channel first, each with variables that work at the moment
 * the page is served (a listed expiry, an option near the money), and, on the
 * built-in simulator only, the simulator's demo key as the headers of the
 * private tabs. (`graphiql-page.ts` renders the page, naming the npm
 * package's bundled assets that `graphiql-assets.ts` serves: no CDN, works
 * offline.)
 *
 * Pure apart from reading the operation files: the caller passes the clock,
 * the reference price, the demo credential (server/ does not know the
 * simulator) and the examples' variables and access (server/ keeps no list of
 * channels; `app.ts` passes `channels/examples.ts`, which loops the registry).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { astFromValue, isInputType, Kind, parse, print, typeFromAST, visit, type GraphQLSchema } from 'graphql';
import type { GraphiQLOptions } from 'graphql-yoga';
import { API_KEY_HEADER, API_SECRET_HEADER } from '../context.ts';

export interface ExampleOperation {
  readonly name: string;
  readonly query: string;
}

export const GRAPHIQL_TITLE = 'Coincall GraphQL gateway';
/** The tab GraphiQL opens on: public, streams at once, needs no variables to edit. */
export const DEFAULT_TAB = 'futuresOrderBook';
/**
 * The examples that get a tab of their own, in this order after the default
 * one: a handful that show the gateway's range (a book, a chain, trades, a
 * private channel, the gateway's own status as it changes). Every other
 * example is in the one EXAMPLES_TAB; a name without an operation file is
 * skipped.
 */
export const FEATURED_TABS: readonly string[] = [DEFAULT_TAB, 'optionChain', 'futuresTrades', 'accountBalance', 'statusUpdates'];
/** The title of the tab that holds every other example. */
export const EXAMPLES_TAB = 'MoreExamples';
/**
 * The examples tab's opening comment. GraphiQL titles a tab with the first
 * `query|subscription NAME` on a line that does not start with `#`: the
 * indented first line names this tab.
 */
const EXAMPLES_HEADER = ` # query ${EXAMPLES_TAB}: every channel without a tab of its own, and the status query.
# Pick one from the Run button's menu (or put the cursor in it) and run it. Each
# operation's variables are filled in as defaults, valid at the moment this page
# was loaded; change them in place. The Docs pane lists every field.
`;
const JSON_INDENT = 2;
const EMPTY_HEADERS = '{}';
/** The `Authorization` value GraphiQL's headers start with when GATEWAY_AUTH is on: where the key goes. */
export const GATEWAY_KEY_PLACEHOLDER = 'Bearer <your gateway key (GATEWAY_AUTH is on): replace this text with it>';

export function loadExampleOperations(directory: URL): ExampleOperation[] {
  let files: string[];
  try {
    files = readdirSync(directory)
      .filter((f) => f.endsWith('.graphql'))
      .sort();
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
  /** GRAPHIQL=off: the page is not served (default: served). */
  readonly enabled?: boolean;
  /** GATEWAY_AUTH is on: every tab's headers start with an `Authorization` placeholder that says where the key goes. */
  readonly gatewayKeyPlaceholder?: boolean;
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

/** The comment lines an operation file starts with. */
const leadingComment = (text: string) => /^(?:#.*\n)*/.exec(text)?.[0] ?? '';

/**
 * An operation with its variables written in as defaults (`$expiry: DateTime! = "…"`),
 * so that it runs as it stands, beside others whose variables share names.
 */
export function withDefaults(query: string, values: Readonly<Record<string, unknown>>, schema: GraphQLSchema): string {
  const document = visit(parse(query), {
    VariableDefinition(node) {
      const value = values[node.variable.name.value];
      const type = typeFromAST(schema, node.type);
      if (value === undefined || type === undefined || !isInputType(type)) return undefined;
      const literal = astFromValue(value, type);
      return literal == null || literal.kind === Kind.NULL ? undefined : { ...node, defaultValue: literal };
    },
  });
  return leadingComment(query) + print(document);
}

/** The GraphiQL page's options: the featured tabs in order (default first), then one tab with every other example. */
export function graphiqlOptions(setup: GraphiQLSetup, schema: GraphQLSchema): GraphiQLPageOptions {
  const variables = setup.examples.variables({ now: setup.now(), referencePrice: setup.referencePrice });
  const keyHeader: Readonly<Record<string, string>> =
    setup.gatewayKeyPlaceholder === true ? { Authorization: GATEWAY_KEY_PLACEHOLDER } : {};
  const withKey = Object.keys(keyHeader).length > 0;
  const headers =
    setup.demoCredential === undefined
      ? withKey
        ? JSON.stringify(keyHeader, null, JSON_INDENT)
        : undefined
      : JSON.stringify(
          { ...keyHeader, [API_KEY_HEADER]: setup.demoCredential.apiKey, [API_SECRET_HEADER]: setup.demoCredential.apiSecret },
          null,
          JSON_INDENT,
        );
  const publicHeaders = withKey ? JSON.stringify(keyHeader, null, JSON_INDENT) : EMPTY_HEADERS;
  const featured = FEATURED_TABS.flatMap((name) => setup.operations.filter((op) => op.name === name));
  const others = setup.operations.filter((op) => !FEATURED_TABS.includes(op.name));
  const valuesOf = (name: string): Readonly<Record<string, unknown>> => (Object.hasOwn(variables, name) ? { ...variables[name] } : {});
  const examplesTab =
    others.length === 0
      ? []
      : [
          {
            query: `${EXAMPLES_HEADER}\n${others.map((op) => withDefaults(op.query, valuesOf(op.name), schema)).join('\n\n')}\n`,
            variables: null,
            // The private examples need the key; the public ones ignore it.
            headers: headers === undefined ? null : headers,
          },
        ];
  const tabs = featured.map((op) => {
    const values = Object.hasOwn(variables, op.name) ? variables[op.name] : undefined;
    return {
      query: op.query,
      variables: values === undefined || Object.keys(values).length === 0 ? null : JSON.stringify(values, null, JSON_INDENT),
      // An empty object, not null: GraphiQL would fill a null with `defaultHeaders`.
      headers: headers === undefined ? null : setup.examples.isPrivate(op.name) ? headers : publicHeaders,
    };
  });
  tabs.push(...examplesTab);
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
