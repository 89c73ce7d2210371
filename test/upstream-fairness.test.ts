/**
 * Fair, bounded upstream requests, on one multiplexer whose writes the test
 * releases one by one, and on the upstream layer over the fake exchange: the
 * clients' lanes take turns, bursts go out in batches of up to 100 symbols
 * where the channel allows, a batch acknowledgement answers every topic in
 * it (a refused batch is retried topic by topic), waiting requests are
 * cancelled instead of sent, and the per-client budget and the queue bound
 * refuse with LIMIT_EXCEEDED naming their variables.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import type { AnyChannel } from '../src/channels/channel.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { createMultiplexer } from '../src/sources/coincall/multiplexer.ts';
import type { Listener } from '../src/hub/listener.ts';
import { startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const kline = CHANNELS.futuresKline;
const book = CHANNELS.futuresOrderBook;
const PERIODS = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1', 'QUARTER'];
const listener = (): Listener => ({ deliver: () => undefined, fail: () => undefined, end: () => undefined });
const klineArgs = (i: number) =>
  kline.parseArgs({ symbol: `K${Math.floor(i / PERIODS.length)}USD`, period: PERIODS[i % PERIODS.length] }, Date.now());
const bookArgs = (symbol: string) => book.parseArgs({ symbol }, Date.now());
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Sent {
  readonly action: string;
  readonly dataType: string;
  readonly payload: { readonly symbol?: unknown; readonly period?: unknown } | undefined;
}

/** A multiplexer whose requests reach the socket only when the test says so; `clock.offset` moves its time on. */
function heldMultiplexer(options: { readonly staleCheckMs?: number } = {}) {
  const sent: Sent[] = [];
  const held: Array<() => void> = [];
  const clock = { offset: 0 };
  const mux = createMultiplexer({
    market: 'futures',
    logger: silentLogger,
    lingerMs: 5,
    now: () => Date.now() + clock.offset,
    ...(options.staleCheckMs === undefined ? {} : { staleCheckMs: options.staleCheckMs }),
    send: (text, onWritten) => {
      sent.push(JSON.parse(text) as Sent);
      if (onWritten !== undefined) held.push(onWritten);
    },
  });
  /** Lets `n` requests reach the socket, one at a time (each write hands over the next). */
  const write = async (n = Number.POSITIVE_INFINITY) => {
    await tick();
    for (let i = 0; i < n && held.length > 0; i++) held.shift()?.();
  };
  const join = (channel: AnyChannel, args: unknown, client: string) => mux.join(channel, args, listener(), { client });
  const ack = (dataType: string, payload: unknown, ok = true, message?: string) =>
    mux.handleFrame({ kind: 'ack', action: 'SUBSCRIBE', dataType, payload, ok, message }, Date.now());
  /** The exchange answers an unsubscribe. */
  const unsubscribed = (dataType: string, payload: unknown) =>
    mux.handleFrame({ kind: 'ack', action: 'UNSUBSCRIBE', dataType, payload, ok: true, message: undefined }, Date.now());
  return { mux, sent, write, join, ack, unsubscribed, clock, held };
}

