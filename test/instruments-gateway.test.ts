/**
 * The gateway checks every subscription against the instrument list (here the
 * simulator's, loaded over its REST endpoints): a typo, an unlisted strike or
 * an unlisted expiry is refused with BAD_USER_INPUT naming close listed
 * alternatives, and nothing goes upstream. `Query.instruments` and
 * `Query.expiries` expose the list, `status.instruments` its state. When the
 * list cannot be loaded the gateway says so (log, status FALLBACK), keeps
 * the format checks, and lets the exchange judge the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { futuresIndexPrice } from '../src/channels/futures/index-price.ts';
import type { Listing, ListingCheck } from '../src/channels/listing.ts';
import { optionIndexPrice } from '../src/channels/options/index-price.ts';
import { exampleVariables } from '../src/channels/examples.ts';
import { DAY_MS, optionSymbol, parseOptionSymbol } from '../src/coincall/symbols.ts';
import type { Instrument } from '../src/coincall/rest.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { startRestExchange, unreachableUrl } from './helpers/rest-exchange.ts';
import { parsePrometheus, sumOf } from './helpers/prometheus.ts';
import { disposeAll, onDispose, postGraphQL, startTestGateway, take, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => disposeAll());

/** Every symbol the simulator was asked to subscribe, in order. */
const subscribedSymbols = (g: TestGateway): unknown[] =>
  (g.simulator?.requests ?? [])
    .filter((r) => r.action === 'subscribe')
    .map((r) => (r.payload as Record<string, unknown> | undefined)?.['symbol']);

async function refusal(g: TestGateway, query: string, variables: Record<string, unknown>): Promise<{ code: unknown; message: string }> {
  const before = g.simulator?.requests.length ?? 0;
  const [result] = await take(wsClient(g.wsUrl), { query, variables }, 1);
  const error = result?.errors?.[0];
  // Nothing went upstream for it: the simulator saw no request at all since.
  expect(g.simulator?.requests.length ?? 0).toBe(before);
  return { code: error?.extensions?.['code'], message: error?.message ?? '' };
}

function listedCall(): Instrument {
  const call = gateway.instruments.list({ market: 'OPTIONS', underlying: 'BTCUSD', type: 'CALL' })[0];
  if (call === undefined) throw new Error('the simulator lists no BTCUSD call');
  return call;
}

describe('a subscription for something not listed', () => {
  it('a futures symbol with a typo (BTCUSDD) is refused, naming BTCUSD', async () => {
    const { code, message } = await refusal(gateway, 'subscription($s: String!) { futuresOrderBook(symbol: $s) { symbol } }', {
      s: 'BTCUSDD',
    });
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/BTCUSDD is not a listed futures symbol; did you mean BTCUSD/);
    expect(subscribedSymbols(gateway)).not.toContain('BTCUSDD');
  });

  it('an option at an unlisted strike is refused, naming the nearest listed strikes', async () => {
    const call = listedCall();
    const parsed = parseOptionSymbol(call.symbol);
    if (parsed === undefined) throw new Error(call.symbol);
    const unlisted = optionSymbol('BTCUSD', parsed.expiry, String(Number(parsed.strike) + 500), 'CALL');
    const { code, message } = await refusal(gateway, 'subscription($s: String!) { optionOrderBook(symbol: $s) { symbol } }', {
      s: unlisted,
    });
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toContain(`${unlisted} is not listed; nearest listed strikes: `);
    expect(message).toContain(call.symbol);
    expect(subscribedSymbols(gateway)).not.toContain(unlisted);
  });

  it('an option chain of an unlisted expiry is refused, naming the listed expiries', async () => {
    const expiries = gateway.instruments.expiries('BTCUSD');
    let unlisted = (expiries[0] ?? 0) + DAY_MS;
    while (expiries.includes(unlisted)) unlisted += DAY_MS;
    const { code, message } = await refusal(
      gateway,
      'subscription($e: DateTime!) { optionChain(underlying: "BTCUSD", expiry: $e) { expiry } }',
      {
        e: new Date(unlisted).toISOString(),
      },
    );
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toContain(
      `no BTCUSD options expire at ${new Date(unlisted).toISOString()}; listed BTCUSD expiries: ${new Date(expiries[0] ?? 0).toISOString()}`,
    );
  });

  it('an option of an unlisted expiry is refused, naming the listed expiries', async () => {
    const call = listedCall();
    const expiries = gateway.instruments.expiries('BTCUSD');
    let unlisted = (call.expiry ?? 0) + DAY_MS;
    while (expiries.includes(unlisted)) unlisted += DAY_MS;
    const symbol = optionSymbol('BTCUSD', unlisted, call.strike ?? '0', 'CALL');
    const { code, message } = await refusal(gateway, 'subscription($s: String!) { optionPricing(symbol: $s) { symbol } }', { s: symbol });
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(/is not listed \(no BTCUSD expiry \w+\); listed BTCUSD expiries: /);
  });

  it('a listed instrument goes through and streams', async () => {
    const call = listedCall();
    const [result] = await take(
      wsClient(gateway.wsUrl),
      { query: 'subscription($s: String!) { optionPricing(symbol: $s) { symbol } }', variables: { s: call.symbol } },
      1,
    );
    expect(result?.errors).toBeUndefined();
    expect(result?.data).toEqual({ optionPricing: { symbol: call.symbol } });
  });
});

