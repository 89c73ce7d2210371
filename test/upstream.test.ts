/**
 * The upstream layer against the simulator over real sockets: shared topics,
 * unsubscribe after the last subscriber, self-healing reconnects, heartbeat
 * supervision, malformed frames, lossless order ids.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { optionSymbol } from '../src/coincall/symbols.ts';
import { listedExpiries } from '../src/simulator/instrument-specs.ts';
import { startSimulator, DEMO_ACCOUNT, type Simulator } from '../src/simulator/index.ts';
import { createUpstream, type Upstream } from '../src/sources/coincall/coincall-source.ts';
import { captureLogs, sleep, waitFor } from './helpers/gateway.ts';

let simulator: Simulator;
let upstream: Upstream | undefined;
const credential = { apiKey: DEMO_ACCOUNT.apiKey, apiSecret: DEMO_ACCOUNT.apiSecret };

beforeEach(async () => {
  simulator = await startSimulator({ tickMs: 30, seed: 1 });
});
afterEach(async () => {
  upstream?.close();
  upstream = undefined;
  await simulator.close();
});

function connect(overrides: Partial<Parameters<typeof createUpstream>[0]> = {}) {
  const logs = captureLogs();
  upstream = createUpstream({
    urls: simulator.urls,
    serverCredential: credential,
    logger: logs.logger,
    lingerMs: 50,
    connectionLingerMs: 50,
    backoff: () => 10,
    ...overrides,
  });
  return { upstream, logs };
}

const subscribes = (dataType: string) => simulator.requests.filter((r) => r.action === 'subscribe' && r.dataType === dataType);
const unsubscribes = (dataType: string) => simulator.requests.filter((r) => /^unsubscribe$/i.test(r.action) && r.dataType === dataType);

async function next<T>(iterator: AsyncIterator<T>, timeoutMs = 5_000): Promise<T> {
  const result = await Promise.race([
    iterator.next(),
    sleep(timeoutMs).then(() => {
      throw new Error('no event in time');
    }),
  ]);
  if (result.done === true) throw new Error('stream ended');
  return result.value;
}

describe('shared topics', () => {
  it('serves N local subscribers of a topic with one upstream subscribe', async () => {
    const { upstream } = connect();
    const channel = CHANNELS.futuresOrderBook;
    const args = channel.parseArgs({ symbol: 'BTCUSD', depth: 5 }, Date.now());
    const subs = Array.from({ length: 5 }, () => upstream.subscribe(channel, args, undefined));
    await Promise.all(subs.map((s) => s.ready));
    const books = await Promise.all(subs.map((s) => next(s.events)));
    for (const book of books) expect(book).toMatchObject({ symbol: 'BTCUSD' });
    expect(subscribes('orderBook')).toHaveLength(1);
    expect(upstream.status().topics).toEqual([expect.objectContaining({ channel: 'futuresOrderBook', key: 'BTCUSD', subscribers: 5 })]);
    for (const s of subs) await s.events.return();
  });

  it('sends the upstream unsubscribe only after the last subscriber leaves', async () => {
    const { upstream } = connect();
    const channel = CHANNELS.futuresTrades;
    const args = channel.parseArgs({ symbol: 'ETHUSD' }, Date.now());
    const a = upstream.subscribe(channel, args, undefined);
    const b = upstream.subscribe(channel, args, undefined);
    await a.ready;
    await a.events.return();
    await sleep(150);
    expect(unsubscribes('lastTrade')).toHaveLength(0);
    await b.events.return();
    await waitFor(() => unsubscribes('lastTrade').length === 1, 'the unsubscribe');
    expect(unsubscribes('lastTrade')[0]?.payload).toEqual({ symbol: 'ETHUSD' });
    expect(upstream.status().topics).toEqual([]);
  });

  it('keeps the upstream subscription when a subscriber comes back inside the linger', async () => {
    const { upstream } = connect({ lingerMs: 30 });
    const channel = CHANNELS.futuresIndexPrice;
    const args = channel.parseArgs({ symbol: 'BTCUSD' }, Date.now());
    const first = upstream.subscribe(channel, args, undefined);
    await next(first.events);
    await first.events.return();
    const again = upstream.subscribe(channel, args, undefined);
    // Ten ticks of 30 ms: well past the 30 ms linger the first leave started.
    for (let i = 0; i < 10; i++) await next(again.events);
    expect(unsubscribes('spotPrice')).toHaveLength(0);
    expect(subscribes('spotPrice')).toHaveLength(1);
    await again.events.return();
    await waitFor(() => unsubscribes('spotPrice').length === 1, 'the unsubscribe once the returning subscriber leaves');
  });

  it('serves a late subscriber of a state topic the current value at once', async () => {
    const { upstream } = connect();
    const channel = CHANNELS.futuresIndexPrice;
    const args = channel.parseArgs({ symbol: 'BTCUSD' }, Date.now());
    const first = upstream.subscribe(channel, args, undefined);
    await next(first.events);
    simulator.faults.pauseTopics(true);
    const late = upstream.subscribe(channel, args, undefined);
    await expect(next(late.events, 500)).resolves.toMatchObject({ symbol: 'BTCUSD' });
    await first.events.return();
    await late.events.return();
  });

  it('ends a pending read at once when the subscriber leaves', async () => {
    const { upstream } = connect();
    simulator.faults.pauseTopics(true);
    const channel = CHANNELS.futuresTrades;
    const sub = upstream.subscribe(channel, channel.parseArgs({ symbol: 'BTCUSD' }, Date.now()), undefined);
    const pending = sub.events.next();
    await sub.events.return();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });
});

describe('request pacing', () => {
  it('stays under the exchange limit of 100 requests per second when many topics open at once', async () => {
    const { upstream } = connect();
    await waitFor(() => upstream.ready(), 'ready');
    const expiry = listedExpiries(Date.now())[1] as number;
    // Candles take no batch form: one request per topic.
    const channel = CHANNELS.optionKline;
    const periods = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1', 'QUARTER'];
    const subs = Array.from({ length: 150 }, (_, i) =>
      upstream.subscribe(
        channel,
        channel.parseArgs(
          {
            symbol: optionSymbol('BTCUSD', expiry, String(1_000 * (Math.floor(i / periods.length) + 1)), 'CALL'),
            period: periods[i % periods.length],
          },
          Date.now(),
        ),
        undefined,
      ),
    );
    // The simulator drops (and does not log) requests over its limit: all 150 arriving means none was refused.
    await waitFor(() => subscribes('kline').length === 150, 'all 150 subscribes accepted', 10_000);
    const times = subscribes('kline').map((r) => r.at);
    const busiestSecond = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1_000).length));
    expect(busiestSecond).toBeLessThanOrEqual(100);
    for (const s of subs) await s.events.return();
  });
});

describe('throttling', () => {
  it('re-sends subscribes the exchange answered with "too many request" until every one is accepted', async () => {
    const strict = await startSimulator({ tickMs: 30, seed: 2, maxRequestsPerSecond: 5 });
    const logs = captureLogs();
    const up = createUpstream({
      urls: strict.urls,
      serverCredential: credential,
      logger: logs.logger,
      backoff: () => 10,
      throttleRetries: 10,
      throttleBackoff: () => 300,
    });
    try {
      await waitFor(() => up.ready(), 'ready');
      const symbols = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'DOGEUSD'];
      // Candles take no batch form: ten topics are ten requests.
      const kline = CHANNELS.futuresKline;
      const subs = ['M1', 'M5'].flatMap((period) =>
        symbols.map((symbol) => up.subscribe(kline, kline.parseArgs({ symbol, period }, Date.now()), undefined)),
      );
      // Ten subscribes go out in the pacing burst; the simulator takes five a second and answers the rest "too many request".
      await waitFor(
        () => strict.activeSubscriptions().filter((s) => s.market === 'futures').length === subs.length,
        'every subscription accepted',
        10_000,
      );
      expect(logs.lines.some((l) => l.msg === 'upstream throttled our requests; retrying unanswered subscriptions')).toBe(true);
      const firsts = await Promise.all(subs.map((s) => next(s.events)));
      // Each subscription streams its own symbol, one-minute candles first, then five-minute ones.
      expect(firsts.map((event) => (event as { symbol?: unknown }).symbol)).toEqual([...symbols, ...symbols]);
      for (const s of subs) await s.events.return();
    } finally {
      up.close();
      await strict.close();
    }
  });
});

/** Subscribes a BTCUSD futures order book and an ETHUSD index price, and waits for the first event of each. */
async function bookAndPriceFlowing(upstream: Upstream) {
  const book = upstream.subscribe(
    CHANNELS.futuresOrderBook,
    CHANNELS.futuresOrderBook.parseArgs({ symbol: 'BTCUSD' }, Date.now()),
    undefined,
  );
  const price = upstream.subscribe(
    CHANNELS.futuresIndexPrice,
    CHANNELS.futuresIndexPrice.parseArgs({ symbol: 'ETHUSD' }, Date.now()),
    undefined,
  );
  await next(book.events);
  await next(price.events);
  return { book, price };
}

