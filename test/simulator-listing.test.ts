/**
 * The simulator lists instruments as the exchange does: it serves Coincall's
 * public instrument REST endpoints from its listing, the gateway's instrument
 * registry loads them, a raw subscribe for anything it does not list gets the
 * exchange's failed acknowledgement, and its option set rolls with time while
 * an expiry's strikes stay as they were listed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseFrame, type MarketName } from '../src/coincall/protocol.ts';
import { CONFIG_PATH, optionInstrumentsPath, parseConfig, parseOptionInstruments, unwrapAnswer } from '../src/coincall/rest.ts';
import { DAY_MS, HOUR_MS, nextDailyExpiry, optionSymbol, parseOptionSymbol } from '../src/coincall/symbols.ts';
import { signedUrl } from '../src/coincall/signing.ts';
import { listedExpiries, STRIKES_EACH_SIDE } from '../src/simulator/instrument-specs.ts';
import { SimulatorListing } from '../src/simulator/simulated-listing.ts';
import { DEMO_ACCOUNT, startSimulator, type Simulator } from '../src/simulator/index.ts';
import { createInstrumentRegistry } from '../src/sources/coincall/instrument-registry.ts';
import { TestClient } from './helpers/ws-client.ts';

const disposers: (() => unknown)[] = [];
afterEach(async () => {
  while (disposers.length > 0) await disposers.pop()?.();
});

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator({ tickMs: 20, seed: 42 });
  disposers.push(() => sim.close());
  return sim;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function connect(sim: Simulator, market: MarketName): Promise<TestClient> {
  const client = await TestClient.connect(signedUrl(sim.urls[market], DEMO_ACCOUNT, Date.now()));
  disposers.push(() => client.close());
  return client;
}

/** The acknowledgement of a subscribe: `{ ok, message }`. */
async function subscribe(client: TestClient, dataType: string, payload: Record<string, unknown>): Promise<{ ok: boolean; text: string }> {
  const from = client.texts.length;
  client.send({ action: 'subscribe', dataType, payload });
  const ack = await client.waitFor((text) => {
    const f = parseFrame(text);
    return f.kind === 'ack' && f.dataType === dataType;
  }, from);
  const frame = parseFrame(ack.text);
  return { ok: frame.kind === 'ack' && frame.ok, text: ack.text };
}

