/**
 * The instrument registry against a stand-in for Coincall's REST API on
 * loopback: it loads the config and every underlying's options, answers list
 * and check questions from them (naming close listed alternatives on a
 * refusal), keeps the last good list through failed refreshes, falls back to
 * "everything passes" while it never loaded, retries, and picks up a new
 * expiry on refresh. Waits are on the registry's own events or the server's
 * request log. (The timing rules are in instrument-registry-timing.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_PATH, optionInstrumentsPath } from '../src/coincall/rest.ts';
import { DAY_MS, expiryCode, nextDailyExpiry, optionSymbol } from '../src/coincall/symbols.ts';
import type { Logger } from '../src/lib/logger.ts';
import { MAX_SUGGESTED_STRIKES } from '../src/sources/coincall/instrument-index.ts';
import {
  createInstrumentRegistry,
  MIN_KEPT_FRACTION,
  SHRINK_CONFIRMATIONS,
  type InstrumentRegistry,
  type InstrumentRegistryOptions,
  type InstrumentRegistryStatus,
} from '../src/sources/coincall/instrument-registry.ts';
import { answer, listingAnswers, optionRow, optionRows, startRestExchange, unreachableUrl, type Listing } from './helpers/rest-exchange.ts';

/** Expiries a day or more ahead, so none passes while the file runs. */
const E1 = nextDailyExpiry(Date.now()) + DAY_MS;
const E2 = E1 + DAY_MS;
const E3 = E1 + 7 * DAY_MS;
const PAST = E1 - 3 * DAY_MS;
const BTC_STRIKES = ['60000', '62000', '64000', '66000', '68000'];
const LISTING: Listing = {
  futures: ['BTCUSD', 'ETHUSD', 'SOLUSD'],
  options: { BTCUSD: { expiries: [E2, E1, PAST], strikes: BTC_STRIKES }, ETHUSD: { expiries: [E1], strikes: ['3000', '3100'] } },
};
/** Requests one load makes: the config, then BTC and ETH options. */
const REQUESTS_PER_LOAD = 3;
const btc = (expiry: number, strike: string, type: 'CALL' | 'PUT') => optionSymbol('BTCUSD', expiry, strike, type);

const disposers: (() => unknown)[] = [];
afterEach(async () => {
  while (disposers.length > 0) await disposers.pop()?.();
});

interface Logged {
  readonly level: string;
  readonly msg: string | undefined;
  readonly obj: Record<string, unknown>;
}

function capture(): { logger: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const make = (bindings: object): Logger => {
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, obj: { ...bindings, ...obj } });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return { logger: make({}), lines };
}

async function exchange(listing: Listing = LISTING) {
  const server = await startRestExchange(listing);
  disposers.push(() => server.close());
  return server;
}

function registry(restUrl: string, options: Partial<InstrumentRegistryOptions> = {}) {
  const logs = capture();
  const instance = createInstrumentRegistry({ restUrl, logger: logs.logger, backoff: () => 10, ...options });
  disposers.push(() => instance.close());
  return { registry: instance, logs: logs.lines };
}

/** The next status the registry reports through `onChange` that satisfies `test`. */
function change(r: InstrumentRegistry, test: (s: InstrumentRegistryStatus) => boolean = () => true): Promise<InstrumentRegistryStatus> {
  return new Promise((resolve) => {
    const off = r.onChange((s) => {
      if (!test(s)) return;
      off();
      resolve(s);
    });
  });
}

