/**
 * Issue 22, hole 6: the cost model weighs list fields by their length and
 * counts every field, `__typename` aliases included (`src/server/query-cost.ts`).
 * 15 aliased `instruments` fields (each as long as the instrument list) are
 * refused with LIMIT_EXCEEDED naming MAX_QUERY_COST before anything executes,
 * while one is served; 600 `__typename` aliases are refused. An operator's
 * `status { topics { ... holders } }` runs within the default limit (a topic
 * has at most CLUSTER_EVENT_PUBLISHERS holders, not a list of 100), while an
 * aliased flood of it is still refused.
 */
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { MAX_CLUSTER_EVENT_PUBLISHERS } from '../src/lib/cluster-config.ts';
import { DEFAULT_LIMITS, LIMIT_SETTINGS } from '../src/lib/limits.ts';
import { queryLimitRules, validationRules } from '../src/server/guards.ts';
import { DEFAULT_LIST_SIZE, LIST_SIZE_ESTIMATES } from '../src/server/query-cost.ts';
import { disposeAll, postGraphQL, startTestGateway, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';

const INSTRUMENT = 'id symbol market underlying expiry strike type tickSize minQuantity active';
const aliasedInstruments = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `i${i}: instruments { ${INSTRUMENT} }`).join(' ')} }`;
const typenames = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')} }`;

/** Everything an operator asks of status, every UpstreamTopic field with `holders` included. */
const STATUS_FIELDS =
  'mode version startedAt connections { market access state connectedSince reconnects lastMessageAt lagMs } ' +
  'topics { market channel dataType key subscribers lastEventAt resubscribes holders } privateTopics ' +
  'cluster { node engine replicas topicsHeld }';
const aliasedStatus = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `s${i}: status { ${STATUS_FIELDS} }`).join(' ')} }`;
/** Aliases of the status query that the cost refuses while the alias limit would let them through. */
const STATUS_FLOOD = 5;

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

  it('lets `status { topics { holders } }` with every other UpstreamTopic field through at the default limit', () => {
    expect(LIST_SIZE_ESTIMATES['UpstreamTopic.holders']).toBe(MAX_CLUSTER_EVENT_PUBLISHERS);
    expect(refusals(aliasedStatus(1), 1_000)).toEqual([]);
  });

  it('still refuses an aliased flood of that status query by its cost', () => {
    expect(STATUS_FLOOD).toBeLessThanOrEqual(DEFAULT_LIMITS.maxAliases);
    expect(refusals(aliasedStatus(STATUS_FLOOD), 1_000)).toEqual([
      { code: 'LIMIT_EXCEEDED', message: expect.stringContaining(LIMIT_SETTINGS.maxQueryCost.env) },
    ]);
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

  it('answers the status query with holders at the default limit, and refuses an aliased flood of it', async () => {
    // A live topic (kept live while the status is asked), so that topics and their holders are answered.
    let books = 0;
    const unsubscribe = wsClient(gateway.wsUrl).subscribe(
      { query: 'subscription { futuresOrderBook(symbol: "BTCUSD") { symbol } }' },
      { next: () => void books++, error: () => undefined, complete: () => undefined },
    );
    await waitFor(() => books > 0, 'the first book');
    const served = await postGraphQL(`${gateway.url}/graphql`, { query: aliasedStatus(1) });
    expect(served.body['errors']).toBeUndefined();
    const topics = (served.body['data'] as { s0: { topics: Array<{ holders: string[] }> } }).s0.topics;
    expect(topics.length).toBeGreaterThan(0);
    // A single gateway: nobody holds a topic for a cluster.
    for (const topic of topics) expect(topic.holders).toEqual([]);
    unsubscribe();

    const flood = await postGraphQL(`${gateway.url}/graphql`, { query: aliasedStatus(STATUS_FLOOD) });
    expect(flood.body['data']).toBeUndefined();
    expect(flood.body['errors']).toEqual([
      expect.objectContaining({
        extensions: { code: 'LIMIT_EXCEEDED' },
        message: expect.stringContaining(LIMIT_SETTINGS.maxQueryCost.env),
      }),
    ]);
  });
});
