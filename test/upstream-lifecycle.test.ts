/**
 * The upstream connection's life against a scripted exchange endpoint over
 * real sockets: every (re)connect carries a freshly signed URL; subscribes the
 * exchange throttles are re-sent, within a bound; shutdown sends every
 * unsubscribe (paced) before it closes, within a deadline; the exchange closing
 * an idle connection is routine, not a failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { readConnectQuery, verifyConnectQuery } from '../src/coincall/signing.ts';
import { disposeAll, type CapturedLog, sleep, startTestGateway, take, waitFor, wsClient } from './helpers/gateway.ts';
import type { Upstream } from '../src/sources/coincall/coincall-source.ts';
import { SERVER_KEY, startUpstreamOnFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';

afterEach(disposeAll);
const start = startUpstreamOnFakeExchange;

describe('signing', () => {
  it('signs the URL afresh on every reconnect', async () => {
    const { exchange } = await start();
    const futuresUpgrades = () => exchange.upgrades.filter((u) => u.startsWith('/futures?'));
    for (let drop = 1; drop <= 2; drop++) {
      exchange.dropAll();
      await waitFor(() => futuresUpgrades().length === 1 + drop, `reconnect ${drop}`);
    }
    const queries = futuresUpgrades().map((u) => u.slice(u.indexOf('?') + 1));
    const stamps = queries.map((q) => readConnectQuery(q).get('ts'));
    const signs = queries.map((q) => readConnectQuery(q).get('sign'));
    expect(new Set(stamps).size).toBe(3);
    expect(new Set(signs).size).toBe(3);
    for (const q of queries) {
      const ts = Number(readConnectQuery(q).get('ts'));
      expect(verifyConnectQuery(q, (key) => (key === SERVER_KEY.apiKey ? SERVER_KEY.apiSecret : undefined), ts)).toEqual({
        ok: true,
        apiKey: SERVER_KEY.apiKey,
      });
    }
  });
});

describe('throttled subscribes', () => {
  const TOO_MANY = { text: JSON.stringify({ code: 429, message: 'too many request' }) };
  const channel = CHANNELS.futuresIndexPrice;
  const subscribeTo = (up: Upstream, symbol: string) => up.subscribe(channel, channel.parseArgs({ symbol }, Date.now()), undefined);
  const subscribesOf = (exchange: FakeExchange, symbol: string) =>
    exchange.requests.filter((r) => r.action === 'subscribe' && JSON.stringify(r.payload) === JSON.stringify({ symbol })).length;
  // The ack wait is long so that only an answer (or a failure) settles `ready`.
  const fast = { ackWaitMs: 60_000, throttleRetries: 3, throttleBackoff: () => 5 };

  it('fails the subscription with UPSTREAM_REJECTED after the bounded number of re-sends', async () => {
    const { exchange, upstream, logs } = await start({ reply: (r) => (r.action === 'subscribe' ? TOO_MANY : 'ack') }, fast);
    const sub = subscribeTo(upstream, 'BTCUSD');
    await expect(sub.ready).rejects.toMatchObject({
      code: 'UPSTREAM_REJECTED',
      message: expect.stringMatching(/4 times for too many requests/),
    });
    expect(subscribesOf(exchange, 'BTCUSD')).toBe(1 + 3);
    await expect(sub.events.next()).rejects.toMatchObject({ code: 'UPSTREAM_REJECTED' });
    expect(upstream.status().topics).toEqual([]);
    expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('re-sends a subscribe refused by a failed acknowledgement that says "too many request", until accepted', async () => {
    let refusals = 2;
    const { exchange, upstream } = await start(
      {
        reply: (r) =>
          r.action === 'subscribe' && refusals-- > 0
            ? {
                text: JSON.stringify({
                  action: 'SUBSCRIBE',
                  dataType: r.dataType,
                  payload: r.payload,
                  result: 'failed',
                  message: 'too many request',
                }),
              }
            : 'ack',
      },
      fast,
    );
    const sub = subscribeTo(upstream, 'ETHUSD');
    await expect(sub.ready).resolves.toBeUndefined();
    expect(subscribesOf(exchange, 'ETHUSD')).toBe(3);
    await sub.events.return();
  });

  it('re-sends only the subscribes still unanswered, not the ones the exchange accepted', async () => {
    const { exchange, upstream } = await start({ reply: (r) => (JSON.stringify(r.payload).includes('SOLUSD') ? 'silence' : 'ack') }, fast);
    const accepted = subscribeTo(upstream, 'BTCUSD');
    await accepted.ready;
    const unanswered = subscribeTo(upstream, 'SOLUSD');
    await waitFor(() => subscribesOf(exchange, 'SOLUSD') === 1, 'the unanswered subscribe');
    const futures = exchange.connections.find((c) => c.url.startsWith('/futures') && c.socket.readyState === c.socket.OPEN);
    futures?.socket.send(TOO_MANY.text);
    await waitFor(() => subscribesOf(exchange, 'SOLUSD') === 2, 'the unanswered subscribe sent again');
    expect(subscribesOf(exchange, 'BTCUSD')).toBe(1);
    await accepted.events.return();
    await unanswered.events.return();
  });
});

describe('shutdown', () => {
  const SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'DOGEUSD'];
  const PERIODS = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1', 'QUARTER'];
  /** 60 distinct futures topics: more than the pacing burst of 10 many times over. */
  function sixtyTopics(up: Upstream) {
    const kline = CHANNELS.futuresKline;
    const price = CHANNELS.futuresIndexPrice;
    const book = CHANNELS.futuresOrderBook;
    return [
      ...SYMBOLS.flatMap((symbol) =>
        PERIODS.map((period) => up.subscribe(kline, kline.parseArgs({ symbol, period }, Date.now()), undefined)),
      ),
      ...SYMBOLS.map((symbol) => up.subscribe(price, price.parseArgs({ symbol }, Date.now()), undefined)),
      ...SYMBOLS.map((symbol) => up.subscribe(book, book.parseArgs({ symbol }, Date.now()), undefined)),
    ];
  }
  /** Topics the requests of `action` carried (a batch request, `symbol: [...]`, carries several). */
  const count = (exchange: FakeExchange, action: string) =>
    exchange.requests
      .filter((r) => r.action === action)
      .reduce((n, r) => {
        const symbol: unknown =
          typeof r.payload === 'object' && r.payload !== null ? (r.payload as Record<string, unknown>)['symbol'] : undefined;
        return n + (Array.isArray(symbol) ? symbol.length : 1);
      }, 0);

  it('sends every upstream unsubscribe before it closes the connection, and ends every subscription', async () => {
    const { exchange, upstream } = await start();
    const subs = sixtyTopics(upstream);
    await waitFor(() => count(exchange, 'subscribe') === 60, 'all 60 subscribes');
    const upgrades = exchange.upgrades.length;
    await upstream.close();
    // close() resolves after the exchange answered our close frame, so it has read every request before it.
    expect(count(exchange, 'unSubscribe')).toBe(60);
    // Our own close frame, answered, is no idle close by the exchange: nothing reconnects.
    await sleep(100);
    expect(exchange.openCount()).toBe(0);
    expect(exchange.upgrades.length).toBe(upgrades);
    for (const sub of subs) await expect(sub.events.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('closes anyway once the drain time is up', async () => {
    const { exchange, upstream } = await start({}, { shutdownDrainMs: 30 });
    sixtyTopics(upstream);
    await waitFor(() => count(exchange, 'subscribe') === 60, 'all 60 subscribes');
    await upstream.close();
    await waitFor(() => exchange.openCount() === 0, 'the sockets closed');
    expect(count(exchange, 'unSubscribe')).toBeGreaterThan(0);
    expect(count(exchange, 'unSubscribe')).toBeLessThan(60);
  });

  it('lets the whole gateway send every unsubscribe at shutdown (over the simulator)', async () => {
    const gateway = await startTestGateway();
    const client = wsClient(gateway.wsUrl);
    const periods = PERIODS.slice(0, 6);
    const stops = SYMBOLS.flatMap((symbol) =>
      periods.map((period) =>
        client.subscribe(
          { query: `subscription { futuresKline(symbol: "${symbol}", period: ${period}) { close } }` },
          { next: () => undefined, error: () => undefined, complete: () => undefined },
        ),
      ),
    );
    const simulator = gateway.simulator;
    if (simulator === undefined) throw new Error('the test gateway runs its simulator');
    await waitFor(
      () => simulator.activeSubscriptions().filter((s) => s.dataType === 'kline').length === 30,
      'all 30 kline topics upstream',
    );
    await gateway.close();
    expect(simulator.requests.filter((r) => /^unsubscribe$/i.test(r.action) && r.dataType === 'kline')).toHaveLength(30);
    for (const stop of stops) stop();
  });
});

describe('the exchange closing idle connections', () => {
  /** Counts backoff use: a routine close must not consult (or escalate) it. */
  function countingBackoff() {
    const attempts: number[] = [];
    return { attempts, backoff: (attempt: number) => (attempts.push(attempt), 10) };
  }
  const downWarnings = (logs: CapturedLog) => logs.lines.filter((l) => l.msg === 'upstream connection down; reconnecting');

  it('reconnects at once, logs at info, keeps /ready true and never backs off', async () => {
    const { attempts, backoff } = countingBackoff();
    // The fake closes any connection without a subscription 60 ms after it first answered, heartbeats or not, as the
    // exchange may (a close before any answer is a failure, backed off: the next test; a loaded machine must not turn one into the other).
    const { exchange, upstream, logs } = await start({ idleCloseMs: 60, idleClockFrom: 'answer' }, { backoff, heartbeatIntervalMs: 10 });
    const renewals = () => logs.lines.filter((l) => l.msg === 'upstream closed the idle connection; reconnecting').length;
    let notReady = 0;
    // Wait for what is asserted: six closes the gateway itself saw (not the fake's count, which runs
    // ahead of the gateway by the closes still in flight), each one reconnected.
    await waitFor(() => {
      if (!upstream.ready()) notReady++;
      return renewals() >= 6 && upstream.status().connections.every((c) => c.state === 'open');
    }, 'three idle closes per market, seen by the gateway and reconnected');
    expect(notReady).toBe(0);
    expect(attempts).toEqual([]);
    expect(downWarnings(logs)).toEqual([]);
    expect(logs.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    // Every close the gateway took for an idle one was one: the fake made at least as many.
    expect(exchange.idleCloses).toBeGreaterThanOrEqual(renewals());

    // The next real subscription goes straight out and is served. (The fake stops closing first: a close
    // crossing the subscribe on the wire would be a close of a connection with a topic, a real failure.)
    exchange.stopIdleCloses();
    const sub = upstream.subscribe(
      CHANNELS.futuresIndexPrice,
      CHANNELS.futuresIndexPrice.parseArgs({ symbol: 'BTCUSD' }, Date.now()),
      undefined,
    );
    await expect(sub.ready).resolves.toBeUndefined();
    expect(exchange.requests.filter((r) => r.action === 'subscribe')).toHaveLength(1);
    expect(attempts).toEqual([]);
    await sub.events.return();
  });

  it('keeps /ready at 200 while the simulator, under its strict idle rule, closes the topic-less public connections', async () => {
    const gateway = await startTestGateway({ simulator: { strictIdle: true, idleTimeoutMs: 600 }, upstream: { heartbeatIntervalMs: 50 } });
    const renewals = () => gateway.logs.lines.filter((l) => l.msg === 'upstream closed the idle connection; reconnecting').length;
    // Ask /ready over and over while the closes happen.
    const statuses: number[] = [];
    let polling = true;
    // Ready first: a fresh connection counts once the exchange has answered it (its first heartbeat).
    const ready = async () => (await fetch(gateway.url.replace('/graphql', '/ready'))).status;
    for (let status = await ready(); status !== 200; status = await ready()) await new Promise((r) => setTimeout(r, 10));
    const poller = (async () => {
      while (polling) statuses.push(await ready());
    })();
    try {
      await waitFor(() => renewals() >= 6, 'three idle closes per market');
    } finally {
      polling = false;
      await poller;
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(gateway.logs.lines.filter((l) => l.msg === 'upstream connection down; reconnecting')).toEqual([]);
    const [result] = await take(wsClient(gateway.wsUrl), { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' }, 1);
    expect(result?.data).toEqual({ futuresIndexPrice: { symbol: 'BTCUSD' } });
  });

  it('still treats a close of a connection with live topics as a failure (backoff, warning, resubscription)', async () => {
    const { attempts, backoff } = countingBackoff();
    const { exchange, upstream, logs } = await start({}, { backoff, heartbeatIntervalMs: 10 });
    const sub = upstream.subscribe(
      CHANNELS.futuresIndexPrice,
      CHANNELS.futuresIndexPrice.parseArgs({ symbol: 'BTCUSD' }, Date.now()),
      undefined,
    );
    await sub.ready;
    const futures = exchange.connections.find((c) => c.url.startsWith('/futures') && c.socket.readyState === c.socket.OPEN);
    futures?.socket.close(1001, 'going away');
    await waitFor(() => exchange.requests.filter((r) => r.action === 'subscribe').length === 2, 'the resubscription');
    expect(attempts).toEqual([0]);
    expect(downWarnings(logs)).toHaveLength(1);
    await sub.events.return();
  });

  it('backs off as usual when an idle connection is closed before it ever answered (no tight reconnect loop)', async () => {
    const { attempts, backoff } = countingBackoff();
    await start({ idleCloseMs: 0, answerHeartbeats: false }, { backoff }, { waitReady: false });
    await waitFor(() => attempts.length >= 6, 'several reconnect attempts');
    // Two markets, each escalating: 0, 1, 2, ...
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
  });
});
