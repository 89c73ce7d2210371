/**
 * Resuming a trades stream from a cursor, against the scripted stand-in
 * exchange (the upstream layer, in process): every trade carries a `cursor`;
 * `after` replays the retained trades after it, oldest first, then live with
 * no gap and no repeat at the seam (under a steady flow); a cursor past the
 * window (or from before a restart) starts with CURSOR_EXPIRED, then what is
 * retained; the gateway's own gaps come back where they happened (UPSTREAM);
 * a malformed cursor, one of another topic, or one the gateway never issued
 * (ahead of the stream, or not the trade it names) is BAD_USER_INPUT with
 * nothing subscribed upstream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import type { Sink } from '../src/hub/sink.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { startUpstreamOnFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const trades = CHANNELS.futuresTrades;
const BTC = { symbol: 'BTCUSD' };
const ETH = { symbol: 'ETHUSD' };

let tradeSeq = 0;
/** `n` distinct wire trades of `symbol`, each one later than the last; the exchange sends a frame newest first. */
const wireTrades = (n: number, symbol = 'BTCUSD') =>
  Array.from({ length: n }, () => {
    tradeSeq++;
    return { s: symbol, pr: String(60_000 + tradeSeq), v: '0.1', sd: 1, ts: 1_700_000_000_000 + tradeSeq };
  }).reverse();

interface SeenTrade {
  readonly id: string;
  readonly price: string;
  readonly timestamp: number;
  readonly cursor: string;
}

