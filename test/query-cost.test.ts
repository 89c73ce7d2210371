/**
 * Issue 22, hole 6: the cost model weighs list fields by their length and
 * counts every field, `__typename` aliases included (`src/server/query-cost.ts`).
 * 15 aliased `instruments` fields (each as long as the instrument list) are
 * refused with LIMIT_EXCEEDED naming MAX_QUERY_COST before anything executes,
 * while one is served; 600 `__typename` aliases are refused.
 */
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { DEFAULT_LIMITS, LIMIT_SETTINGS } from '../src/lib/limits.ts';
import { queryLimitRules, validationRules } from '../src/server/guards.ts';
import { DEFAULT_LIST_SIZE, LIST_SIZE_ESTIMATES } from '../src/server/query-cost.ts';
import { disposeAll, postGraphQL, startTestGateway, waitFor, type TestGateway } from './helpers/gateway.ts';

const INSTRUMENT = 'id symbol market underlying expiry strike type tickSize minQuantity active';
const aliasedInstruments = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `i${i}: instruments { ${INSTRUMENT} }`).join(' ')} }`;
const typenames = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')} }`;

const schema = gatewaySchema();
/** The limit errors of `query` at the default limits, the instrument list `listed` long. */
function refusals(query: string, listed: number, maxQueryCost = DEFAULT_LIMITS.maxQueryCost) {
  const rules = [
    ...validationRules,
    ...queryLimitRules({ ...DEFAULT_LIMITS, maxQueryCost }, { currentListSizes: { 'Query.instruments': () => listed } }),
  ];
  return validate(schema, parse(query), rules).map((e) => ({ code: e.extensions['code'], message: e.message }));
}

describe('the cost model', () => {
  it('weighs the instrument list by its current length: 15 aliases of 1,000 instruments are refused, one is not', () => {
    expect(refusals(aliasedInstruments(15), 1_000)).toEqual([
      { code: 'LIMIT_EXCEEDED', message: expect.stringContaining(LIMIT_SETTINGS.maxQueryCost.env) },
    ]);
    expect(refusals(aliasedInstruments(1), 1_000)).toEqual([]);
    // The same 15 aliases over an empty list cost next to nothing: the answer is empty too.
    expect(refusals(aliasedInstruments(15), 0)).toEqual([]);
  });

  it('counts each element field of a list, aliases included', () => {
    // One instrument costs 11 (itself and its 10 fields): 1 + 1,000 × 11 = 11,001.
    expect(refusals(aliasedInstruments(1), 1_000, 11_000)).toHaveLength(1);
    expect(refusals(aliasedInstruments(1), 1_000, 11_001)).toEqual([]);
  });

  it('takes a literal limit as the length of a list, and declared estimates elsewhere', () => {
    const trades = (limit: string) => `{ futuresTrades(symbol: "BTCUSD"${limit}) { id price volume side timestamp } }`;
    // 1 + 10 × 6 = 61; 1 + 100 × 6 = 601 without a literal limit.
    expect(refusals(trades(', limit: 10'), 0, 61)).toEqual([]);
    expect(refusals(trades(', limit: 10'), 0, 60)).toHaveLength(1);
    expect(LIST_SIZE_ESTIMATES['Query.futuresTrades']).toBe(100);
    expect(refusals(trades(''), 0, 601)).toEqual([]);
    expect(refusals(trades(''), 0, 600)).toHaveLength(1);
    expect(DEFAULT_LIST_SIZE).toBeGreaterThan(0);
  });

  it('counts __typename and its aliases: 600 of them are refused', () => {
    const found = refusals(typenames(600), 0);
    expect(found.length).toBeGreaterThan(0);
    for (const refusal of found) expect(refusal.code).toBe('LIMIT_EXCEEDED');
    // Counted by the cost model too, not only by the alias limit.
    expect(refusals('{ __typename __typename __typename }', 0, 3)).toEqual([]);
    expect(refusals('{ __typename __typename __typename }', 0, 2)).toHaveLength(1);
  });
});

describe('through the gateway', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(disposeAll);

  it('refuses 15 aliased instruments fields with LIMIT_EXCEEDED and serves one', async () => {
    let listed = 0;
    const count = async () => {
      const { body } = await postGraphQL(`${gateway.url}/graphql`, { query: '{ status { instruments { options futures } } }' });
      const counts = (body['data'] as { status: { instruments: { options: number; futures: number } } }).status.instruments;
      listed = counts.options + counts.futures;
    };
    for (let tries = 0; listed === 0 && tries < 50; tries++) await count().then(() => new Promise((r) => setTimeout(r, 100)));
    await waitFor(() => listed > 0, 'the instrument list loaded');
    // The simulator lists enough instruments for 15 full lists to be over the default limit.
    expect(15 * (1 + listed * 11)).toBeGreaterThan(DEFAULT_LIMITS.maxQueryCost);

    const refused = await postGraphQL(`${gateway.url}/graphql`, { query: aliasedInstruments(15) });
    expect(refused.body['data']).toBeUndefined();
    expect(refused.body['errors']).toEqual([
      expect.objectContaining({
        extensions: { code: 'LIMIT_EXCEEDED' },
        message: expect.stringContaining(LIMIT_SETTINGS.maxQueryCost.env),
      }),
    ]);
    const served = await postGraphQL(`${gateway.url}/graphql`, { query: aliasedInstruments(1) });
    expect(served.body['errors']).toBeUndefined();
    expect((served.body['data'] as { i0: unknown[] }).i0).toHaveLength(listed);

    const typenamesRefused = await postGraphQL(`${gateway.url}/graphql`, { query: typenames(600) });
    expect(typenamesRefused.body).toMatchObject({ errors: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    expect(typenamesRefused.body['data']).toBeUndefined();
  });
});
