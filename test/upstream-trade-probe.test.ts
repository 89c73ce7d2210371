/**
 * Silence detection for trades topics (issue 22, hole 2), against the stand-in
 * exchange: a trades topic that dies while heartbeats are answered loses no
 * trade silently. After a silence the topic is probed (re-subscribed) and the
 * exchange's batch of recent trades that comes back is compared with what was
 * delivered: the missed trades are delivered, STREAM_INTERRUPTED goes first when
 * the batch does not reach back to them, and a quiet market says nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { startUpstreamOnFakeExchange, type FakeExchangeOptions } from './helpers/fake-exchange.ts';
import { nextValue, wireTradeMaker } from './helpers/upstream-trades.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const trades = CHANNELS.futuresTrades;
const BTC = { symbol: 'BTCUSD' };
/** Probed after 300 ms of silence, checked every 20 ms (the defaults: 30 s, 1 s). */
const FAST = { probeAfterMs: 300, staleCheckMs: 20, heartbeatIntervalMs: 50 };

const wireTrades = wireTradeMaker();
const idsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map((t: { id: string }) => t.id) : []);
const pricesOf = (value: unknown): string[] => (Array.isArray(value) ? value.map((t: { price: string }) => t.price) : []);

async function flowingTrades(exchangeOptions: FakeExchangeOptions) {
  const started = await startUpstreamOnFakeExchange(exchangeOptions, FAST);
  const sub = started.upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
  await sub.ready;
  await waitFor(() => started.exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(4)) > 0, 'trades flowing');
  expect(idsOf(await nextValue(sub.events, 'the first trades'))).toHaveLength(4);
  return { ...started, sub };
}

const subscribesOf = (requests: readonly { action: string }[]) => requests.filter((r) => r.action === 'subscribe').length;

describe('a trades topic that dies while heartbeats are answered', () => {
  it('delivers the missed trades the batch holds, with no signal when the batch reaches back to what was delivered', async () => {
    const { exchange, upstream, logs, sub } = await flowingTrades({ replayOnSubscribe: 20 });
    exchange.killTopic('lastTrade', BTC);
    const lost = wireTrades(5);
    expect(exchange.publish(TRADES_DT, 'lastTrade', BTC, lost)).toBe(0);

    const recovered = await nextValue(sub.events, 'the missed trades');
    expect(recovered).not.toBeInstanceOf(StreamInterruption);
    expect(pricesOf(recovered)).toEqual(lost.map((t) => t.pr));
    expect(logs.text()).toContain('upstream trades topic was dead on a live connection; delivered the trades it missed');
    expect(upstream.status().deadTopics).toEqual([{ market: 'futures', count: 1 }]);

    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    expect(idsOf(await nextValue(sub.events, 'live again'))).toHaveLength(1);
    await sub.events.return();
  });

  it('signals STREAM_INTERRUPTED before what the batch holds when it does not reach back (trades may be lost)', async () => {
    const { exchange, upstream, sub } = await flowingTrades({ replayOnSubscribe: 3 });
    const lastDeliveredAt = upstream.status().topics.find((t) => t.channel === 'futuresTrades')?.lastEventAt ?? 0;
    exchange.killTopic('lastTrade', BTC);
    const lost = wireTrades(10);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, lost);

    const signal = await nextValue(sub.events, 'the interruption');
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect((signal as StreamInterruption).since).toBe(lastDeliveredAt);
    expect(pricesOf(await nextValue(sub.events, 'what the batch held'))).toEqual(lost.slice(-3).map((t) => t.pr));
    await sub.events.return();
  });
});

describe('a quiet market', () => {
  it('is probed and says nothing: the next value is the next real trade', async () => {
    const { exchange, upstream, logs, sub } = await flowingTrades({ replayOnSubscribe: 20 });
    const before = subscribesOf(exchange.requests);
    await waitFor(() => subscribesOf(exchange.requests) > before, 'the quiet topic probed');
    const fresh = wireTrades(1);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, fresh);
    expect(pricesOf(await nextValue(sub.events, 'the next trade'))).toEqual([fresh[0]?.pr]);
    expect(upstream.status().deadTopics).toEqual([]);
    expect(logs.text()).not.toContain('was dead on a live connection');
    await sub.events.return();
  });
});
