/**
 * A steady trade flow from the stand-in exchange and clients that watch it,
 * for the cluster's failover tests: every trade the exchange sends has a
 * unique price (its name here), and each client records the prices it got,
 * in order, with their cursors, and every `STREAM_INTERRUPTED` (its reason and
 * window). A client may resume after a cursor (`after`) and stop, as one that
 * moves between replicas does.
 * `deliveryOf` compares a client with what was sent: the trades it missed
 * and those it got more than once.
 */
import type { FakeExchange } from './fake-exchange.ts';
import { onDispose, wsClient } from './gateway.ts';

const TRADES_DT = 33;
let counter = 0;

export interface SentTrade {
  /** The unique price, as the client reads it back. */
  readonly price: string;
  /** When it was sent (the test's clock; the trade's own `ts`). */
  readonly at: number;
}

export interface TradeFlow {
  readonly sent: SentTrade[];
  stop(): void;
}

/** Sends `perFrame` BTCUSD trades every `everyMs` until stopped (or the test is disposed). */
export function steadyTrades(exchange: FakeExchange, { everyMs = 40, perFrame = 1, symbol = 'BTCUSD' } = {}): TradeFlow {
  const sent: SentTrade[] = [];
  const timer = setInterval(() => {
    const at = Date.now();
    const items = Array.from({ length: perFrame }, () => {
      counter++;
      const price = String(50_000 + counter);
      sent.push({ price, at });
      return { s: symbol, pr: price, v: '0.1', sd: 1, ts: at };
    });
    exchange.publish(TRADES_DT, 'lastTrade', { symbol }, items);
  }, everyMs);
  const stop = () => clearInterval(timer);
  onDispose(stop);
  return { sent, stop };
}

export interface Interruption {
  readonly reason: unknown;
  readonly since: number;
  readonly until: number;
  /** How many trades the client had received when it came (it came before `prices[afterTrades]`). */
  readonly afterTrades: number;
}

export interface TradesWatch {
  /** Prices received, in order. */
  readonly prices: string[];
  /** Each received trade's cursor, in the same order as `prices`. */
  readonly cursors: string[];
  /** How many trades each message brought, in order (a message lists its trades newest first). */
  readonly messages: number[];
  readonly interruptions: Interruption[];
  /** Errors other than interruptions, and the end of the stream. */
  readonly problems: string[];
  /** Drops the client (its socket closes); nothing is recorded after. */
  stop(): Promise<void>;
}

const TRADES = 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { id price cursor } }';

/** A graphql-ws client of `wsUrl` subscribed to BTCUSD trades (after the cursor `after`, when given). */
export function watchTrades(wsUrl: string, after?: string): TradesWatch {
  const client = wsClient(wsUrl);
  let stopped = false;
  const watch: TradesWatch = {
    prices: [],
    cursors: [],
    messages: [],
    interruptions: [],
    problems: [],
    stop: async () => {
      stopped = true;
      await client.dispose();
    },
  };
  client.subscribe(
    { query: TRADES, variables: after === undefined ? {} : { after } },
    {
      next: (result) => {
        if (stopped) return;
        const trades =
          (result.data as { futuresTrades?: Array<{ price: string; cursor: string }> } | null | undefined)?.futuresTrades ?? [];
        watch.prices.push(...trades.map((t) => t.price));
        watch.cursors.push(...trades.map((t) => t.cursor));
        if (trades.length > 0) watch.messages.push(trades.length);
        for (const error of result.errors ?? []) {
          const ext = error.extensions ?? {};
          if (ext['code'] === 'STREAM_INTERRUPTED')
            watch.interruptions.push({
              reason: ext['reason'],
              since: Date.parse(String(ext['since'])),
              until: Date.parse(String(ext['until'])),
              afterTrades: watch.prices.length,
            });
          else watch.problems.push(error.message);
        }
      },
      error: (error: unknown) => {
        if (!stopped) watch.problems.push(`error: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
      },
      complete: () => {
        if (!stopped) watch.problems.push('complete');
      },
    },
  );
  return watch;
}

export interface Delivery {
  /** Sent in the range and never received. */
  readonly missing: string[];
  /** Received more than once. */
  readonly repeated: string[];
}

/** What `watch` got of `sent[from..to)` (every trade it received counts for repeats). */
export function deliveryOf(watch: TradesWatch, sent: readonly SentTrade[], from: number, to = sent.length): Delivery {
  const counts = new Map<string, number>();
  for (const price of watch.prices) counts.set(price, (counts.get(price) ?? 0) + 1);
  return {
    missing: sent.slice(from, to).flatMap((t) => (counts.has(t.price) ? [] : [t.price])),
    repeated: [...counts].flatMap(([price, n]) => (n > 1 ? [price] : [])),
  };
}

/** Whether the watch got the trade sent `sent[index]`. */
export function received(watch: TradesWatch, trade: SentTrade | undefined): boolean {
  return trade !== undefined && watch.prices.includes(trade.price);
}

/**
 * The trades of `missing` (prices) sent outside the interruption `gap`: [] when it covers every one.
 * `slackMs` widens its start (the window may run from the last trade delivered, received a moment after it was sent).
 */
export function missedOutside(
  missing: readonly string[],
  sent: readonly SentTrade[],
  gap: Interruption | undefined,
  slackMs = 0,
): Array<{ readonly price: string; readonly at: number }> {
  return missing.flatMap((price) => {
    const at = sent.find((t) => t.price === price)?.at ?? 0;
    return gap !== undefined && at >= gap.since - slackMs && at <= gap.until ? [] : [{ price, at }];
  });
}
