/**
 * The simulator against real sockets on 127.0.0.1: signing and 403s,
 * heartbeats, acknowledgements, streams that decode with the gateway's own
 * decoder for every channel of both markets, fault switches, lossless order
 * ids, account isolation, rate limit and idle timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeItems } from '../src/channels/channel.ts';
import { decodeRecord, type RecordOf } from '../src/channels/fields.ts';
import { ALL_CHANNELS, channelsByDt } from '../src/channels/registry.ts';
import type { OrderShape } from '../src/channels/shapes/order.ts';
import { OrderShape as Order } from '../src/channels/shapes/order.ts';
import { parseFrame, type MarketName } from '../src/coincall/protocol.ts';
import { hmacHex, legacyPrehash, signedUrl } from '../src/coincall/signing.ts';
import { optionSymbol } from '../src/coincall/symbols.ts';
import { listedExpiries } from '../src/simulator/instrument-specs.ts';
import { Market } from '../src/simulator/market.ts';
import {
  DEMO_ACCOUNT,
  encodeRecord,
  frameText,
  startSimulator,
  type Simulator,
  type SimulatorAccount,
  type SimulatorOptions,
} from '../src/simulator/index.ts';
import { examplePayload } from './helpers/example-payload.ts';
import { TestClient, UpgradeRefused } from './helpers/ws-client.ts';

const FAST_TICK_MS = 10;
const SECOND_ACCOUNT: SimulatorAccount = { apiKey: 'second/Key+abc==', apiSecret: 'second-secret', userId: '1234567890' };

const simulators: Simulator[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(simulators.splice(0).map((s) => s.close()));
});

async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ tickMs: FAST_TICK_MS, seed: 42, ...options });
  simulators.push(sim);
  return sim;
}

async function connect(sim: Simulator, market: MarketName, account: SimulatorAccount = DEMO_ACCOUNT): Promise<TestClient> {
  const client = await TestClient.connect(signedUrl(sim.urls[market], account, Date.now()));
  clients.push(client);
  return client;
}

async function refusedStatus(url: string): Promise<number> {
  try {
    const client = await TestClient.connect(url);
    clients.push(client);
    return 101;
  } catch (error) {
    if (error instanceof UpgradeRefused) return error.status;
    throw error;
  }
}

const json = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const isHeartbeat = (text: string) => text === '{"c":11,"rc":1}';
const isAck =
  (dataType: string, result = 'success') =>
  (text: string) => {
    const f = parseFrame(text);
    return f.kind === 'ack' && f.dataType === dataType && f.ok === (result === 'success');
  };
const isData = (dt: number) => (text: string) => {
  const f = parseFrame(text);
  return f.kind === 'data' && f.dt === dt;
};

/** Decodes a data frame with the gateway's decoder; throws on any problem. */
function decode(market: MarketName, text: string): { dt: number; items: Array<Record<string, unknown>> } {
  const frame = parseFrame(text);
  if (frame.kind !== 'data') throw new Error(`not a data frame: ${text}`);
  const channel = channelsByDt(market).get(frame.dt);
  if (channel === undefined) throw new Error(`unknown dt ${frame.dt}`);
  const items = decodeItems(channel, frame.d, { frameTs: frame.ts, receivedAt: Date.now() }) as Array<Record<string, unknown>>;
  return { dt: frame.dt, items };
}

/** A live option symbol on the simulator's listed expiries, near the BTC start price. */
function btcOption(type: 'CALL' | 'PUT' = 'CALL'): { symbol: string; expiry: number } {
  const expiry = listedExpiries(Date.now())[1] as number;
  return { symbol: optionSymbol('BTCUSD', expiry, '65000', type), expiry };
}

