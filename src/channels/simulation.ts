/**
 * What a channel asks of the simulated exchange, and how it says so. The
 * simulator (src/simulator/) implements `SimulatedMarket` and
 * `SimulatedAccount`; each channel file declares a `SimulationHook`: which
 * subscribe payloads it accepts (the topics a request expands to), the
 * normalised payload of a topic, and the frames a topic carries each tick.
 * channels/ cannot import the simulator, so the contract lives here and the
 * simulator loops over the registry instead of keeping its own channel list.
 */
import type { MarketName } from '../coincall/protocol.ts';
import type { KlinePeriod } from './enums.ts';
import type { RecordOf } from './fields.ts';
import type { AccountBalanceShape } from './shapes/account-balance.ts';
import type { FillSignalShape } from './shapes/fill-signal.ts';
import type { IndexPriceShape } from './shapes/index-price.ts';
import type { KlineShape } from './shapes/kline.ts';
import type { OptionPricingShape } from './shapes/option-pricing.ts';
import type { OptionTickerShape } from './shapes/option-ticker.ts';
import type { OrderBookShape, PriceLevelShape } from './shapes/order-book.ts';
import type { OrderShape } from './shapes/order.ts';
import type { PositionShape } from './shapes/position.ts';
import type { TradeShape } from './shapes/trade.ts';

/** A subscribe payload as the simulator receives it (already checked to be an object, or absent). */
export type SimPayload = Readonly<Record<string, unknown>> | undefined;
export type KlinePeriodName = keyof typeof KlinePeriod.values;

/** A record as the wire carries it: without the gateway's computed cache identity (`id`). */
type Wire<R> = Omit<R, 'id'>;
export type IndexRecord = Wire<RecordOf<typeof IndexPriceShape>>;
export type KlineRecord = Wire<RecordOf<typeof KlineShape>>;
export type PricingRecord = Wire<RecordOf<typeof OptionPricingShape>>;
/** A tOption item as sent: the fields derived from the symbol are not on the wire. */
export type TickerRecord = Omit<RecordOf<typeof OptionTickerShape>, 'id' | 'underlying' | 'expiry' | 'strike' | 'type'>;
/** A level as sent: its cumulative `total` is the gateway's. */
export type LevelRecord = Omit<RecordOf<typeof PriceLevelShape>, 'total'>;
export type BookRecord = Omit<RecordOf<typeof OrderBookShape>, 'id' | 'bids' | 'asks'> & { bids: LevelRecord[]; asks: LevelRecord[] };
export type TradeRecord = Omit<RecordOf<typeof TradeShape>, 'id'>;
/** The balance without its time: the frame's `ts` carries it. */
export type BalanceRecord = Omit<RecordOf<typeof AccountBalanceShape>, 'id' | 'timestamp'>;
export type OrderRecord = Wire<RecordOf<typeof OrderShape>>;
export type FillRecord = RecordOf<typeof FillSignalShape>;
export type PositionRecord = Wire<RecordOf<typeof PositionShape>>;

/** The simulated market: public records of the current tick, undefined for an unknown symbol. */
export interface SimulatedMarket {
  indexRecord(symbol: string, market: MarketName): IndexRecord | undefined;
  klineRecord(symbol: string, period: KlinePeriodName): KlineRecord | undefined;
  pricingRecord(symbol: string): PricingRecord | undefined;
  chainRecords(underlying: string, expiry: number): TickerRecord[];
  bookRecord(symbol: string): BookRecord | undefined;
  /** This tick's trades of a symbol, newest first. */
  tradesOf(symbol: string): readonly TradeRecord[];
  /** The latest trades of a symbol across ticks, newest first: the first frame of a new subscription, as the exchange sends. */
  recentTradesOf(symbol: string): readonly TradeRecord[];
}

/** One simulated account: its state on demand. */
export interface SimulatedAccount {
  balanceRecord(): BalanceRecord;
  positionRecords(market: MarketName, now: number, underlyings?: readonly string[]): PositionRecord[];
  /** Makes sure the account has a working order on `symbol` (so a fills subscription has something to show). */
  ensureOrder(symbol: string, now: number): void;
}

/** An account's private events of this tick on one market. */
export interface SimulatedEvents {
  readonly orders: readonly OrderRecord[];
  readonly fills: readonly FillRecord[];
}

/** What a topic's frames are built from: one connection's view of the current tick. */
export interface SimulationContext {
  /** The connection's market. */
  readonly market: MarketName;
  readonly now: number;
  /** True for the first frames of a new subscription (event channels send none, but trades: a batch of recent ones). */
  readonly initial: boolean;
  /** Whether positions and balances are due this tick. */
  readonly accountPushDue: boolean;
  readonly exchange: SimulatedMarket;
  /** The connection's account (private channels). */
  readonly account: SimulatedAccount | undefined;
  /** The connection's account's events of this tick on its market. */
  readonly events: SimulatedEvents | undefined;
}

/** What a request check may ask the simulator. */
export interface RequestContext {
  readonly now: number;
  isLiveOption(symbol: string): boolean;
  isUnderlying(symbol: string): boolean;
  /** Whether options of this underlying expire at `expiry` (ms) on the simulated exchange. */
  isListedExpiry(underlying: string, expiry: number): boolean;
}

/** One frame's data: an object `d` or an array `d`, and the frame's `ts` when it carries one. */
export interface SimFrame {
  readonly d: Readonly<Record<string, unknown>> | ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly ts?: number | undefined;
}

/**
 * A channel's simulator hook. `P` is the channel's topic parameters. Methods
 * (not function properties) keep `P` bivariant, so every channel's hook fits
 * the registry's `SimulationHook<object>`.
 */
export interface SimulationHook<P extends object> {
  /** The symbol the payload must carry (checked, and split when a batch, before `params`); none: no symbol. */
  readonly symbol?: 'option' | 'underlying';
  /** Whether `symbol` may be a list (one topic per symbol). */
  readonly batch?: boolean;
  /** A topic's parameters from one (symbol of a) request, or the reason the request fails. */
  params(symbol: string, payload: SimPayload, ctx: RequestContext): P | string;
  /** The topic's normalised payload: its identity, as `activeSubscriptions()` reports it. */
  payloadOf(params: P): SimPayload;
  /** The option whose trades this topic watches (the simulator trades only watched options). */
  watches?(params: P): string | undefined;
  /** Runs when a connection subscribes to the topic. */
  subscribed?(params: P, account: SimulatedAccount | undefined, now: number): void;
  /** The topic's frames this tick (cached per topic and tick by the simulator), or its first frames. */
  frames(params: P, ctx: SimulationContext): readonly SimFrame[];
}

/** Types a hook's parameters from its `params` (an identity: declare a hook with it). */
export function simulated<P extends object>(hook: SimulationHook<P>): SimulationHook<P> {
  return hook;
}

export const NO_FRAMES: readonly SimFrame[] = [];

/** One frame with an object `d`, none without a record. */
export function one(record: Readonly<Record<string, unknown>> | undefined, ts?: number): readonly SimFrame[] {
  return record === undefined ? NO_FRAMES : [{ d: record, ts }];
}

/** One frame with an array `d`, none without records. */
export function list(records: ReadonlyArray<Readonly<Record<string, unknown>>>, ts?: number): readonly SimFrame[] {
  return records.length === 0 ? NO_FRAMES : [{ d: records, ts }];
}

/** One frame per record, each with an object `d`. */
export function each(records: ReadonlyArray<Readonly<Record<string, unknown>>>, ts?: number): readonly SimFrame[] {
  return records.length === 0 ? NO_FRAMES : records.map((d) => ({ d, ts }));
}