describe('self-healing', () => {
  it('reconnects after the socket drops and subscribes every live topic again', async () => {
    const { upstream } = connect();
    const { book, price } = await bookAndPriceFlowing(upstream);
    simulator.faults.dropConnections('futures');
    await waitFor(() => subscribes('orderBook').length === 2 && subscribes('spotPrice').length >= 2, 'resubscription');
    await waitFor(() => upstream.status().connections.some((c) => c.market === 'futures' && c.state === 'open'), 'reopen');
    await next(book.events);
    await next(price.events);
    expect(upstream.status().connections.find((c) => c.market === 'futures')?.reconnects).toBe(1);
    await book.events.return();
    await price.events.return();
  });

  it('starts its backoff over after the first good frame of a restored connection', async () => {
    const attempts: number[] = [];
    const { upstream } = connect({ heartbeatIntervalMs: 30, backoff: (attempt) => (attempts.push(attempt), 10) });
    await waitFor(() => upstream.ready(), 'ready');
    for (let drop = 1; drop <= 2; drop++) {
      simulator.faults.dropConnections('futures');
      await waitFor(
        () => upstream.status().connections.some((c) => c.market === 'futures' && c.reconnects === drop && c.state === 'open'),
        `reconnect ${drop}`,
      );
      const at = upstream.status().connections.find((c) => c.market === 'futures')?.connectedSince ?? 0;
      await waitFor(() => (upstream.status().connections.find((c) => c.market === 'futures')?.lastMessageAt ?? 0) >= at, 'a good frame');
    }
    expect(attempts).toEqual([0, 0]);
  });

  it('reconnects when heartbeats go unanswered', async () => {
    const { upstream } = connect({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 100 });
    await waitFor(() => upstream.ready(), 'ready');
    simulator.faults.muteHeartbeats(true);
    await waitFor(() => upstream.status().connections.some((c) => c.reconnects > 0 || c.state !== 'open'), 'a reconnect');
    simulator.faults.muteHeartbeats(false);
    await waitFor(() => upstream.ready() && upstream.status().connections.every((c) => c.reconnects >= 1), 'both markets back');
  });

  it('subscribes every live topic again after a reconnect caused by silence (no data, heartbeats unanswered)', async () => {
    const { upstream } = connect({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 100 });
    const { book, price } = await bookAndPriceFlowing(upstream);
    const futures = () => upstream.status().connections.find((c) => c.market === 'futures');
    // Data alone proves the connection alive, so silence it too.
    simulator.faults.muteHeartbeats(true);
    simulator.faults.pauseTopics(true);
    await waitFor(() => (futures()?.reconnects ?? 0) >= 1, 'a reconnect after the exchange went silent');
    simulator.faults.muteHeartbeats(false);
    simulator.faults.pauseTopics(false);
    await waitFor(() => futures()?.state === 'open', 'the futures connection open again');
    // The old socket's topics vanish with it on the simulator's side; only a resubscribe brings them back.
    const live = () =>
      simulator
        .activeSubscriptions()
        .filter((s) => s.market === 'futures')
        .map((s) => s.dataType)
        .sort();
    await waitFor(
      () => simulator.connectionCount('futures') === 1 && live().join() === 'orderBook,spotPrice',
      'both topics live on the new socket',
    );
    expect(subscribes('orderBook').length).toBeGreaterThanOrEqual(2);
    expect(subscribes('spotPrice').length).toBeGreaterThanOrEqual(2);
    await next(book.events);
    await next(price.events);
    await book.events.return();
    await price.events.return();
  });

  it('drops malformed frames, counts them, and keeps streaming', async () => {
    const { upstream, logs } = connect();
    const channel = CHANNELS.futuresIndexPrice;
    const sub = upstream.subscribe(channel, channel.parseArgs({ symbol: 'BTCUSD' }, Date.now()), undefined);
    await next(sub.events);
    simulator.faults.sendMalformed('futures', 20);
    simulator.sendRaw('futures', '{"dt":30,"c":20,"d":{"s":"BTCUSD","pr":"not a number"}}');
    simulator.sendRaw('futures', '{"dt":999,"c":20,"d":{}}');
    // An acknowledgement whose payload nests absurdly deep is not matched, and breaks nothing.
    simulator.sendRaw(
      'futures',
      `{"action":"SUBSCRIBE","dataType":"spotPrice","result":"failed","payload":${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
    );
    await waitFor(() => upstream.status().drops.undecodable > 0 && upstream.status().drops.unknownDt > 0, 'drops counted');
    await expect(next(sub.events)).resolves.toMatchObject({ symbol: 'BTCUSD' });
    const warnings = logs.lines.filter((l) => l.msg?.startsWith('dropped upstream frame'));
    const causes = warnings.map((w) => (w.obj as { cause: string }).cause);
    expect(new Set(causes).size).toBe(causes.length);
    await sub.events.return();
  });
});

describe('private channels', () => {
  it('keeps every digit of order ids beyond 2^53', async () => {
    const { upstream } = connect();
    const channel = CHANNELS.futuresOrders;
    const sub = upstream.subscribe(channel, channel.parseArgs({}, Date.now()), credential);
    await sub.ready;
    simulator.sendRaw(
      'futures',
      '{"dt":35,"c":20,"d":{"oid":1663004711982333952,"coid":"c-1","s":"BTCUSD","os":0,"si":1,"ty":1,"q":"0.1","pr":"26000"}}',
      DEMO_ACCOUNT.apiKey,
    );
    let order = (await next(sub.events)) as { orderId: string };
    while (order.orderId !== '1663004711982333952') order = (await next(sub.events)) as { orderId: string };
    expect(order.orderId).toBe('1663004711982333952');
    await sub.events.return();
  });

  it('refuses a private subscription without credentials before anything goes upstream', () => {
    const { upstream } = connect();
    const before = simulator.requests.length;
    expect(() => upstream.subscribe(CHANNELS.accountBalance, {}, undefined)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(simulator.requests.length).toBe(before);
  });

  it('reports a refused credential once as FORBIDDEN, without retrying', async () => {
    const { upstream } = connect();
    const bad = { apiKey: 'nobody', apiSecret: 'wrong' };
    const sub = upstream.subscribe(CHANNELS.accountBalance, {}, bad);
    await expect(sub.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(() => upstream.subscribe(CHANNELS.accountBalance, {}, bad)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    await sleep(100);
    expect(upstream.status().connections.filter((c) => c.access === 'private')).toEqual([]);
  });
});
