/**
 * Channel families shared by both markets (index price, kline, order book,
 * trades, fills, orders, positions): the behaviour lives here once, and each
 * market's channel file picks its dt code, arguments and wording.
 */
import type { MarketName } from '../coincall/protocol.ts';
import { addDecimals, roundToStep } from '../lib/decimal.ts';
import { arg, type ArgSpec, type ArgsSpec } from './args.ts';
import { bySymbol, defineChannel, type ThrottlePolicy, type TwinKind } from './channel.ts';
import type { ChannelExample } from './example-context.ts';
import type { RecordOf } from './fields.ts';
import { FillSignalShape } from './shapes/fill-signal.ts';
import { IndexPriceShape } from './shapes/index-price.ts';
import { KlineShape } from './shapes/kline.ts';
import { OrderBookShape } from './shapes/order-book.ts';
import { OrderShape } from './shapes/order.ts';
import { PositionShape } from './shapes/position.ts';
import { TradeOutputShape, TradeShape } from './shapes/trade.ts';
import type { SimulationHook } from './simulation.ts';

/**
 * A streaming topic (books, index prices, pricing, chain) that gets nothing
 * for this long while its connection lives is resubscribed. The exchange and
 * the simulator publish these several times a second; 30 s of silence is a
 * stuck stream, not a quiet market.
 */
export const STREAMING_STALE_AFTER_MS = 30_000;

interface Common {
  readonly id: string;
  readonly market: MarketName;
  readonly dt: number;
  readonly description: string;
  /** GraphiQL's example operation and its variables. */
  readonly example: ChannelExample;
  /** How the built-in simulator serves the channel on this market. */
  readonly simulate: SimulationHook<object>;
  /** The exchange takes this channel's symbols in batches (`symbol: [...]`). */
  readonly batchable?: boolean;
}

export function indexPriceChannel(c: Common) {
  return defineChannel({
    ...c,
    dt: [c.dt],
    dataType: 'spotPrice',
    access: 'public',
    delivery: 'state',
    staleAfterMs: STREAMING_STALE_AFTER_MS,
    throttle: 'latest',
    twin: 'state',
    item: IndexPriceShape,
    // The futures market's index price is a perpetual's: checked against the listed perpetuals, not the option underlyings.
    args: {
      symbol:
        c.market === 'futures'
          ? arg.futuresSymbol('Perpetual symbol, e.g. `BTCUSD`.')
          : arg.underlying('Underlying symbol, e.g. `BTCUSD`.'),
      throttleMs: arg.throttleMs(),
    },
    topic: ({ symbol }) => ({ key: symbol, payload: { symbol } }),
    keyOf: bySymbol,
  });
}

export function klineChannel(c: Common & { readonly symbol: ArgSpec<string, true> }) {
  return defineChannel({
    ...c,
    dt: [c.dt],
    dataType: 'kline',
    access: 'public',
    delivery: 'state',
    throttle: 'latest',
    twin: 'state',
    item: KlineShape,
    args: { symbol: c.symbol, period: arg.period(), throttleMs: arg.throttleMs() },
    topic: ({ symbol, period }) => ({ key: `${symbol}|${period}`, payload: { symbol, period } }),
    keyOf: (k) => `${k.symbol}|${periodCode(k.period)}`,
  });
}

function periodCode(period: RecordOf<typeof KlineShape>['period']): string {
  return String(KlineShape.fields.period.enumDef.values[period].code);
}

type Book = RecordOf<typeof OrderBookShape>;
type Level = Book['bids'][number];

/** Bids highest first, asks lowest first; the exchange sends them so, and this keeps it true. */
function sortedBook(book: Book): Book {
  const descending = (a: Level, b: Level) => Number(b.price) - Number(a.price);
  const isSorted = (levels: readonly Level[], cmp: (a: Level, b: Level) => number) =>
    levels.every((level, i) => i === 0 || cmp(levels[i - 1] as Level, level) <= 0);
  const ascending = (a: Level, b: Level) => -descending(a, b);
  if (isSorted(book.bids, descending) && isSorted(book.asks, ascending)) return book;
  return { ...book, bids: [...book.bids].sort(descending), asks: [...book.asks].sort(ascending) };
}

/** Each level's `total`: the cumulative volume from the best level through it (exact). */
function withTotals(levels: readonly Level[]): Level[] {
  let total = '0';
  return levels.map((level) => {
    total = addDecimals(total, level.volume);
    return { ...level, total };
  });
}

/**
 * Levels (best first) merged into price buckets of `step`: bids round down,
 * asks round up, volumes summed, all exact. Sorted levels give sorted buckets,
 * so equal buckets are neighbours.
 */
function grouped(levels: readonly Level[], step: string, direction: 'down' | 'up'): Level[] {
  const out: Level[] = [];
  for (const level of levels) {
    const price = roundToStep(level.price, step, direction);
    const last = out[out.length - 1];
    if (last !== undefined && last.price === price) out[out.length - 1] = { ...last, volume: addDecimals(last.volume, level.volume) };
    else out.push({ price, volume: level.volume, total: level.volume });
  }
  return out;
}