describe('connecting', () => {
  it('upgrades a signed connection and answers both heartbeat forms', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'options');
    client.send({ action: 'heartbeat' });
    client.send({ c: 11 });
    await client.collect(isHeartbeat, 2);
    expect(sim.connectionCount('options')).toBe(1);
    expect(sim.connectionCount('futures')).toBe(0);
    expect(sim.requests).toHaveLength(0);
  });

  it('accepts the legacy prehash (uuid=...) too', async () => {
    const sim = await simulator();
    const ts = Date.now();
    const sign = hmacHex(DEMO_ACCOUNT.apiSecret, legacyPrehash(DEMO_ACCOUNT.apiKey, ts));
    const url = `${sim.urls.futures}?code=10&uuid=${DEMO_ACCOUNT.apiKey}&ts=${ts}&sign=${sign}&apiKey=${DEMO_ACCOUNT.apiKey}`;
    expect(await refusedStatus(url)).toBe(101);
  });

  it('answers 403 to a bad signature, a stale ts, a percent-encoded key and an unknown key', async () => {
    const sim = await simulator();
    const now = Date.now();
    const wrongSecret = { ...DEMO_ACCOUNT, apiSecret: 'not-the-secret' };
    expect(await refusedStatus(signedUrl(sim.urls.options, wrongSecret, now))).toBe(403);
    expect(await refusedStatus(signedUrl(sim.urls.options, DEMO_ACCOUNT, now - 60_000))).toBe(403);
    const key = encodeURIComponent(DEMO_ACCOUNT.apiKey);
    const sign = hmacHex(DEMO_ACCOUNT.apiSecret, `GET/users/self/verify?apiKey=${DEMO_ACCOUNT.apiKey}&ts=${now}`);
    expect(await refusedStatus(`${sim.urls.options}?code=10&uuid=${key}&ts=${now}&sign=${sign}&apiKey=${key}`)).toBe(403);
    expect(await refusedStatus(signedUrl(sim.urls.futures, SECOND_ACCOUNT, now))).toBe(403);
    expect(await refusedStatus(`${sim.urls.options}?code=10&apiKey=${DEMO_ACCOUNT.apiKey}`)).toBe(403);
    expect(await refusedStatus(signedUrl(sim.urls.options.replace('/options', '/spot'), DEMO_ACCOUNT, now))).toBe(404);
    expect(sim.connectionCount()).toBe(0);
  });

  it('closes a connection without client traffic after the idle timeout', async () => {
    const sim = await simulator({ idleTimeoutMs: 150 });
    const client = await connect(sim, 'futures');
    const closed = await client.closed;
    expect(closed.reason).toBe('idle timeout');
  });
});

describe.each(['spec', 'live', 'mixed'] as const)('streams in the %s form', (wireForm) => {
  it('every channel of both markets acknowledges and streams frames the gateway decodes', async () => {
    const sim = await simulator({ wireForm });
    for (const market of ['options', 'futures'] as const) {
      const client = await connect(sim, market);
      const channels = ALL_CHANNELS.filter((c) => c.market === market);
      for (const channel of channels) {
        const payload = examplePayload(channel);
        client.send(
          payload === undefined
            ? { action: 'subscribe', dataType: channel.dataType }
            : { action: 'subscribe', dataType: channel.dataType, payload },
        );
      }
      for (const channel of channels) {
        await client.waitFor(isAck(channel.dataType));
        const frames = await client.collect(isData(channel.dt[0] as number), 2);
        for (const { text } of frames) {
          const { items } = decode(market, text);
          expect(items.length, `${market}/${channel.dataType}`).toBeGreaterThan(0);
          const symbol = (examplePayload(channel) ?? {})['symbol'];
          if (typeof symbol === 'string' && channel.dataType !== 'tOption') for (const item of items) expect(item['symbol']).toBe(symbol);
          if (channel.dataType === 'tOption') for (const item of items) expect(item['underlying']).toBe('BTCUSD');
        }
      }
    }
    expect(sim.activeSubscriptions()).toHaveLength(ALL_CHANNELS.length);
  });
});

