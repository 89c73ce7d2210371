/**
 * Every example operation of `schema/operations/` works as a user meets it:
 * run against the gateway on its simulator through the real graphql-ws
 * client, as GraphiQL's tabs hold them, with the variables GraphiQL
 * preloads (the same helper with the same clock and reference price; the
 * GraphiQL tests check the page carries them) and, for the private ones, the
 * simulator's demo key. Each yields at least one event whose every value has
 * the type the schema promises (a Decimal is a decimal string, a DateTime an
 * ISO instant, an enum one of its values, a non-null field never null).
 * The variables come from the channel files' example hooks, looped over the
 * registry (`channels/examples.ts`), so running each example here checks
 * them too.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  type DocumentNode,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { loadExampleOperations } from '../src/server/graphiql/graphiql.ts';
import { exampleVariables, isPrivateExample, type ExampleName } from '../src/channels/examples.ts';
import { underlyingSpec } from '../src/simulator/instrument-specs.ts';
import {
  AccountBalanceDocument,
  FuturesFillsDocument,
  FuturesIndexPriceDocument,
  FuturesKlineDocument,
  FuturesOrderBookDocument,
  FuturesOrdersDocument,
  FuturesPositionsDocument,
  FuturesTradesDocument,
  OptionChainDocument,
  OptionFillsDocument,
  OptionIndexPriceDocument,
  OptionKlineDocument,
  OptionOrderBookDocument,
  OptionOrdersDocument,
  OptionPositionsDocument,
  OptionPricingDocument,
  OptionTradesDocument,
  StatusDocument,
} from './generated/graphql.ts';
import { DEMO_CREDENTIAL, disposeAll, startTestGateway, take, wsClient, type TestGateway } from './helpers/gateway.ts';

/** Private examples wait for the simulated account to fill an order; public ones stream at once. */
const FIRST_EVENT_WAIT_MS = 20_000;
const TEST_TIMEOUT_MS = 30_000;

const schema = gatewaySchema();
const OPERATIONS = loadExampleOperations(new URL('../schema/operations/', import.meta.url));
/** GraphiQL's clock, pinned for the whole file so the test computes exactly the variables the page serves. */
const NOW = Date.now();
const variables = exampleVariables({ now: NOW, referencePrice: underlyingSpec('BTCUSD')?.startPrice });

/** A look at an example's typed result, beyond the schema check: the example shows what it says it shows. */
type Check = (data: unknown) => void;

/** Ties a check to its typed document: the check is compiled against the generated result type. */
function check<R, V>(_document: TypedDocumentNode<R, V>, look: (data: R) => void): Check {
  return (data) => look(data as R);
}

/** The closer looks; an example without one (a new channel's) still gets the schema check. */
const CHECKS: Partial<Record<ExampleName, Check>> = {
  status: check(StatusDocument, (d) => expect(d.status.mode).toBe('SIMULATED')),
  accountBalance: check(AccountBalanceDocument, (d) => expect(d.accountBalance.userId).toMatch(/^\d+$/)),
  optionIndexPrice: check(OptionIndexPriceDocument, (d) => expect(d.optionIndexPrice.symbol).toBe('BTCUSD')),
  optionKline: check(OptionKlineDocument, (d) =>
    expect(d.optionKline).toMatchObject({ symbol: variables.optionKline['symbol'], period: 'H1' }),
  ),
  optionPricing: check(OptionPricingDocument, (d) => expect(d.optionPricing.symbol).toBe(variables.optionPricing['symbol'])),
  optionChain: check(OptionChainDocument, (d) => {
    expect(d.optionChain.expiry).toBe(variables.optionChain['expiry']);
    expect(d.optionChain.tickers.length).toBeGreaterThan(0);
    for (const ticker of d.optionChain.tickers) expect(ticker.type).toBe('CALL');
  }),
  optionOrderBook: check(OptionOrderBookDocument, (d) => {
    expect(d.optionOrderBook.symbol).toBe(variables.optionOrderBook['symbol']);
    expect(d.optionOrderBook.bids.length).toBeLessThanOrEqual(Number(variables.optionOrderBook['depth']));
  }),
  optionTrades: check(OptionTradesDocument, (d) => {
    expect(d.optionTrades.length).toBeGreaterThan(0);
    for (const trade of d.optionTrades) expect(trade.symbol).toBe(variables.optionTrades['symbol']);
  }),
  optionFills: check(OptionFillsDocument, (d) => expect(d.optionFills.symbol).toBe(variables.optionFills['symbol'])),
  optionOrders: check(OptionOrdersDocument, (d) => expect(d.optionOrders.symbol).toMatch(/^BTCUSD-/)),
  optionPositions: check(OptionPositionsDocument, (d) => expect(d.optionPositions.symbol).toMatch(/^BTCUSD-/)),
  futuresIndexPrice: check(FuturesIndexPriceDocument, (d) => expect(d.futuresIndexPrice.symbol).toBe('BTCUSD')),
  futuresKline: check(FuturesKlineDocument, (d) => expect(d.futuresKline).toMatchObject({ symbol: 'BTCUSD', period: 'M1' })),
  futuresOrderBook: check(FuturesOrderBookDocument, (d) => {
    expect(d.futuresOrderBook.symbol).toBe('BTCUSD');
    expect(d.futuresOrderBook.bids).toHaveLength(Number(variables.futuresOrderBook['depth']));
  }),
  futuresTrades: check(FuturesTradesDocument, (d) => expect(d.futuresTrades.length).toBeGreaterThan(0)),
  futuresFills: check(FuturesFillsDocument, (d) => expect(d.futuresFills.symbol).toMatch(/USD$/)),
  futuresOrders: check(FuturesOrdersDocument, (d) => expect(d.futuresOrders.symbol).toMatch(/USD$/)),
  futuresPositions: check(FuturesPositionsDocument, (d) => expect(d.futuresPositions.symbol).toMatch(/USD$/)),
};