/** A subscriber's view of a book: grouped into buckets of `group`, then the best `depth` levels, with totals. */
function bookView(book: Book, depth: number | undefined, group: string | undefined): Book {
  if (group === undefined) {
    if (depth === undefined || (book.bids.length <= depth && book.asks.length <= depth)) return book;
    return { ...book, bids: book.bids.slice(0, depth), asks: book.asks.slice(0, depth) };
  }
  const side = (levels: readonly Level[], direction: 'down' | 'up') => withTotals(grouped(levels, group, direction).slice(0, depth));
  return { ...book, bids: side(book.bids, 'down'), asks: side(book.asks, 'up') };
}

export function orderBookChannel(c: Common & { readonly symbol: ArgSpec<string, true> }) {
  return defineChannel({
    ...c,
    dt: [c.dt],
    dataType: 'orderBook',
    access: 'public',
    batchable: true,
    delivery: 'state',
    staleAfterMs: STREAMING_STALE_AFTER_MS,
    throttle: 'latest',
    twin: 'state',
    viewArgs: ['depth', 'group'],
    item: OrderBookShape,
    args: { symbol: c.symbol, depth: arg.depth(), group: arg.group(), throttleMs: arg.throttleMs() },
    topic: ({ symbol }) => ({ key: symbol, payload: { symbol } }),
    keyOf: bySymbol,
    // Totals once per event on the whole book: a prefix (depth) keeps them right.
    toEvents: (books) =>
      books.map((book) => {
        const sorted = sortedBook(book);
        return { ...sorted, bids: withTotals(sorted.bids), asks: withTotals(sorted.asks) };
      }),
    filter: (book, { depth, group }) => bookView(book, depth, group),
  });
}

type Trade = RecordOf<typeof TradeShape>;

/** A content id has five `|`-separated parts (trade.ts); one completed with its occurrence has six. */
const COMPLETED_ID_PARTS = 6;

/**
 * Completes each trade's content id with its occurrence in the frame, so
 * identical trades of one frame stay distinct. A trade that already carries
 * its occurrence (the cluster's engine stores trades as the hub made them)
 * keeps its id.
 */
function withOccurrence(trades: readonly Trade[]): Trade[] {
  const counts = new Map<string, number>();
  return trades.map((t) => {
    if (t.id.split('|').length === COMPLETED_ID_PARTS) return t;
    const n = counts.get(t.id) ?? 0;
    counts.set(t.id, n + 1);
    return { ...t, id: `${t.id}|${n}` };
  });
}

export function tradesChannel(c: Common & { readonly symbol: ArgSpec<string, true> }) {
  return defineChannel<
    typeof TradeShape,
    {
      symbol: ArgSpec<string, true>;
      side: ReturnType<typeof arg.tradeSide>;
      throttleMs: ReturnType<typeof arg.throttleMs>;
      after: ReturnType<typeof arg.after>;
    },
    Trade[]
  >({
    ...c,
    dt: [c.dt],
    dataType: 'lastTrade',
    access: 'public',
    batchable: true,
    delivery: 'event',
    throttle: 'concat',
    twin: 'recentTrades',
    item: TradeShape,
    output: { shape: TradeOutputShape, list: true },
    args: { symbol: c.symbol, side: arg.tradeSide(), throttleMs: arg.throttleMs(), after: arg.after() },
    topic: ({ symbol }) => ({ key: symbol, payload: { symbol } }),
    keyOf: bySymbol,
    toEvents: (trades) => (trades.length === 0 ? [] : [withOccurrence(trades)]),
    dedupeReplays: true,
    resumable: true,
    filter: (trades, { side }) => {
      if (side === undefined) return trades;
      const kept = trades.filter((t) => t.side === side);
      return kept.length === 0 ? null : kept;
    },
  });
}

/** A private channel that carries every item of the account, filtered per subscriber by symbol. */
function accountEvents<S extends typeof FillSignalShape | typeof OrderShape | typeof PositionShape, A extends ArgsSpec>(
  c: Common & {
    readonly dataType: string;
    readonly item: S;
    readonly throttle?: ThrottlePolicy;
    readonly twin?: TwinKind;
    readonly extraArgs: A;
  },
) {
  const { extraArgs, ...rest } = c;
  return defineChannel({
    ...rest,
    dt: [c.dt],
    access: 'private',
    delivery: 'event',
    args: { symbol: arg.symbolFilter(c.market, 'Only items of this symbol; every symbol when omitted.'), ...extraArgs },
    topic: () => ({ key: '', payload: undefined }),
    keyOf: () => '',
    filter: (item, { symbol }) => (symbol === undefined || item.symbol === symbol ? item : null),
  });
}

export const fillsChannel = (c: Common) => accountEvents({ ...c, dataType: 'fillSignal', item: FillSignalShape, extraArgs: {} });
export const ordersChannel = (c: Common) => accountEvents({ ...c, dataType: 'order', item: OrderShape, extraArgs: {} });
export const positionsChannel = (c: Common) =>
  accountEvents({
    ...c,
    dataType: 'position',
    item: PositionShape,
    throttle: 'latestBySymbol',
    twin: 'latestBySymbol',
    extraArgs: { throttleMs: arg.throttleMs() },
  });