describe('subscriptions', () => {
  it('acknowledges with action, dataType and payload, and logs requests but not heartbeats', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'futures');
    client.send({ action: 'heartbeat' });
    client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: 'BTCUSD' } });
    const ack = json((await client.waitFor(isAck('orderBook'))).text);
    expect(ack).toEqual({ action: 'SUBSCRIBE', dataType: 'orderBook', payload: { symbol: 'BTCUSD' }, result: 'success' });
    expect(sim.requests.map((r) => [r.market, r.apiKey, r.action, r.dataType, r.payload])).toEqual([
      ['futures', DEMO_ACCOUNT.apiKey, 'subscribe', 'orderBook', { symbol: 'BTCUSD' }],
    ]);
    expect(sim.activeSubscriptions()).toEqual([
      { market: 'futures', apiKey: DEMO_ACCOUNT.apiKey, dataType: 'orderBook', payload: { symbol: 'BTCUSD' } },
    ]);
  });

  it('refuses with a reason: by the fault rule, for an unknown dataType, for a bad payload', async () => {
    const sim = await simulator();
    sim.faults.refuseSubscriptions((req) => (req.dataType === 'orderBook' ? 'maintenance window' : undefined));
    const client = await connect(sim, 'options');
    const option = btcOption().symbol;
    client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: option } });
    client.send({ action: 'subscribe', dataType: 'noSuchThing', payload: {} });
    client.send({ action: 'subscribe', dataType: 'bsInfo', payload: { symbol: 'BTCUSD-1JAN20-10000-C' } });
    client.send({ action: 'subscribe', dataType: 'kline', payload: { symbol: option, period: 'm2' } });
    const refused = json((await client.waitFor(isAck('orderBook', 'failed'))).text);
    expect(refused).toMatchObject({ action: 'SUBSCRIBE', result: 'failed', message: 'maintenance window' });
    expect(json((await client.waitFor(isAck('noSuchThing', 'failed'))).text)['message']).toMatch(/unknown dataType/);
    expect(json((await client.waitFor(isAck('bsInfo', 'failed'))).text)['message']).toMatch(/option/);
    expect(json((await client.waitFor(isAck('kline', 'failed'))).text)['message']).toMatch(/period/);
    expect(sim.activeSubscriptions()).toEqual([]);
    sim.faults.refuseSubscriptions(undefined);
    client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: option } });
    await client.waitFor(isAck('orderBook'));
  });

  it('unSubscribe (either spelling) stops the stream', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'futures');
    client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: 'BTCUSD' } });
    client.send({ action: 'subscribe', dataType: 'spotPrice', payload: { symbol: 'ETHUSD' } });
    await client.collect(isData(32), 2);
    client.send({ action: 'unSubscribe', dataType: 'orderBook', payload: { symbol: 'BTCUSD' } });
    const ack = await client.waitFor((t) => parseFrame(t).kind === 'ack' && json(t)['action'] === 'UNSUBSCRIBE');
    const later = await client.collect(isData(30), 5, ack.index + 1);
    const last = later[later.length - 1]?.index ?? 0;
    expect(client.texts.slice(ack.index + 1, last).filter(isData(32))).toEqual([]);
    expect(sim.activeSubscriptions().map((s) => s.dataType)).toEqual(['spotPrice']);
    client.send({ action: 'unsubscribe', dataType: 'spotPrice', payload: { symbol: 'ETHUSD' } });
    await client.waitFor((t) => json(t)['action'] === 'UNSUBSCRIBE' && json(t)['dataType'] === 'spotPrice');
    expect(sim.activeSubscriptions()).toEqual([]);
    expect(sim.requests.map((r) => r.action)).toEqual(['subscribe', 'subscribe', 'unSubscribe', 'unsubscribe']);
  });

  it('expands a batch symbol list into one topic per symbol', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'futures');
    client.send({ action: 'subscribe', dataType: 'lastTrade', payload: { symbol: ['BTCUSD', 'ETHUSD'] } });
    await client.waitFor(isAck('lastTrade'));
    expect(sim.activeSubscriptions().map((s) => s.payload)).toEqual([{ symbol: 'BTCUSD' }, { symbol: 'ETHUSD' }]);
    const seen = new Set<unknown>();
    let from = 0;
    while (seen.size < 2) {
      const got = await client.waitFor(isData(33), from);
      for (const item of decode('futures', got.text).items) seen.add(item['symbol']);
      from = got.index + 1;
    }
    expect([...seen].sort()).toEqual(['BTCUSD', 'ETHUSD']);
  });

  it('answers "too many request" past the per-second budget and does not act on it', async () => {
    const sim = await simulator({ maxRequestsPerSecond: 3 });
    const client = await connect(sim, 'futures');
    for (let i = 0; i < 3; i++) client.send({ action: 'heartbeat' });
    client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: 'BTCUSD' } });
    const notice = await client.waitFor((t) => parseFrame(t).kind === 'notice');
    expect(json(notice.text)['message']).toBe('too many request');
    expect(sim.activeSubscriptions()).toEqual([]);
    expect(sim.requests).toEqual([]);
  });

  it('candles open on their period boundary', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'futures');
    client.send({ action: 'subscribe', dataType: 'kline', payload: { symbol: 'BTCUSD', period: 'm5' } });
    client.send({ action: 'subscribe', dataType: 'kline', payload: { symbol: 'BTCUSD', period: 'w1' } });
    const frames = await client.collect(isData(31), 6);
    for (const { text } of frames) {
      const [candle] = decode('futures', text).items;
      const ts = candle?.['timestamp'] as number;
      if (candle?.['period'] === 'M5') expect(ts % 300_000).toBe(0);
      else expect(new Date(ts).getUTCDay()).toBe(1);
    }
  });
});