describe('a good list', () => {
  it("loads the config and every underlying's options, then lists and filters them", async () => {
    const server = await exchange();
    const { registry: r, logs } = registry(server.url);
    expect(r.status().state).toBe('loading');
    expect(await r.ready()).toBe('ready');
    expect(server.requests).toEqual([CONFIG_PATH, optionInstrumentsPath('BTC'), optionInstrumentsPath('ETH')]);
    expect(r.status()).toMatchObject({
      state: 'ready',
      futures: 3,
      options: 3 * 5 * 2 + 2 * 2,
      underlyings: 2,
      skippedRows: 0,
      consecutiveFailures: 0,
      lastError: undefined,
    });
    expect(r.status().lastLoadedAt).toBeTypeOf('number');
    expect(logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['instrument list loaded']);

    expect(r.list({ market: 'FUTURES' }).map((i) => i.id)).toEqual(['FUTURES:BTCUSD', 'FUTURES:ETHUSD', 'FUTURES:SOLUSD']);
    expect(r.list({ underlying: 'BTCUSD', expiry: E1, type: 'PUT' }).map((i) => i.strike)).toEqual(BTC_STRIKES);
    expect(r.list({ market: 'OPTIONS', underlying: 'ETHUSD' })).toHaveLength(4);
    // Expired options are left out: BTC's 30 options less the 10 of the past expiry, ETH's 4, and 3 perpetuals.
    expect(r.list()).toHaveLength(20 + 4 + 3);
    // A perpetual is its own underlying.
    expect(r.list({ underlying: 'SOLUSD' }).map((i) => i.id)).toEqual(['FUTURES:SOLUSD']);
    expect(r.list({ expiry: PAST })).toEqual([]);
    expect(r.list({ underlying: 'BTCUSD', expiry: E2, type: 'CALL' })[0]).toEqual({
      id: `OPTIONS:${btc(E2, '60000', 'CALL')}`,
      symbol: btc(E2, '60000', 'CALL'),
      market: 'OPTIONS',
      underlying: 'BTCUSD',
      expiry: E2,
      strike: '60000',
      type: 'CALL',
      tickSize: '1',
      minQuantity: '0.01',
      active: true,
    });
  });

  it('gives the unexpired expiries of an underlying, ascending', async () => {
    const { registry: r } = registry((await exchange()).url);
    await r.ready();
    expect(r.expiries('BTCUSD')).toEqual([E1, E2]);
    expect(r.expiries('ETHUSD')).toEqual([E1]);
    expect(r.expiries('XRPUSD')).toEqual([]);
  });

  it('passes listed symbols, underlyings and expiries', async () => {
    const { registry: r } = registry((await exchange()).url);
    await r.ready();
    expect(r.checkFuturesSymbol('SOLUSD')).toEqual({ ok: true });
    expect(r.checkUnderlying('ETHUSD')).toEqual({ ok: true });
    expect(r.checkOption(btc(E2, '64000', 'PUT'))).toEqual({ ok: true });
    expect(r.checkExpiry('BTCUSD', E2)).toEqual({ ok: true });
  });

  it(`names the ${MAX_SUGGESTED_STRIKES} nearest listed strikes of the same expiry and type for an unlisted strike`, async () => {
    const { registry: r } = registry((await exchange()).url);
    await r.ready();
    expect(r.checkOption(btc(E1, '63000', 'CALL'))).toEqual({
      ok: false,
      message: `${btc(E1, '63000', 'CALL')} is not listed; nearest listed strikes: ${btc(E1, '62000', 'CALL')}, ${btc(E1, '64000', 'CALL')}, ${btc(E1, '60000', 'CALL')}.`,
    });
    expect(r.checkOption(btc(E1, '90000', 'PUT'))).toEqual({
      ok: false,
      message: `${btc(E1, '90000', 'PUT')} is not listed; nearest listed strikes: ${btc(E1, '68000', 'PUT')}, ${btc(E1, '66000', 'PUT')}, ${btc(E1, '64000', 'PUT')}.`,
    });
  });

  it('names the listed expiries for an option of an unlisted or past expiry', async () => {
    const { registry: r } = registry((await exchange()).url);
    await r.ready();
    const listed = `listed BTCUSD expiries: ${expiryCode(E1)}, ${expiryCode(E2)}.`;
    expect(r.checkOption(btc(E3, '64000', 'CALL'))).toEqual({
      ok: false,
      message: `${btc(E3, '64000', 'CALL')} is not listed (no BTCUSD expiry ${expiryCode(E3)}); ${listed}`,
    });
    expect(r.checkOption(btc(PAST, '64000', 'CALL'))).toEqual({
      ok: false,
      message: `${btc(PAST, '64000', 'CALL')} has expired; ${listed}`,
    });
    const iso = (t: number) => new Date(t).toISOString();
    expect(r.checkExpiry('BTCUSD', E3)).toEqual({
      ok: false,
      message: `no BTCUSD options expire at ${iso(E3)}; listed BTCUSD expiries: ${iso(E1)}, ${iso(E2)}.`,
    });
  });

  it('names close listed symbols for an unlisted futures symbol or underlying, and the list when nothing is close', async () => {
    const { registry: r } = registry((await exchange()).url);
    await r.ready();
    expect(r.checkFuturesSymbol('ETCUSD')).toEqual({
      ok: false,
      message: 'ETCUSD is not a listed futures symbol; did you mean ETHUSD, BTCUSD?',
    });
    expect(r.checkFuturesSymbol('BTCUSDT')).toEqual({ ok: false, message: 'BTCUSDT is not a listed futures symbol; did you mean BTCUSD?' });
    expect(r.checkFuturesSymbol('PEPEUSD')).toEqual({
      ok: false,
      message: 'PEPEUSD is not a listed futures symbol; listed: BTCUSD, ETHUSD, SOLUSD.',
    });
    // SOLUSD trades as a perpetual but lists no options.
    expect(r.checkUnderlying('SOLUSD')).toEqual({
      ok: false,
      message: 'SOLUSD is not a listed option underlying; listed: BTCUSD, ETHUSD.',
    });
    expect(r.checkOption(optionSymbol('DOGEUSD', E1, '0.2', 'CALL'))).toEqual({
      ok: false,
      message: 'DOGEUSD is not a listed option underlying; listed: BTCUSD, ETHUSD.',
    });
    expect(r.checkExpiry('ETHUSDX', E1)).toEqual({ ok: false, message: 'ETHUSDX is not a listed option underlying; did you mean ETHUSD?' });
  });

  it('accepts the documented wrapper slip "code":1,"msg":"succ" on the config', async () => {
    const server = await exchange();
    server.serve(CONFIG_PATH, { ...(listingAnswers(LISTING).get(CONFIG_PATH) as object), code: 1, msg: 'succ' });
    const { registry: r } = registry(server.url);
    expect(await r.ready()).toBe('ready');
    expect(r.status().futures).toBe(3);
  });
});

