/**
 * Continuity of the upstream streams, against the scripted stand-in exchange:
 * an interrupted event stream says so in band (a StreamInterruption, in order,
 * with since/until), state streams simply resume with a fresh value, trades
 * the exchange re-sends after a resubscribe are not delivered twice, a
 * silence is detected within 5 s, a backlog of data never makes a healthy
 * connection look dead, a topic that goes quiet on a live connection is
 * resubscribed, and a frame over the cap renews the connection explicitly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { StreamInterruption, isStreamSignal } from '../src/hub/signals.ts';
import type { Sink } from '../src/hub/sink.ts';
import { startUpstreamOnFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const INDEX_DT = 30;
const trades = CHANNELS.futuresTrades;
const index = CHANNELS.futuresIndexPrice;
const BTC = { symbol: 'BTCUSD' };

let tradeSeq = 0;
/** `n` distinct wire trades of BTCUSD. */
const wireTrades = (n: number) =>
  Array.from({ length: n }, () => {
    tradeSeq++;
    return { s: 'BTCUSD', pr: String(60_000 + tradeSeq), v: '0.1', sd: tradeSeq % 2 === 0 ? 1 : 2, ts: 1_700_000_000_000 + tradeSeq };
  });

/** Reads values from a sink until `count` arrived (or fails after the timeout). */
async function read(sink: Sink<unknown>, count: number, timeoutMs = 8_000): Promise<unknown[]> {
  const out: unknown[] = [];
  const deadline = setTimeout(() => void sink.return(), timeoutMs);
  try {
    while (out.length < count) {
      const { value, done } = await sink.next();
      if (done === true) throw new Error(`stream ended after ${out.length} of ${count} values`);
      out.push(value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return out;
}

const tradeIds = (values: readonly unknown[]): string[] =>
  values.flatMap((v) => (Array.isArray(v) ? v.map((t: { id: string }) => t.id) : []));

const futuresState = (exchange: FakeExchange) => exchange.connections.filter((c) => c.url.startsWith('/futures'));

describe('interruption signal on event streams', () => {
  it('signals STREAM_INTERRUPTED in order, once back, after the connection dropped; the stream goes on', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    const sub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await sub.ready;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    const [first] = await read(sub.events, 1);
    expect(tradeIds([first])).toHaveLength(3);
    const lastDataAt = upstream.status().topics.find((t) => t.channel === 'futuresTrades')?.lastEventAt ?? 0;

    exchange.dropAll();
    await waitFor(
      () => futuresState(exchange).length === 2 && exchange.requests.filter((r) => r.action === 'subscribe').length === 2,
      'resubscribed on a new socket',
    );
    const [signal] = await read(sub.events, 1);
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect(isStreamSignal(signal)).toBe(true);
    const { since, until } = signal as StreamInterruption;
    expect(since).toBe(lastDataAt);
    expect(until).toBeGreaterThanOrEqual(since);
    expect((signal as StreamInterruption).toError()).toMatchObject({
      code: 'STREAM_INTERRUPTED',
      details: { since: new Date(since).toISOString(), until: new Date(until).toISOString() },
    });

    await waitFor(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2)) > 0, 'trades flowing again');
    const [after] = await read(sub.events, 1);
    expect(tradeIds([after])).toHaveLength(2);
    await sub.events.return();
  });

  it('signals private event streams (fills) the same way after their connection dropped', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    const fills = CHANNELS.futuresFills;
    const sub = upstream.subscribe(fills, fills.parseArgs({}, Date.now()), { apiKey: 'alice+KEY/0000==', apiSecret: 'alice-secret' });
    await sub.ready;
    const fill = (ts: number) => [{ s: 'BTCUSD', et: 2, ts }];
    exchange.publish(34, 'fillSignal', undefined, fill(1_700_000_000_000));
    expect(await read(sub.events, 1)).toMatchObject([{ symbol: 'BTCUSD' }]);
    const privateSockets = () => exchange.connections.filter((c) => c.topics.size > 0 && c.socket.readyState === c.socket.OPEN).length;
    exchange.dropAll();
    await waitFor(() => privateSockets() === 1, 'the private connection back with its topic');
    const [signal] = await read(sub.events, 1);
    expect(signal).toBeInstanceOf(StreamInterruption);
    await waitFor(() => exchange.publish(34, 'fillSignal', undefined, fill(1_700_000_000_001)) > 0, 'fills flowing again');
    expect(await read(sub.events, 1)).toMatchObject([{ timestamp: 1_700_000_000_001 }]);
    await sub.events.return();
  });

  it('does not signal state streams: they resume with a fresh value', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    const sub = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    await sub.ready;
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '100' }]);
    expect(await read(sub.events, 1)).toMatchObject([{ price: '100' }]);
    exchange.dropAll();
    await waitFor(() => exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '101' }]) > 0, 'resubscribed');
    const [fresh] = await read(sub.events, 1);
    expect(isStreamSignal(fresh)).toBe(false);
    expect(fresh).toMatchObject({ price: '101' });
    await sub.events.return();
  });
});

