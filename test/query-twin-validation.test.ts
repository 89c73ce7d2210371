/**
 * Query twins validate like their subscriptions: a symbol that is not listed
 * gets the same BAD_USER_INPUT and suggestions, before anything goes
 * upstream; a typo gets "did you mean"; and `throttleMs` is accepted (checked,
 * then ignored), so one `variables` object serves `useQuery` and
 * `subscribeToMore`; variables that do not coerce are BAD_USER_INPUT on a
 * query as on its subscription, and an operation that cannot be chosen is
 * OPERATION_RESOLUTION_FAILURE over graphql-ws as over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionSymbol, parseOptionSymbol } from '../src/coincall/symbols.ts';
import { disposeAll, postGraphQL, startTestGateway, take, wsClient, type TestGateway } from './helpers/gateway.ts';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => disposeAll());

interface Refusal {
  readonly code: unknown;
  readonly message: string;
}

/** The first error of a query over HTTP, asserting that nothing went upstream for it. */
async function queryRefusal(query: string, variables: Record<string, unknown>): Promise<Refusal> {
  const before = gateway.simulator?.requests.length ?? 0;
  const { body } = await postGraphQL(gateway.url, { query, variables });
  const error = (body['errors'] as Array<{ message: string; extensions?: Record<string, unknown> }> | undefined)?.[0];
  expect(gateway.simulator?.requests.length ?? 0).toBe(before);
  return { code: error?.extensions?.['code'], message: error?.message ?? '' };
}

/** The first error of the same operation as a subscription over graphql-ws. */
async function subscriptionRefusal(query: string, variables: Record<string, unknown>): Promise<Refusal> {
  const [result] = await take(wsClient(gateway.wsUrl), { query: `subscription${query.slice('query'.length)}`, variables }, 1);
  const error = result?.errors?.[0];
  return { code: error?.extensions?.['code'], message: error?.message ?? '' };
}

/** A BTCUSD call strike the simulator does not list (a listed call's strike plus 500, then on until unlisted). */
function unlistedCall(): { listed: string; unlisted: string } {
  const call = gateway.instruments.list({
    market: 'OPTIONS',
    underlying: 'BTCUSD',
    type: 'CALL',
  })[0];
  const parsed = call === undefined ? undefined : parseOptionSymbol(call.symbol);
  if (call === undefined || parsed === undefined) throw new Error('the simulator lists no BTCUSD call');
  const listed = new Set(gateway.instruments.list({ market: 'OPTIONS', underlying: 'BTCUSD' }).map((i) => i.symbol));
  let strike = Number(parsed.strike) + 500;
  while (listed.has(optionSymbol('BTCUSD', parsed.expiry, String(strike), 'CALL'))) strike += 1;
  return {
    listed: call.symbol,
    unlisted: optionSymbol('BTCUSD', parsed.expiry, String(strike), 'CALL'),
  };
}

describe('a Query twin checks symbols against the instrument list, as its subscription does', () => {
  it('an option at an unlisted strike: BAD_USER_INPUT naming the nearest listed strikes, nothing upstream', async () => {
    const { listed, unlisted } = unlistedCall();
    const query = 'query($s: String!) { optionPricing(symbol: $s) { symbol } }';
    const asQuery = await queryRefusal(query, { s: unlisted });
    expect(asQuery.code).toBe('BAD_USER_INPUT');
    expect(asQuery.message).toContain(`${unlisted} is not listed; nearest listed strikes: `);
    expect(asQuery.message).toContain(listed);
    expect(asQuery).toEqual(await subscriptionRefusal(query, { s: unlisted }));
  });

  it('a typo (BTCUSDD) gets "did you mean BTCUSD", as the subscription does', async () => {
    const query = 'query($s: String!) { futuresOrderBook(symbol: $s) { symbol } }';
    const asQuery = await queryRefusal(query, { s: 'BTCUSDD' });
    expect(asQuery.code).toBe('BAD_USER_INPUT');
    expect(asQuery.message).toMatch(/did you mean BTCUSD/);
    expect(asQuery).toEqual(await subscriptionRefusal(query, { s: 'BTCUSDD' }));
  });
});

describe('a Query twin accepts throttleMs and ignores it', () => {
  const operation = '($s: String!, $throttleMs: Int) { futuresIndexPrice(symbol: $s, throttleMs: $throttleMs) { id symbol } }';
  const variables = { s: 'BTCUSD', throttleMs: 500 };

  it('one variables object serves the query and the subscription', async () => {
    const { status, body } = await postGraphQL(gateway.url, {
      query: `query${operation}`,
      variables,
    });
    expect(status).toBe(200);
    expect(body['errors']).toBeUndefined();
    expect(body['data']).toEqual({
      futuresIndexPrice: { id: 'futuresIndexPrice:BTCUSD', symbol: 'BTCUSD' },
    });
    const [first] = await take(wsClient(gateway.wsUrl), { query: `subscription${operation}`, variables }, 1);
    expect(first?.data).toEqual(body['data']);
  });

  it('an out-of-range throttleMs is refused the same way on both', async () => {
    const bad = { s: 'BTCUSD', throttleMs: 7 };
    const asQuery = await queryRefusal(`query${operation}`, bad);
    expect(asQuery.code).toBe('BAD_USER_INPUT');
    expect(asQuery.message).toMatch(/"throttleMs" must be 0 or an integer from 50/);
    expect(asQuery).toEqual(await subscriptionRefusal(`query${operation}`, bad));
  });
});

describe('request errors carry a code on queries as on subscriptions', () => {
  it('a variable an enum lacks, a missing required variable, a wrong type: BAD_USER_INPUT on the query as on its subscription', async () => {
    const cases: Array<{ query: string; variables: Record<string, unknown> }> = [
      { query: 'query($p: KlinePeriod!) { futuresKline(symbol: "BTCUSD", period: $p) { symbol } }', variables: { p: 'X1' } },
      { query: 'query($s: String!) { futuresOrderBook(symbol: $s) { symbol } }', variables: {} },
      { query: 'query($s: String!) { futuresOrderBook(symbol: $s) { symbol } }', variables: { s: 5 } },
    ];
    for (const { query, variables } of cases) {
      const asQuery = await queryRefusal(query, variables);
      expect(asQuery.code, query).toBe('BAD_USER_INPUT');
      expect(asQuery).toEqual(await subscriptionRefusal(query, variables));
      const [overWs] = await take(wsClient(gateway.wsUrl), { query, variables }, 1);
      expect(overWs?.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
  });

  it('an unknown operationName: OPERATION_RESOLUTION_FAILURE over graphql-ws as over HTTP', async () => {
    const query = 'query A { status { mode } }';
    const { body } = await postGraphQL(gateway.url, { query, operationName: 'C' });
    const overHttp = (body['errors'] as Array<{ message: string; extensions?: Record<string, unknown> }> | undefined)?.[0];
    expect(overHttp?.extensions?.['code']).toBe('OPERATION_RESOLUTION_FAILURE');
    const [overWs] = await take(wsClient(gateway.wsUrl), { query, operationName: 'C' }, 1);
    expect(overWs?.errors?.[0]).toMatchObject({ message: overHttp?.message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
  });
});