describe('malformed answers', () => {
  it('falls back to passing every check when the config wrapper reports a failure', async () => {
    const server = await exchange();
    server.serve(CONFIG_PATH, answer(null, { code: 500, msg: 'system error' }));
    const { registry: r, logs } = registry(server.url, { backoff: () => 60_000 });
    expect(await r.ready()).toBe('fallback');
    expect(r.status()).toMatchObject({
      state: 'fallback',
      lastError: '/open/public/config/v1: Coincall answered code 500 (system error)',
      futures: 0,
      options: 0,
    });
    expect(r.checkFuturesSymbol('NOPEUSD')).toEqual({ ok: true });
    expect(r.checkOption(btc(E3, '1', 'CALL'))).toEqual({ ok: true });
    expect(r.list()).toEqual([]);
    expect(r.expiries('BTCUSD')).toEqual([]);
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'instrument list could not be loaded; checking symbols by format only until it loads',
    ]);
  });

  it('skips and counts malformed rows, listing the good ones around them', async () => {
    const server = await exchange();
    const good = optionRows('ETHUSD', [E1], ['3000']);
    server.serve(
      optionInstrumentsPath('ETH'),
      answer([
        good[0],
        { symbolName: 'ETHUSD-BAD' },
        42,
        { ...optionRow({ underlying: 'ETHUSD', expiry: E1, strike: '3100', type: 'PUT' }), strike: 3200 },
        good[1],
      ]),
    );
    const { registry: r, logs } = registry(server.url);
    expect(await r.ready()).toBe('ready');
    expect(r.status().skippedRows).toBe(3);
    expect(r.list({ market: 'OPTIONS', underlying: 'ETHUSD' }).map((i) => i.symbol)).toEqual([
      optionSymbol('ETHUSD', E1, '3000', 'CALL'),
      optionSymbol('ETHUSD', E1, '3000', 'PUT'),
    ]);
    const warning = logs.find((l) => l.level === 'warn');
    expect(warning?.msg).toBe('instrument rows skipped as malformed');
    expect(warning?.obj['skipped']).toBe(3);
    expect(warning?.obj['problems']).toEqual([
      '/open/option/getInstruments/ETH row 1: ETHUSD-BAD is not an option symbol',
      '/open/option/getInstruments/ETH row 2: not an object',
      `/open/option/getInstruments/ETH row 3: ${optionSymbol('ETHUSD', E1, '3100', 'PUT')}: strike 3200 disagrees with the symbol`,
    ]);
  });

  it("fails the whole load, not half of it, when one underlying's list is malformed", async () => {
    const server = await exchange();
    server.serve(optionInstrumentsPath('ETH'), { code: 0, msg: 'Success' });
    const { registry: r } = registry(server.url, { backoff: () => 60_000 });
    expect(await r.ready()).toBe('fallback');
    expect(r.status().lastError).toBe('/open/option/getInstruments/ETH: the answer (code 0) carries no "data"');
    expect(r.list()).toEqual([]);
  });

  it('reports an answer that is not JSON', async () => {
    const server = await exchange();
    server.serve(CONFIG_PATH, '<html>502 Bad Gateway</html>');
    const { registry: r } = registry(server.url, { backoff: () => 60_000 });
    expect(await r.ready()).toBe('fallback');
    expect(r.status().lastError).toBe(`GET ${server.url}${CONFIG_PATH}: the answer is not JSON`);
  });
});