describe("the simulator's REST endpoints", () => {
  it('serve the server time, the config and every listed option of a base, in the exchange wrapper', async () => {
    const sim = await simulator();
    const time = await getJson(`${sim.restUrl}/time`);
    expect(time.status).toBe(200);
    expect(time.body).toMatchObject({ code: 0, data: { serverTime: expect.any(Number) } });

    const config = parseConfig(unwrapAnswer((await getJson(sim.restUrl + CONFIG_PATH)).body, CONFIG_PATH));
    expect(config.skipped).toBe(0);
    expect(config.futures.map((f) => f.symbol)).toEqual(['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'DOGEUSD']);
    const btc = config.optionUnderlyings.find((u) => u.symbol === 'BTCUSD');
    expect(btc).toEqual({ symbol: 'BTCUSD', base: 'BTC' });

    const path = optionInstrumentsPath('BTC');
    const options = parseOptionInstruments(unwrapAnswer((await getJson(sim.restUrl + path)).body, path), { symbol: 'BTCUSD', base: 'BTC' });
    expect(options.skipped).toBe(0);
    const expiries = listedExpiries(Date.now());
    expect([...new Set(options.instruments.map((i) => i.expiry))]).toEqual(expiries);
    expect(options.instruments).toHaveLength(expiries.length * (2 * STRIKES_EACH_SIDE + 1) * 2);
  });

  it('answer an unknown base or path with 404 in the wrapper', async () => {
    const sim = await simulator();
    expect(await getJson(sim.restUrl + optionInstrumentsPath('NOPE'))).toMatchObject({ status: 404, body: { code: 404 } });
    expect(await getJson(`${sim.restUrl}/open/nothing`)).toMatchObject({ status: 404, body: { code: 404 } });
  });

  it('are what the instrument registry loads', async () => {
    const sim = await simulator();
    const registry = createInstrumentRegistry({ restUrl: sim.restUrl });
    disposers.push(() => registry.close());
    expect(await registry.ready({ timeoutMs: 5_000 })).toBe('ready');
    expect(registry.status()).toMatchObject({ state: 'ready', futures: 5, underlyings: 5, skippedRows: 0 });
    const [first] = registry.list({ market: 'OPTIONS', underlying: 'BTCUSD', type: 'CALL' });
    expect(first).toBeDefined();
    expect(registry.checkOption(first?.symbol ?? '')).toEqual({ ok: true });
    expect(registry.expiries('BTCUSD')).toEqual(listedExpiries(Date.now()));
    expect(registry.checkFuturesSymbol('BTCUSDD')).toEqual({ ok: false, message: expect.stringContaining('did you mean BTCUSD') });
  });
});

describe('a subscribe for an instrument the simulator does not list', () => {
  it('gets a failed acknowledgement with the reason; a listed one succeeds', async () => {
    const sim = await simulator();
    const options = await connect(sim, 'options');
    const futures = await connect(sim, 'futures');
    const registry = createInstrumentRegistry({ restUrl: sim.restUrl });
    disposers.push(() => registry.close());
    await registry.ready({ timeoutMs: 5_000 });
    const listed = registry.list({ market: 'OPTIONS', underlying: 'BTCUSD', type: 'CALL' })[0]?.symbol ?? '';
    const parsed = parseOptionSymbol(listed);
    if (parsed === undefined) throw new Error(`no listed option: ${listed}`);

    expect((await subscribe(options, 'orderBook', { symbol: listed })).ok).toBe(true);
    const offGrid = optionSymbol('BTCUSD', parsed.expiry, String(Number(parsed.strike) + 500), 'CALL');
    const refusedStrike = await subscribe(options, 'orderBook', { symbol: offGrid });
    expect(refusedStrike.ok).toBe(false);
    expect(JSON.parse(refusedStrike.text)).toMatchObject({ result: 'failed', message: expect.stringContaining('not listed') });

    const unlistedExpiry =
      nextDailyExpiry(Date.now()) +
      20 * DAY_MS +
      (listedExpiries(Date.now()).includes(nextDailyExpiry(Date.now()) + 20 * DAY_MS) ? DAY_MS : 0);
    expect((await subscribe(options, 'tOption', { symbol: 'BTCUSD', end: unlistedExpiry })).ok).toBe(false);
    expect((await subscribe(options, 'bsInfo', { symbol: optionSymbol('BTCUSD', unlistedExpiry, parsed.strike, 'PUT') })).ok).toBe(false);

    const typo = await subscribe(futures, 'orderBook', { symbol: 'BTCUSDD' });
    expect(typo.ok).toBe(false);
    expect(JSON.parse(typo.text)).toMatchObject({ result: 'failed', message: expect.stringContaining('BTCUSDD') });
    expect((await subscribe(futures, 'orderBook', { symbol: 'BTCUSD' })).ok).toBe(true);
    expect(sim.activeSubscriptions().map((s) => s.payload?.['symbol'])).toEqual(expect.arrayContaining([listed, 'BTCUSD']));
    expect(sim.activeSubscriptions()).toHaveLength(2);
  });
});

describe("the simulator's listing", () => {
  const start = Date.UTC(2030, 0, 11, 12); // a Friday, past 08:00 UTC: the dailies are Sat, Sun, Mon
  it('rolls its daily expiries at 08:00 UTC', () => {
    const listing = new SimulatorListing(() => 65_000);
    const before = listing.expiries(start);
    const firstDaily = nextDailyExpiry(start);
    expect(before[0]).toBe(firstDaily);
    const after = listing.expiries(firstDaily + 1);
    expect(after).not.toContain(firstDaily);
    expect(after).toContain(firstDaily + 3 * DAY_MS);
    expect(listing.isListedOption(optionSymbol('BTCUSD', firstDaily, '65000', 'CALL'), start)).toBe(true);
    expect(listing.isListedOption(optionSymbol('BTCUSD', firstDaily, '65000', 'CALL'), firstDaily + 1)).toBe(false);
  });

  it("keeps an expiry's strikes as listed while the index moves; a new expiry is centred on the index then", () => {
    let index = 65_000;
    const listing = new SimulatorListing(() => index);
    const expiry = nextDailyExpiry(start) + DAY_MS;
    const listed = listing.strikesOf('BTCUSD', expiry, start);
    expect(listed).toContain('65000');
    index = 80_000;
    expect(listing.strikesOf('BTCUSD', expiry, start + HOUR_MS)).toEqual(listed);
    const newDaily = nextDailyExpiry(start) + 3 * DAY_MS;
    const later = nextDailyExpiry(start) + 1;
    expect(listing.strikesOf('BTCUSD', newDaily, later)).toContain('80000');
    expect(listing.strikesOf('BTCUSD', expiry, later)).toEqual(listed);
  });
});