describe('fair turns across clients', () => {
  it("sends a second client's first subscribe right after the first request of another client's burst", async () => {
    const { sent, write, join } = heldMultiplexer();
    for (let i = 0; i < 100; i++) join(kline, klineArgs(i), 'flooder');
    join(book, bookArgs('BTCUSD'), 'victim');
    await write(1);
    expect(sent.slice(0, 2).map((r) => r.dataType)).toEqual(['kline', 'orderBook']);
  });

  it('sends a burst of batchable topics as at most ceil(N/100) requests, every symbol exactly once', async () => {
    const { sent, write, join } = heldMultiplexer();
    const symbols = Array.from({ length: 250 }, (_, i) => `B${i}USD`);
    for (const symbol of symbols) join(book, bookArgs(symbol), 'one');
    await write();
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(250 / 100));
    expect(sent.flatMap((r) => r.payload?.symbol as string[]).sort()).toEqual([...symbols].sort());
  });

  it('answers every topic of a batch by the batch acknowledgement', async () => {
    const { sent, write, join, ack } = heldMultiplexer();
    const handles = ['AAUSD', 'BBUSD', 'CCUSD'].map((s) => join(book, bookArgs(s), 'one'));
    await write();
    expect(sent).toEqual([{ action: 'subscribe', dataType: 'orderBook', payload: { symbol: ['AAUSD', 'BBUSD', 'CCUSD'] } }]);
    ack('orderBook', { symbol: ['AAUSD', 'BBUSD', 'CCUSD'] });
    await Promise.all(handles.map((h) => h.confirmed));
  });

  it('retries a refused batch topic by topic, and fails only the topic the exchange refuses on its own', async () => {
    const { sent, write, join, ack } = heldMultiplexer();
    const [good, bad] = ['GOODUSD', 'BADUSD'].map((s) => join(book, bookArgs(s), 'one'));
    await write();
    ack('orderBook', { symbol: ['GOODUSD', 'BADUSD'] }, false, 'unknown symbol BADUSD');
    await write();
    expect(sent.slice(1).map((r) => r.payload?.symbol)).toEqual(['GOODUSD', 'BADUSD']);
    ack('orderBook', { symbol: 'GOODUSD' });
    ack('orderBook', { symbol: 'BADUSD' }, false, 'unknown symbol BADUSD');
    await expect(good?.confirmed).resolves.toBeUndefined();
    await expect(bad?.confirmed).rejects.toMatchObject({ code: 'UPSTREAM_REJECTED' });
  });
});

describe('cancelled instead of sent', () => {
  it('sends neither the subscribe nor the unsubscribe of a topic abandoned while its subscribe waited', async () => {
    const { sent, write, join, mux } = heldMultiplexer();
    for (let i = 0; i < 20; i++) join(kline, klineArgs(i), 'flooder');
    const abandoned = join(book, bookArgs('GONEUSD'), 'victim');
    abandoned.release();
    await waitFor(() => !mux.topics().some((t) => t.key === 'GONEUSD'), 'the linger to pass');
    await write();
    expect(sent.filter((r) => r.dataType === 'orderBook')).toEqual([]);
    expect(sent.filter((r) => r.dataType === 'kline')).toHaveLength(20);
  });

  it('keeps the upstream subscription of a topic reopened while its unsubscribe waited, sending neither', async () => {
    const { sent, write, join, ack, mux } = heldMultiplexer();
    const first = join(book, bookArgs('BTCUSD'), 'a');
    await write();
    ack('orderBook', { symbol: 'BTCUSD' });
    // A burst holds the pacer while the topic's linger runs out and its unsubscribe queues
    // (left only now: a linger that ran out before the subscribe was written would send the unsubscribe).
    for (let i = 0; i < 5; i++) join(kline, klineArgs(i), 'flooder');
    first.release();
    await waitFor(() => mux.topics().every((t) => t.key !== 'BTCUSD'), 'the linger to pass');
    const again = join(book, bookArgs('BTCUSD'), 'b');
    await expect(again.confirmed).resolves.toBeUndefined();
    await write();
    expect(sent.filter((r) => r.dataType === 'orderBook').map((r) => r.action)).toEqual(['subscribe']);
  });
});