describe('private data', () => {
  it('sends order ids beyond 2^53 as bare JSON numbers that decode losslessly', async () => {
    const sim = await simulator({ wireForm: 'mixed' });
    const client = await connect(sim, 'futures');
    client.send({ action: 'subscribe', dataType: 'order' });
    const frames = await client.collect(isData(35), 4);
    for (const { text } of frames) {
      const digits = /"oid":(\d+)[,}]/.exec(text)?.[1];
      expect(digits, text).toBeDefined();
      expect(BigInt(digits as string) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      const [order] = decode('futures', text).items;
      expect(order?.['orderId']).toBe(digits);
      expect(order?.['userId']).toBe(DEMO_ACCOUNT.userId);
    }
  });

  it('keeps accounts apart: different user ids and balances', async () => {
    const sim = await simulator({ accounts: [DEMO_ACCOUNT, SECOND_ACCOUNT] });
    const balances = [];
    for (const account of [DEMO_ACCOUNT, SECOND_ACCOUNT]) {
      const client = await connect(sim, 'options', account);
      client.send({ action: 'subscribe', dataType: 'accountBalance' });
      client.send({ action: 'subscribe', dataType: 'order' });
      const [balance] = decode('options', (await client.waitFor(isData(7))).text).items;
      balances.push(balance);
      const [order] = decode('options', (await client.waitFor(isData(11))).text).items;
      expect(order?.['userId']).toBe(account.userId);
    }
    expect(balances[0]?.['userId']).toBe(DEMO_ACCOUNT.userId);
    expect(balances[1]?.['userId']).toBe(SECOND_ACCOUNT.userId);
    expect(balances[0]?.['equity']).not.toBe(balances[1]?.['equity']);
    expect(sim.activeSubscriptions().filter((s) => s.apiKey === SECOND_ACCOUNT.apiKey)).toHaveLength(2);
  });

  it('pushes positions consistent with fills and filters options positions by underlying', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'options');
    client.send({ action: 'subscribe', dataType: 'position', payload: { symbol: ['ETHUSD'] } });
    await client.waitFor(isAck('position'));
    const other = await connect(sim, 'options');
    other.send({ action: 'subscribe', dataType: 'position', payload: { symbol: ['BTCUSD'] } });
    const [first] = await other.collect(isData(12), 1);
    for (const item of decode('options', first?.text ?? '').items) expect(String(item['symbol'])).toMatch(/^BTCUSD-/);
    expect(client.texts.filter(isData(12))).toEqual([]);
  });
});