describe('argument checks against a listing', () => {
  const refuse = (message: string): ListingCheck => ({ ok: false, message });
  // Perpetual BTCUSD only; options on ETHUSD only.
  const listing: Listing = {
    checkFuturesSymbol: (s) => (s === 'BTCUSD' ? { ok: true } : refuse(`${s} is not a listed futures symbol`)),
    checkUnderlying: (u) => (u === 'ETHUSD' ? { ok: true } : refuse(`${u} is not a listed option underlying`)),
    checkOption: () => ({ ok: true }),
    checkExpiry: () => ({ ok: true }),
  };
  const badInput = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof GatewayError ? `${error.code} ${error.message}` : String(error);
    }
    return 'accepted';
  };

  it('futuresIndexPrice checks the perpetuals, optionIndexPrice the option underlyings', () => {
    expect(badInput(() => futuresIndexPrice.parseArgs({ symbol: 'BTCUSD' }, Date.now(), listing))).toBe('accepted');
    expect(badInput(() => futuresIndexPrice.parseArgs({ symbol: 'ETHUSD' }, Date.now(), listing))).toBe(
      'BAD_USER_INPUT futuresIndexPrice: ETHUSD is not a listed futures symbol',
    );
    expect(badInput(() => optionIndexPrice.parseArgs({ symbol: 'ETHUSD' }, Date.now(), listing))).toBe('accepted');
    expect(badInput(() => optionIndexPrice.parseArgs({ symbol: 'BTCUSD' }, Date.now(), listing))).toBe(
      'BAD_USER_INPUT optionIndexPrice: BTCUSD is not a listed option underlying',
    );
  });

  it('format checks come first, and without a listing they stand alone', () => {
    expect(badInput(() => futuresIndexPrice.parseArgs({ symbol: 'btc' }, Date.now(), listing))).toMatch(
      /BAD_USER_INPUT .*must be a futures symbol/,
    );
    expect(badInput(() => futuresIndexPrice.parseArgs({ symbol: 'ETHUSD' }, Date.now()))).toBe('accepted');
  });
});