describe('no duplicates', () => {
  it('gives a trade a stable id from its content, distinct for identical trades within one frame', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    const sub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await sub.ready;
    const same = { s: 'BTCUSD', pr: '60000', v: '0.1', sd: 1, ts: 1_700_000_000_000 };
    exchange.publish(TRADES_DT, 'lastTrade', BTC, [same, same]);
    const ids = tradeIds(await read(sub.events, 1));
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(ids[0]).toBe('BTCUSD|1700000000000|60000|0.1|BUY|0');
    await sub.events.return();
  });

  it('drops the trades the exchange re-sends after a resubscribe, and delivers the new ones', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange({ replayOnSubscribe: 20 });
    const sub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await sub.ready;
    for (let i = 0; i < 4; i++) exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(5));
    const before = tradeIds(await read(sub.events, 4));
    expect(before).toHaveLength(20);

    exchange.dropAll();
    const [signal] = await read(sub.events, 1);
    expect(signal).toBeInstanceOf(StreamInterruption);
    // The fake re-sent the last 20 trades right after its acknowledgement; then comes one new frame.
    await waitFor(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3)) > 0, 'trades flowing again');
    const [next] = await read(sub.events, 1);
    const fresh = tradeIds([next]);
    expect(fresh).toHaveLength(3);
    expect(fresh.filter((id) => before.includes(id))).toEqual([]);
    await sub.events.return();
  });
});

describe('liveness', () => {
  it('turns not ready within 5 s of the exchange going silent (default timings)', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    exchange.silence(true);
    const silentAt = Date.now();
    await waitFor(() => !upstream.ready(), 'not ready', 8_000);
    expect(Date.now() - silentAt).toBeLessThanOrEqual(5_000);
    exchange.silence(false);
    await waitFor(() => upstream.ready(), 'ready again', 8_000);
  }, 20_000);

  it('counts any frame as proof of life: data flowing keeps a connection whose heartbeats go unanswered', async () => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange(
      { answerHeartbeats: false },
      { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 300 },
      { waitReady: false },
    );
    const sub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await sub.ready;
    let frames = 0;
    const feeder = setInterval(() => (frames += exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1))), 25);
    try {
      // Five heartbeat timeouts' worth of data with no heartbeat answered.
      await waitFor(() => frames >= 60, 'sixty data frames', 8_000);
    } finally {
      clearInterval(feeder);
    }
    expect(upstream.status().connections.find((c) => c.market === 'futures')?.reconnects).toBe(0);
    expect(futuresState(exchange)).toHaveLength(1);
    await sub.events.return();
  });

  it('resubscribes a streaming topic that went quiet on a live connection, and shows it in status', async () => {
    let offset = 0;
    const { exchange, upstream, logs } = await startUpstreamOnFakeExchange(
      {},
      { now: () => Date.now() + offset, heartbeatTimeoutMs: 3_600_000, staleCheckMs: 20 },
    );
    const btc = upstream.subscribe(index, index.parseArgs(BTC, Date.now()), undefined);
    const eth = upstream.subscribe(index, index.parseArgs({ symbol: 'ETHUSD' }, Date.now()), undefined);
    await Promise.all([btc.ready, eth.ready]);
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '100' }]);
    await read(btc.events, 1);
    exchange.muteTopic('spotPrice', BTC, true);
    // The clock runs fast (0.5 s per 10 ms): BTC goes quiet past its limit in well under a second
    // of real time, while ETH keeps streaming and never looks stale.
    const feed = setInterval(() => {
      offset += 500;
      exchange.publish(INDEX_DT, 'spotPrice', { symbol: 'ETHUSD' }, [{ s: 'ETHUSD', pr: '5' }]);
    }, 10);
    try {
      await waitFor(() => exchange.requests.some((r) => /^unsubscribe$/i.test(r.action)), 'the stale topic unsubscribed');
      // The first subscribe may have gone out in a batch (`symbol: [...]`) with ETHUSD.
      const subscribesOfBtc = () =>
        exchange.requests.filter((r) => r.action === 'subscribe' && [JSON.stringify(r.payload)].some((p) => p.includes('"BTCUSD"'))).length;
      await waitFor(() => subscribesOfBtc() === 2, 'and subscribed again');
    } finally {
      clearInterval(feed);
    }
    const topic = (symbol: string) => upstream.status().topics.find((t) => t.key === symbol);
    expect(topic('BTCUSD')?.resubscribes).toBe(1);
    expect(topic('ETHUSD')?.resubscribes).toBe(0);
    expect(logs.text()).toContain('upstream topic went silent on a live connection; resubscribing');
    expect(exchange.requests.filter((r) => /^unsubscribe$/i.test(r.action)).map((r) => r.payload)).toEqual([BTC]);
    exchange.muteTopic('spotPrice', BTC, false);
    exchange.publish(INDEX_DT, 'spotPrice', BTC, [{ s: 'BTCUSD', pr: '102' }]);
    expect(await read(btc.events, 1)).toMatchObject([{ price: '102' }]);
    await btc.events.return();
    await eth.events.return();
  });
});

describe('upstream frame cap', () => {
  it('drops a frame over UPSTREAM_MAX_FRAME_BYTES, counts it, renews the connection and signals event subscribers', async () => {
    const { exchange, upstream, logs } = await startUpstreamOnFakeExchange({}, { maxFrameBytes: 64 * 1024 });
    const sub = upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
    await sub.ready;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(100));
    expect(tradeIds(await read(sub.events, 1))).toHaveLength(100);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2_000));
    const [signal] = await read(sub.events, 1);
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect(upstream.status().drops.oversized).toBe(1);
    expect(logs.text()).toContain('upstream frame over UPSTREAM_MAX_FRAME_BYTES');
    expect(futuresState(exchange)).toHaveLength(2);
    await sub.events.return();
  });
});