/** Reads values from a sink until `done` says so (or fails after the timeout). */
async function readUntil(sink: Sink<unknown>, done: (values: readonly unknown[]) => boolean, timeoutMs = 8_000): Promise<unknown[]> {
  const out: unknown[] = [];
  const deadline = setTimeout(() => void sink.return(), timeoutMs);
  try {
    while (!done(out)) {
      const { value, done: ended } = await sink.next();
      if (ended === true) throw new Error(`stream ended after ${out.length} values`);
      out.push(value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return out;
}

const tradesIn = (values: readonly unknown[]): SeenTrade[] => values.flatMap((v) => (Array.isArray(v) ? (v as SeenTrade[]) : []));
const prices = (values: readonly unknown[]): number[] => tradesIn(values).map((t) => Number(t.price));
const countTrades = (n: number) => (values: readonly unknown[]) => tradesIn(values).length >= n;
const lastTrades = (exchange: FakeExchange) => exchange.requests.filter((r) => r.action === 'subscribe' && r.dataType === 'lastTrade');

async function live(overrides: Parameters<typeof startUpstreamOnFakeExchange>[1] = {}) {
  const setup = await startUpstreamOnFakeExchange({}, overrides);
  const first = setup.upstream.subscribe(trades, trades.parseArgs(BTC, Date.now()), undefined);
  await first.ready;
  return { ...setup, first };
}

const resumeFrom = (upstream: Awaited<ReturnType<typeof live>>['upstream'], cursor: string, symbol = BTC) =>
  upstream.subscribe(trades, trades.parseArgs({ ...symbol, after: cursor }, Date.now()), undefined);

describe('cursors', () => {
  it('stamps every trade with an opaque cursor, distinct per trade', async () => {
    const { exchange, first } = await live();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    const seen = tradesIn(await readUntil(first.events, countTrades(3)));
    expect(seen.every((t) => typeof t.cursor === 'string' && t.cursor.length > 0)).toBe(true);
    expect(new Set(seen.map((t) => t.cursor)).size).toBe(3);
  });
});

describe('after: replay, then live', () => {
  it('replays every retained trade after the cursor, oldest first, then goes live', async () => {
    const { exchange, upstream, first } = await live();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(4));
    const seen = tradesIn(await readUntil(first.events, countTrades(7)));
    // The oldest trade of the first frame is its last (frames are newest first).
    const oldest = [...seen].sort((a, b) => a.timestamp - b.timestamp);
    const resumed = resumeFrom(upstream, oldest[0]?.cursor ?? '');
    await resumed.ready;
    const replay = await readUntil(resumed.events, countTrades(6));
    expect(prices(replay)).toEqual(oldest.slice(1).map((t) => Number(t.price)));
    // One message for the whole replay.
    expect(replay).toHaveLength(1);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    const next = await readUntil(resumed.events, countTrades(2));
    expect(prices(next)).toEqual(prices(next).sort((a, b) => b - a));
    expect(Math.min(...prices(next))).toBe(Math.max(...oldest.map((t) => Number(t.price))) + 1);
    expect(upstream.status().resumes).toMatchObject({ replayed: 1, expired: 0, refused: 0 });
  });

  it('loses and repeats nothing at the seam under a steady flow of trades (10 times)', async () => {
    const { exchange, upstream, first } = await live();
    let stop = false;
    const flow = (async () => {
      while (!stop) {
        exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3));
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let round = 0; round < 10; round++) {
        const before = tradesIn(await readUntil(first.events, countTrades(1)));
        const from = before.reduce((a, b) => (a.timestamp > b.timestamp ? a : b));
        const resumed = resumeFrom(upstream, from.cursor);
        const got = prices(await readUntil(resumed.events, countTrades(60)));
        const sorted = [...got].sort((a, b) => a - b);
        // Every price after the cursor's, once each, none missing.
        expect(new Set(got).size).toBe(got.length);
        expect(sorted[0]).toBe(Number(from.price) + 1);
        expect(sorted.at(-1)! - sorted[0]! + 1).toBe(sorted.length);
        await resumed.events.return();
      }
    } finally {
      stop = true;
      await flow;
    }
  });
});

describe('after: past the window', () => {
  it('starts with STREAM_INTERRUPTED (CURSOR_EXPIRED, since the cursor until the oldest retained trade), then what is retained, then live', async () => {
    const { exchange, upstream, first } = await live({ resumeMaxEventsPerTopic: 100 });
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    const [gone] = tradesIn(await readUntil(first.events, countTrades(1)));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(150));
    await readUntil(first.events, countTrades(150));
    const resumed = resumeFrom(upstream, gone?.cursor ?? '');
    const values = await readUntil(resumed.events, countTrades(100));
    const signal = values[0];
    expect(signal).toBeInstanceOf(StreamInterruption);
    const error = (signal as StreamInterruption).toError();
    expect(error.details).toMatchObject({ reason: 'CURSOR_EXPIRED', since: new Date(gone?.timestamp ?? 0).toISOString() });
    const retained = prices(values.slice(1));
    expect(retained).toHaveLength(100);
    expect(error.details?.['until']).toBe(new Date(tradesIn(values.slice(1))[0]?.timestamp ?? 0).toISOString());
    // The newest 100 of the 151, oldest first.
    expect(retained).toEqual([...retained].sort((a, b) => a - b));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    expect(prices(await readUntil(resumed.events, countTrades(1)))[0]).toBe(retained.at(-1)! + 1);
    expect(upstream.status().resumes).toMatchObject({ expired: 1 });
  });

  it('counts a cursor from before a restart as expired', async () => {
    const before = await live();
    before.exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    const [old] = tradesIn(await readUntil(before.first.events, countTrades(2)));
    await disposeAll();
    const after = await live();
    after.exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await readUntil(after.first.events, countTrades(2));
    const resumed = resumeFrom(after.upstream, old?.cursor ?? '');
    const values = await readUntil(resumed.events, countTrades(2));
    expect(values[0]).toBeInstanceOf(StreamInterruption);
    expect((values[0] as StreamInterruption).reason).toBe('CURSOR_EXPIRED');
  });
});

describe('after: the gateway’s own gaps', () => {
  it('replays an upstream interruption where it happened, as STREAM_INTERRUPTED (UPSTREAM)', async () => {
    const { exchange, upstream, first } = await live();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    const from = tradesIn(await readUntil(first.events, countTrades(2))).reduce((a, b) => (a.timestamp < b.timestamp ? a : b));
    const subscribed = lastTrades(exchange).length;
    exchange.dropAll();
    await waitFor(() => lastTrades(exchange).length > subscribed, 'the resubscribe after the drop');
    await readUntil(first.events, (values) => values.some((v) => v instanceof StreamInterruption));
    await waitFor(() => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2)) === 1, 'a frame after the resubscribe');
    await readUntil(first.events, countTrades(2));
    const resumed = resumeFrom(upstream, from?.cursor ?? '');
    const values = await readUntil(resumed.events, (v) => tradesIn(v).length >= 3);
    expect(values.map((v) => (v instanceof StreamInterruption ? v.reason : 'trades'))).toEqual(['trades', 'UPSTREAM', 'trades']);
  });
});