describe('Query.instruments and Query.expiries', () => {
  it('list the instruments with every field, filtered', async () => {
    const call = listedCall();
    const { body } = await postGraphQL(gateway.url, {
      query: `query($u: String, $e: DateTime) {
        futures: instruments(market: FUTURES) { id symbol market underlying expiry strike type tickSize minQuantity active }
        calls: instruments(underlying: $u, expiry: $e, type: CALL) { id symbol market expiry strike type }
        expiries(underlying: "BTCUSD")
      }`,
      variables: { u: 'BTCUSD', e: new Date(call.expiry ?? 0).toISOString() },
    });
    expect(body['errors']).toBeUndefined();
    const data = body['data'] as { futures: Record<string, unknown>[]; calls: Record<string, unknown>[]; expiries: string[] };
    expect(data.futures.map((f) => f['symbol'])).toEqual(['BTCUSD', 'DOGEUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD']);
    expect(data.futures[0]).toEqual({
      id: 'FUTURES:BTCUSD',
      symbol: 'BTCUSD',
      market: 'FUTURES',
      underlying: 'BTCUSD',
      expiry: null,
      strike: null,
      type: null,
      tickSize: '0.5',
      minQuantity: '0.001',
      active: true,
    });
    expect(data.calls[0]).toEqual({
      id: call.id,
      symbol: call.symbol,
      market: 'OPTIONS',
      expiry: new Date(call.expiry ?? 0).toISOString(),
      strike: call.strike,
      type: 'CALL',
    });
    expect(data.calls.every((c) => c['type'] === 'CALL' && c['expiry'] === new Date(call.expiry ?? 0).toISOString())).toBe(true);
    expect(data.expiries).toEqual(gateway.instruments.expiries('BTCUSD').map((e) => new Date(e).toISOString()));
  });

  it('refuse an unlisted underlying with BAD_USER_INPUT naming alternatives', async () => {
    const { body } = await postGraphQL(gateway.url, { query: '{ expiries(underlying: "BTCUSDD") }' });
    const [error] = body['errors'] as Array<{ message: string; extensions: Record<string, unknown> }>;
    expect(error?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(error?.message).toContain('did you mean BTCUSD');
  });

  it('status.instruments says READY with counts', async () => {
    const { body } = await postGraphQL(gateway.url, {
      query: '{ status { instruments { state lastLoadedAt lastError futures underlyings options } } }',
    });
    expect(body['data']).toMatchObject({
      status: { instruments: { state: 'READY', lastError: null, futures: 5, underlyings: 5, lastLoadedAt: expect.any(String) } },
    });
  });
});

describe('when the instrument list cannot be loaded', () => {
  let fallback: TestGateway;
  beforeAll(async () => {
    fallback = await startTestGateway({ instruments: { restUrl: await unreachableUrl(), backoff: () => 60_000 } });
  });

  it('says so in its log and in status (FALLBACK, with the error)', async () => {
    expect(fallback.logs.lines.some((l) => l.level === 'warn' && /checking symbols by format only/.test(l.msg ?? ''))).toBe(true);
    const { body } = await postGraphQL(fallback.url, {
      query: '{ status { instruments { state lastError consecutiveFailures } } instruments { symbol } }',
    });
    expect(body['data']).toMatchObject({
      status: { instruments: { state: 'FALLBACK', lastError: expect.stringContaining('ECONNREFUSED'), consecutiveFailures: 1 } },
      instruments: [],
    });
  });

  it('keeps the format checks; a well-formed unlisted symbol goes to the exchange, which refuses it', async () => {
    const malformed = await refusal(fallback, 'subscription($s: String!) { futuresOrderBook(symbol: $s) { symbol } }', { s: 'btcusd' });
    expect(malformed.code).toBe('BAD_USER_INPUT');
    const [result] = await take(wsClient(fallback.wsUrl), { query: 'subscription { futuresOrderBook(symbol: "ABCUSD") { symbol } }' }, 1);
    expect(result?.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_REJECTED');
    expect(result?.errors?.[0]?.message).toContain('not listed');
    await waitFor(() => subscribedSymbols(fallback).includes('ABCUSD'), 'the subscribe upstream');
  });
});

describe('an empty instrument refresh mid-run (issue 22, hole 5)', () => {
  it('keeps the last list: a listed symbol still streams, status and /metrics show the rejection', async () => {
    const rest = await startRestExchange({ futures: ['BTCUSD', 'ETHUSD'], options: {} });
    onDispose(() => rest.close());
    const g = await startTestGateway({ instruments: { restUrl: rest.url, refreshMs: 20, backoff: () => 20 } });
    expect(g.instruments.status()).toMatchObject({ state: 'ready', futures: 2 });
    rest.setListing({ futures: [], options: {} });
    await waitFor(() => g.instruments.status().rejectedRefreshes.empty > 0, 'a refresh kept out');
    const [result] = await take(wsClient(g.wsUrl), { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' }, 1);
    expect(result).toEqual({ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } });
    const { body } = await postGraphQL(g.url, { query: '{ status { instruments { state futures rejectedRefreshes lastRejection } } }' });
    expect(body['data']).toMatchObject({
      status: {
        instruments: {
          state: 'READY',
          futures: 2,
          rejectedRefreshes: expect.any(Number),
          lastRejection: 'the exchange listed no instrument at all',
        },
      },
    });
    const samples = parsePrometheus(await (await fetch(new URL('/metrics', g.url))).text());
    expect(sumOf(samples, 'coincall_gateway_instrument_refreshes_rejected_total', { reason: 'empty' })).toBeGreaterThan(0);
    expect(sumOf(samples, 'coincall_gateway_instrument_refreshes_rejected_total', { reason: 'shrunk' })).toBe(0);
    expect(g.logs.lines.filter((l) => l.msg === 'instrument refresh kept out as implausible; keeping the last list')).toHaveLength(1);
  });
});

describe("GraphiQL's example variables", () => {
  it('name a listed expiry and option when there is a list, and guess only without one', () => {
    const now = Date.now();
    const call = listedCall();
    const listed = { list: () => gateway.instruments.list({ market: 'OPTIONS', underlying: 'BTCUSD' }) };
    const withList = exampleVariables({ now, referencePrice: Number(call.strike), listed });
    const symbol = withList.optionPricing['symbol'];
    expect(gateway.instruments.checkOption(String(symbol))).toEqual({ ok: true });
    expect(gateway.instruments.checkExpiry('BTCUSD', Date.parse(String(withList.optionChain['expiry'])))).toEqual({ ok: true });
    // A reference far off the listed strikes still gets a listed one (the nearest).
    const far = exampleVariables({ now, referencePrice: 1, listed });
    expect(gateway.instruments.checkOption(String(far.optionPricing['symbol']))).toEqual({ ok: true });
    expect(exampleVariables({ now, referencePrice: 1 }).optionPricing['symbol']).toMatch(/^BTCUSD-\w+-1000-C$/);
  });
});