describe('an exchange that cannot be reached', () => {
  it('falls back, keeps retrying with backoff, and warns once per failure streak', async () => {
    const url = await unreachableUrl();
    let third!: () => void;
    const thirdAttempt = new Promise<void>((resolve) => (third = resolve));
    const attempts: number[] = [];
    const { registry: r, logs } = registry(url, {
      backoff: (attempt) => {
        attempts.push(attempt);
        if (attempt === 2) third();
        return 10;
      },
    });
    expect(await r.ready()).toBe('fallback');
    await thirdAttempt;
    expect(attempts.slice(0, 3)).toEqual([0, 1, 2]);
    expect(r.status().lastError).toMatch(new RegExp(`^GET ${url}${CONFIG_PATH}: fetch failed: ECONNREFUSED$`));
    expect(r.status().consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(r.checkFuturesSymbol('ANYUSD')).toEqual({ ok: true });
  });

  it('recovers from a run of HTTP 500s: state ready, an onChange event, an info line', async () => {
    const server = await exchange();
    server.fail('*', 500);
    const { registry: r, logs } = registry(server.url);
    expect(await r.ready()).toBe('fallback');
    expect(r.status().lastError).toBe(`GET ${server.url}${CONFIG_PATH}: HTTP 500`);
    await server.requestCount(3);
    const ready = change(r, (s) => s.state === 'ready');
    server.fail('*', undefined);
    const status = await ready;
    expect(status).toMatchObject({ state: 'ready', consecutiveFailures: 0, lastError: undefined, futures: 3 });
    const loaded = logs.find((l) => l.msg === 'instrument list loaded');
    expect(loaded?.obj['recoveredFrom']).toBeGreaterThanOrEqual(3);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('gives up waiting on a server that never answers: ready() times out, the request times out', async () => {
    const server = await exchange();
    server.fail(CONFIG_PATH, 'hold');
    const { registry: r } = registry(server.url, { requestTimeoutMs: 300, backoff: () => 60_000 });
    expect(await r.ready({ timeoutMs: 20 })).toBe('loading');
    expect(await r.ready()).toBe('fallback');
    expect(r.status().lastError).toBe(`GET ${server.url}${CONFIG_PATH}: no answer within 300 ms`);
  });
});

describe('refresh', () => {
  it('picks up a new expiry on the next refresh and reports the change', async () => {
    const server = await exchange();
    const { registry: r } = registry(server.url, { refreshMs: 50 });
    await r.ready();
    expect(r.checkOption(btc(E3, '64000', 'CALL')).ok).toBe(false);
    const changed = change(r);
    server.setListing({ ...LISTING, options: { ...LISTING.options, BTCUSD: { expiries: [E1, E2, E3], strikes: BTC_STRIKES } } });
    expect(await changed).toMatchObject({ state: 'ready', options: 3 * 5 * 2 + 2 * 2 });
    expect(r.expiries('BTCUSD')).toEqual([E1, E2, E3]);
    expect(r.checkOption(btc(E3, '64000', 'CALL'))).toEqual({ ok: true });
    expect(r.checkExpiry('BTCUSD', E3)).toEqual({ ok: true });
  });

  it('reports nothing when a refresh finds the same list', async () => {
    const server = await exchange();
    const { registry: r } = registry(server.url, { refreshMs: 20 });
    await r.ready();
    const events: InstrumentRegistryStatus[] = [];
    r.onChange((s) => events.push(s));
    await server.requestCount(4 * REQUESTS_PER_LOAD);
    expect(events).toEqual([]);
  });

  it('keeps the last good list through failed refreshes, warning once, then reports the recovery', async () => {
    const server = await exchange();
    const { registry: r, logs } = registry(server.url, { refreshMs: 20 });
    await r.ready();
    const failing = change(r, (s) => s.lastError !== undefined);
    server.fail('*', 500);
    // A load may be under way when the switch flips, so any of its requests may be the one that fails.
    expect(await failing).toMatchObject({
      state: 'ready',
      consecutiveFailures: 1,
      lastError: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/open\/.*: HTTP 500$/),
    });
    await server.requestCount(server.requests.length + 2);
    expect(r.status().state).toBe('ready');
    expect(r.checkOption(btc(E1, '64000', 'CALL'))).toEqual({ ok: true });
    expect(r.checkOption(btc(E1, '63000', 'CALL')).ok).toBe(false);
    expect(r.list({ market: 'FUTURES' })).toHaveLength(3);
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['instrument refresh failed; keeping the last list']);

    const recovered = change(r, (s) => s.lastError === undefined);
    server.fail('*', undefined);
    expect(await recovered).toMatchObject({ state: 'ready', consecutiveFailures: 0 });
    expect(logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['instrument list loaded', 'instrument refresh recovered']);
  });
});

describe('an implausible refresh (issue 22, hole 5)', () => {
  const EMPTY: Listing = { futures: [], options: {} };

  it('keeps an empty answer out: the last list stays, the rejection is counted, logged once and shown', async () => {
    const server = await exchange();
    const { registry: r, logs } = registry(server.url, { refreshMs: 20 });
    await r.ready();
    const rejected = change(r, (s) => s.rejectedRefreshes.empty >= 2);
    server.setListing(EMPTY);
    const status = await rejected;
    expect(status).toMatchObject({ state: 'ready', futures: 3, lastRejection: 'the exchange listed no instrument at all' });
    expect(r.checkOption(btc(E1, '64000', 'CALL'))).toEqual({ ok: true });
    expect(r.checkFuturesSymbol('BTCUSD')).toEqual({ ok: true });
    expect(r.list({ market: 'FUTURES' })).toHaveLength(3);
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'instrument refresh kept out as implausible; keeping the last list',
    ]);

    const recovered = change(r, (s) => s.lastError === undefined);
    server.setListing(LISTING);
    expect(await recovered).toMatchObject({ state: 'ready', consecutiveFailures: 0, rejectedRefreshes: { shrunk: 0 } });
  });

  it('never takes an empty first answer: format checks only, counted', async () => {
    const server = await exchange(EMPTY);
    const { registry: r } = registry(server.url, { refreshMs: 20 });
    expect(await r.ready()).toBe('fallback');
    expect(r.status()).toMatchObject({ rejectedRefreshes: { empty: 1 }, futures: 0 });
    expect(r.checkFuturesSymbol('NOPEUSD')).toEqual({ ok: true });
  });

  it(`keeps out a list with more than half gone until the exchange repeats it ${SHRINK_CONFIRMATIONS} times`, async () => {
    const server = await exchange();
    const { registry: r } = registry(server.url, { refreshMs: 20 });
    await r.ready();
    const before = r.list().length;
    const shrunk: Listing = { futures: ['BTCUSD'], options: { ETHUSD: LISTING.options.ETHUSD ?? { expiries: [], strikes: [] } } };
    const events: InstrumentRegistryStatus[] = [];
    r.onChange((s) => events.push(s));
    const taken = change(r, (s) => s.lastError === undefined);
    server.setListing(shrunk);
    const status = await taken;
    expect(events.filter((s) => s.lastRejection !== undefined && s.lastError !== undefined)).toHaveLength(SHRINK_CONFIRMATIONS - 1);
    expect(status.rejectedRefreshes).toEqual({ empty: 0, shrunk: SHRINK_CONFIRMATIONS - 1 });
    expect(status.lastRejection).toMatch(/^the exchange listed \d+ of \d+ instruments \(more than half gone\)$/);
    expect(r.list().length).toBeLessThan(before * MIN_KEPT_FRACTION);
  });

  it('takes a list that lost less than half at once', async () => {
    const server = await exchange();
    const { registry: r } = registry(server.url, { refreshMs: 20 });
    await r.ready();
    const changed = change(r);
    server.setListing({ ...LISTING, futures: ['BTCUSD', 'ETHUSD'] });
    expect(await changed).toMatchObject({ futures: 2, rejectedRefreshes: { empty: 0, shrunk: 0 } });
  });
});