const DECIMAL = /^-?\d+(\.\d+)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Where `value` breaks the schema's promise for `type` with this selection (empty: well-typed). */
function typeProblems(type: GraphQLOutputType, selection: SelectionSetNode | undefined, value: unknown, path: string): string[] {
  if (isNonNullType(type))
    return value === null || value === undefined ? [`${path} is null but non-null`] : typeProblems(type.ofType, selection, value, path);
  if (value === null) return [];
  if (isListType(type))
    return Array.isArray(value)
      ? value.flatMap((item, i) => typeProblems(type.ofType, selection, item, `${path}[${i}]`))
      : [`${path} is not a list`];
  if (isEnumType(type))
    return typeof value === 'string' && type.getValue(value) !== undefined ? [] : [`${path}: ${String(value)} is not a ${type.name}`];
  if (isScalarType(type)) {
    const ok: Record<string, (v: unknown) => boolean> = {
      Decimal: (v) => typeof v === 'string' && DECIMAL.test(v),
      DateTime: (v) => typeof v === 'string' && DATE_TIME.test(v) && new Date(v).toISOString() === v,
      Float: (v) => typeof v === 'number' && Number.isFinite(v),
      Int: (v) => Number.isInteger(v),
      String: (v) => typeof v === 'string',
      ID: (v) => typeof v === 'string',
      Boolean: (v) => typeof v === 'boolean',
    };
    const check = ok[type.name];
    if (check === undefined) return [`${path}: no check for scalar ${type.name}`];
    return check(value) ? [] : [`${path}: ${JSON.stringify(value)} is not a ${type.name}`];
  }
  if (!isObjectType(type) || selection === undefined || typeof value !== 'object' || Array.isArray(value))
    return [`${path} is not a ${String(type)} object`];
  const record = value as Record<string, unknown>;
  const fields = type.getFields();
  const selected = selection.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s] : []));
  const keys = selected.map((s) => s.alias?.value ?? s.name.value);
  const extra = Object.keys(record).filter((k) => !keys.includes(k));
  return [
    ...extra.map((k) => `${path}.${k} was not selected`),
    ...selected.flatMap((s) => {
      const key = s.alias?.value ?? s.name.value;
      const field = fields[s.name.value];
      if (field === undefined) return [`${path}.${key} is not a field of ${type.name}`];
      return typeProblems(field.type, s.selectionSet, record[key], `${path}.${key}`);
    }),
  ];
}

function wellTyped(document: DocumentNode, data: unknown): string[] {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const root = operation?.operation === 'query' ? schema.getQueryType() : schema.getSubscriptionType();
  if (operation === undefined || root === null || root === undefined) return ['no operation'];
  return typeProblems(root, operation.selectionSet, data, 'data');
}

let gateway: TestGateway;
let publicClient: Client;
let privateClient: Client;
beforeAll(async () => {
  gateway = await startTestGateway({ now: () => NOW });
  publicClient = wsClient(gateway.wsUrl);
  privateClient = wsClient(gateway.wsUrl, DEMO_CREDENTIAL);
});
afterAll(disposeAll);

describe('the example operations', () => {
  it('are every file of schema/operations, each with its variables', () => {
    expect(OPERATIONS.map((op) => op.name).sort()).toEqual(Object.keys(variables).sort());
  });

  it.concurrent.each(OPERATIONS.map((op) => [op.name, op] as const))(
    '%s yields a well-typed event on the simulator',
    async (name, op) => {
      const client = isPrivateExample(name) ? privateClient : publicClient;
      const values = Object.hasOwn(variables, name) ? variables[name as ExampleName] : {};
      const [first] = await take(client, { query: op.query, variables: { ...values } }, 1, FIRST_EVENT_WAIT_MS);
      expect(first, 'an event arrived').toBeDefined();
      expect(first?.errors).toBeUndefined();
      expect(wellTyped(parse(op.query), first?.data)).toEqual([]);
      CHECKS[name as ExampleName]?.(first?.data);
    },
    TEST_TIMEOUT_MS,
  );
});