describe('after: refused', () => {
  it.each([
    ['not base64url', '%%%'],
    ['base64url of something else', Buffer.from('{"hello":1}').toString('base64url')],
  ])('refuses a malformed cursor (%s) with BAD_USER_INPUT, nothing subscribed upstream', async (_what, cursor) => {
    const { exchange, upstream } = await startUpstreamOnFakeExchange();
    expect(() => resumeFrom(upstream, cursor)).toThrow(GatewayError);
    try {
      resumeFrom(upstream, cursor);
    } catch (error) {
      expect((error as GatewayError).code).toBe('BAD_USER_INPUT');
    }
    expect(lastTrades(exchange)).toHaveLength(0);
    expect(upstream.status().topics).toHaveLength(0);
    expect(upstream.status().resumes?.refused).toBe(2);
  });

  it('refuses a cursor the gateway never issued (a position ahead of the stream, or not the trade it names) with BAD_USER_INPUT, subscription and query alike', async () => {
    const { exchange, upstream, first } = await live();
    const eth = upstream.subscribe(trades, trades.parseArgs(ETH, Date.now()), undefined);
    await eth.ready;
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    exchange.publish(TRADES_DT, 'lastTrade', ETH, wireTrades(3, 'ETHUSD'));
    await readUntil(eth.events, countTrades(3));
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    const btc = tradesIn(await readUntil(first.events, countTrades(4))).sort((a, b) => a.timestamp - b.timestamp);
    const moved = (cursor: string | undefined, by: number) => {
      const fields = JSON.parse(Buffer.from(cursor ?? '', 'base64url').toString()) as unknown[];
      return Buffer.from(JSON.stringify(fields.map((f, i) => (i === 4 ? Number(f) + by : f)))).toString('base64url');
    };
    const forged = [
      moved(btc[3]?.cursor, 1), // past the newest position issued
      moved(btc[3]?.cursor, 1_000_000),
      moved(btc[1]?.cursor, 1), // an ETHUSD trade's position
      moved(btc[0]?.cursor, 1), // another BTCUSD trade's position
    ];
    const refusal = (attempt: () => unknown) => {
      try {
        attempt();
      } catch (error) {
        return error instanceof GatewayError ? error.code : String(error);
      }
      return 'accepted';
    };
    expect(forged.map((cursor) => refusal(() => resumeFrom(upstream, cursor)))).toEqual(forged.map(() => 'BAD_USER_INPUT'));
    const query = upstream.snapshot(trades, trades.parseArgs({ ...BTC, after: forged[0] }, Date.now()), undefined);
    await expect(query).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('not a cursor this gateway issued'),
    });
    expect(upstream.status().resumes?.refused).toBe(forged.length + 1);
    // The real ones still resume.
    const resumed = resumeFrom(upstream, btc[1]?.cursor ?? '');
    expect(prices(await readUntil(resumed.events, countTrades(2)))).toEqual(btc.slice(2).map((t) => Number(t.price)));
  });

  it('refuses a cursor of another topic with BAD_USER_INPUT, before anything is subscribed', async () => {
    const { exchange, upstream, first } = await live();
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
    const [btc] = tradesIn(await readUntil(first.events, countTrades(1)));
    const requests = lastTrades(exchange).length;
    let refused: unknown;
    try {
      resumeFrom(upstream, btc?.cursor ?? '', ETH);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('BAD_USER_INPUT');
    expect((refused as GatewayError).message).toContain('not of futuresTrades(ETHUSD)');
    expect(lastTrades(exchange)).toHaveLength(requests);
  });
});