describe('a stale topic\u2019s resubscribe', () => {
  /** A book answered by the exchange, then silent past its limit while a flood holds the pacer; resolves once the sweep resubscribed it. */
  async function staleBookBehindAFlood() {
    const held = heldMultiplexer({ staleCheckMs: 5 });
    // This exchange answers unsubscribes (so the resubscribe's subscribe awaits that answer).
    held.unsubscribed('orderBook', { symbol: 'ETHUSD' });
    const handle = held.join(book, bookArgs('BTCUSD'), 'a');
    await held.write();
    held.ack('orderBook', { symbol: 'BTCUSD' });
    for (let i = 0; i < 20; i++) held.join(kline, klineArgs(i), 'flooder');
    await tick();
    held.clock.offset = (book.staleAfterMs ?? 0) + 1_000;
    await waitFor(() => held.mux.topics().find((t) => t.key === 'BTCUSD')?.resubscribes === 1, 'the stale sweep');
    return { ...held, handle };
  }
  const bookActions = (sent: readonly Sent[]) => sent.filter((r) => r.dataType === 'orderBook').map((r) => r.action);

  it('waits its turn like any request (one in the pacer at a time), then goes out as unsubscribe and, once that is answered, subscribe', async () => {
    const { sent, write, held, unsubscribed } = await staleBookBehindAFlood();
    // The pacer holds one flood request; the resubscribe has not jumped the line.
    expect(held).toHaveLength(1);
    expect(bookActions(sent)).toEqual(['subscribe']);
    // Round robin: after the flood request in the pacer and the flood lane's next, the unsubscribes' lane.
    await write(2);
    expect(sent.at(-1)).toMatchObject({ action: 'unSubscribe', dataType: 'orderBook' });
    // The subscribe never overtakes the unanswered unsubscribe (unsubscribe-tracker.ts).
    await write();
    expect(bookActions(sent)).toEqual(['subscribe', 'unSubscribe']);
    unsubscribed('orderBook', { symbol: 'BTCUSD' });
    await write();
    expect(bookActions(sent)).toEqual(['subscribe', 'unSubscribe', 'subscribe']);
    expect(sent.filter((r) => r.dataType === 'kline')).toHaveLength(20);
  });

  it('sends only the unsubscribe of a topic abandoned while its resubscribe waited', async () => {
    const { sent, write, mux, handle } = await staleBookBehindAFlood();
    handle.release();
    await waitFor(() => !mux.topics().some((t) => t.key === 'BTCUSD'), 'the linger to pass');
    await write();
    expect(bookActions(sent)).toEqual(['subscribe', 'unSubscribe']);
  });
});

describe('budgets', () => {
  it('refuses new topics past MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT, naming it; shared topics and other clients are not held back', async () => {
    let now = 1_000_000;
    const { upstream } = await startUpstreamOnFakeExchange({}, { maxNewTopicsPerSecondPerClient: 1, now: () => now });
    const greedy = { id: 'greedy', address: '127.0.0.1' };
    // One a second, five seconds of it back to back.
    for (let i = 0; i < 5; i++) upstream.subscribe(kline, klineArgs(i), undefined, { client: greedy });
    let refusal: unknown;
    try {
      upstream.subscribe(kline, klineArgs(5), undefined, { client: greedy });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT') });
    expect(() => upstream.subscribe(kline, klineArgs(0), undefined, { client: greedy })).not.toThrow();
    expect(() => upstream.subscribe(kline, klineArgs(6), undefined, { client: { id: 'other', address: '127.0.0.1' } })).not.toThrow();
    now += 1_000;
    expect(() => upstream.subscribe(kline, klineArgs(7), undefined, { client: greedy })).not.toThrow();
  });

  it('refuses new topics while UPSTREAM_MAX_PENDING_TOPICS requests wait on the connection, naming it', async () => {
    const { upstream, exchange } = await startUpstreamOnFakeExchange({}, { maxPendingTopics: 100 });
    const outcomes = Array.from({ length: 150 }, (_, i) => {
      try {
        upstream.subscribe(kline, klineArgs(i), undefined, { client: { id: `c${i}`, address: undefined } });
        return 'subscribed';
      } catch (error) {
        return error instanceof GatewayError ? `${error.code} ${error.message}` : String(error);
      }
    });
    const refused = outcomes.filter((o) => o !== 'subscribed');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatch(/^LIMIT_EXCEEDED .*UPSTREAM_MAX_PENDING_TOPICS/);
    await waitFor(() => exchange.requests.length === 150 - refused.length, 'the admitted subscribes sent');
  });
});