describe('faults', () => {
  it('muteHeartbeats stops heartbeat answers until unmuted', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'futures');
    sim.faults.muteHeartbeats(true);
    client.send({ action: 'heartbeat' });
    client.send({ action: 'subscribe', dataType: 'spotPrice', payload: { symbol: 'BTCUSD' } });
    const ack = await client.waitFor(isAck('spotPrice'));
    expect(client.texts.slice(0, ack.index).filter(isHeartbeat)).toEqual([]);
    sim.faults.muteHeartbeats(false);
    client.send({ action: 'heartbeat' });
    await client.waitFor(isHeartbeat, ack.index);
  });

  it('dropConnections terminates sockets abruptly', async () => {
    const sim = await simulator();
    const options = await connect(sim, 'options');
    const futures = await connect(sim, 'futures');
    sim.faults.dropConnections('options');
    expect((await options.closed).code).toBe(1006);
    expect(futures.isOpen).toBe(true);
    sim.faults.dropConnections();
    expect((await futures.closed).code).toBe(1006);
    expect(sim.connectionCount()).toBe(0);
  });

  it('sendMalformed sends garbage of several kinds', async () => {
    const sim = await simulator();
    const client = await connect(sim, 'futures');
    sim.faults.sendMalformed('futures');
    const frames = await client.collect(() => true, 6);
    const kinds = frames.map(({ text }) => {
      const frame = parseFrame(text);
      if (frame.kind === 'invalid') return frame.reason;
      if (frame.kind !== 'data') return frame.kind;
      try {
        decode('futures', text);
        return 'decoded';
      } catch (error) {
        return (error as Error).message.startsWith('unknown dt') ? 'unknown dt' : 'undecodable';
      }
    });
    expect(kinds).toContain('not JSON');
    expect(kinds).toContain('unknown dt');
    expect(kinds).toContain('undecodable');
    expect(kinds).not.toContain('decoded');
  });

  it('pauseTopics stops one dataType (or all) until resumed', async () => {
    const sim = await simulator();
    sim.faults.pauseTopics(true, 'orderBook');
    const client = await connect(sim, 'futures');
    client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: 'BTCUSD' } });
    client.send({ action: 'subscribe', dataType: 'spotPrice', payload: { symbol: 'BTCUSD' } });
    const prices = await client.collect(isData(30), 5);
    expect(client.texts.slice(0, prices[4]?.index).filter(isData(32))).toEqual([]);
    sim.faults.pauseTopics(false, 'orderBook');
    await client.waitFor(isData(32));
    sim.faults.pauseTopics(true);
    sim.faults.pauseTopics(false);
    await client.waitFor(isData(30), client.texts.length);
  });

  it('sendRaw reaches only the connections asked for', async () => {
    const sim = await simulator({ accounts: [DEMO_ACCOUNT, SECOND_ACCOUNT] });
    const a = await connect(sim, 'futures');
    const b = await connect(sim, 'futures', SECOND_ACCOUNT);
    sim.sendRaw('futures', '{"hello":1}', SECOND_ACCOUNT.apiKey);
    await b.waitFor((t) => t === '{"hello":1}');
    sim.sendRaw('futures', '{"hello":2}');
    await a.waitFor((t) => t === '{"hello":2}');
    expect(a.texts).not.toContain('{"hello":1}');
  });
});

describe('encoding and model', () => {
  const order: RecordOf<typeof OrderShape> = {
    id: '1663004711982333952',
    orderId: '1663004711982333952',
    clientOrderId: null,
    userId: '9804819366',
    symbol: 'BTCUSD',
    quantity: '0.5',
    price: '26443.5',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    state: 'PARTIALLY_FILLED',
    reduceOnly: false,
    leverage: '10',
    createdAt: 1685094461143,
    updatedAt: 1685094461200,
    filledQuantity: '0.2',
    remainingQuantity: '0.3',
    fillPrice: '26443.5',
    fillQuantity: '0.2',
    avgPrice: '26443.5',
    isTaker: true,
    canceledQuantity: null,
    amount: null,
  };

  it.each(['spec', 'live'] as const)('an order round-trips through the %s form', (form) => {
    const text = frameText(35, encodeRecord(Order, order, form));
    expect(text).toContain('"oid":1663004711982333952');
    const frame = parseFrame(text);
    if (frame.kind !== 'data') throw new Error('not data');
    expect(decodeRecord(Order, frame.d, { frameTs: undefined, receivedAt: 0 })).toEqual(order);
    if (form === 'live') expect(json(text.replace(/"oid":\d+/, '"oid":0'))['d']).toHaveProperty('cq', null);
  });

  it('is deterministic for a seed', () => {
    const a = new Market(7, Date.UTC(2030, 0, 1));
    const b = new Market(7, Date.UTC(2030, 0, 1));
    const c = new Market(8, Date.UTC(2030, 0, 1));
    for (let i = 0; i < 20; i++) for (const m of [a, b, c]) m.step(Date.UTC(2030, 0, 1) + i * 250, []);
    expect(a.bookRecord('ETHUSD')).toEqual(b.bookRecord('ETHUSD'));
    expect(a.indexOf('BTCUSD')).toBe(b.indexOf('BTCUSD'));
    expect(a.indexOf('BTCUSD')).not.toBe(c.indexOf('BTCUSD'));
  });
});
