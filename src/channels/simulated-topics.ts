/**
 * Simulator hooks that several channel files share: a topic per symbol
 * (index prices, books, trades, pricing), candles, and an account's orders,
 * fills and positions. A channel file picks one and says what its topic
 * sends; one-off hooks (the chain, the balance) live in their channel file.
 */
import { KlinePeriod } from './enums.ts';
import {
  each,
  list,
  NO_FRAMES,
  one,
  simulated,
  type KlinePeriodName,
  type SimFrame,
  type SimulationContext,
  type SimulationHook,
} from './simulation.ts';

export interface SymbolParams {
  readonly symbol: string;
}

export interface SymbolTopicOptions {
  /** What the payload's `symbol` must name. */
  readonly symbol: 'option' | 'underlying';
  /** Whether `symbol` may list several (one topic each). */
  readonly batch?: boolean;
  /** An option traded only while watched: this topic keeps it trading. */
  readonly watched?: boolean;
}

/** A topic per symbol; `send` builds its frames of the tick. */
export function symbolTopic(
  options: SymbolTopicOptions,
  send: (ctx: SimulationContext, symbol: string) => readonly SimFrame[],
): SimulationHook<SymbolParams> {
  const watched = options.watched === true;
  return simulated<SymbolParams>({
    symbol: options.symbol,
    batch: options.batch === true,
    params: (symbol) => ({ symbol }),
    payloadOf: ({ symbol }) => ({ symbol }),
    watches: ({ symbol }) => (watched ? symbol : undefined),
    frames: ({ symbol }, ctx) => send(ctx, symbol),
  });
}

export interface KlineParams {
  readonly symbol: string;
  readonly period: KlinePeriodName;
}

const PERIODS = Object.keys(KlinePeriod.values) as KlinePeriodName[];
const PERIOD_CODES: readonly string[] = PERIODS.map((p) => String(KlinePeriod.values[p].code));

/** Candles of a symbol at the payload's `period` code: the open candle, every tick. */
export function klineTopic(options: Omit<SymbolTopicOptions, 'batch'>): SimulationHook<KlineParams> {
  const watched = options.watched === true;
  return simulated<KlineParams>({
    symbol: options.symbol,
    params: (symbol, payload) => {
      const code = payload?.['period'];
      const period = typeof code === 'string' ? PERIODS.find((p) => KlinePeriod.values[p].code === code) : undefined;
      return period === undefined ? `period must be one of ${PERIOD_CODES.join(', ')}` : { symbol, period };
    },
    payloadOf: ({ symbol, period }) => ({ symbol, period: KlinePeriod.values[period].code }),
    watches: ({ symbol }) => (watched ? symbol : undefined),
    frames: ({ symbol, period }, ctx) => one(ctx.exchange.klineRecord(symbol, period)),
  });
}

/** No parameters: one topic per account. */
export type NoParams = Readonly<Record<never, never>>;

/** The account's order updates of the connection's market, one frame each, as they happen. */
export function ordersTopic(): SimulationHook<NoParams> {
  return simulated<NoParams>({
    params: () => ({}),
    payloadOf: () => undefined,
    frames: (_params, ctx) => (ctx.initial ? NO_FRAMES : each(ctx.events?.orders ?? [], ctx.now)),
  });
}

export interface FillsParams {
  readonly symbol: string | undefined;
}

/**
 * The account's fill signals, one frame each, as they happen. With
 * `optionFilter`, the payload may name one live option (the account then
 * gets a working order on it); otherwise any payload is ignored.
 */
export function fillsTopic(options: { readonly optionFilter: boolean }): SimulationHook<FillsParams> {
  return simulated<FillsParams>({
    params: (_symbol, payload, request) => {
      const symbol = options.optionFilter ? payload?.['symbol'] : undefined;
      if (symbol === undefined) return { symbol: undefined };
      if (typeof symbol !== 'string' || !request.isLiveOption(symbol)) return `unknown symbol ${String(symbol)}`;
      return { symbol };
    },
    payloadOf: ({ symbol }) => (symbol === undefined ? undefined : { symbol }),
    subscribed: ({ symbol }, account, now) => {
      if (symbol !== undefined) account?.ensureOrder(symbol, now);
    },
    frames: ({ symbol }, ctx) => {
      const fills = (ctx.events?.fills ?? []).filter((f) => symbol === undefined || f.symbol === symbol);
      return ctx.initial ? NO_FRAMES : each(fills, ctx.now);
    },
  });
}

export interface PositionsParams {
  readonly underlyings: readonly string[] | undefined;
}

/**
 * The account's positions of the connection's market, on subscribing and
 * then at the account push period. With `underlyingFilter`, the payload's
 * `symbol` (one underlying or a list) limits them; otherwise it is ignored.
 */
export function positionsTopic(options: { readonly underlyingFilter: boolean }): SimulationHook<PositionsParams> {
  return simulated<PositionsParams>({
    params: (_symbol, payload, request) => {
      const symbols = options.underlyingFilter ? payload?.['symbol'] : undefined;
      if (symbols === undefined) return { underlyings: undefined };
      const listed: unknown[] = Array.isArray(symbols) ? symbols : [symbols];
      const bad = listed.find((s) => typeof s !== 'string' || !request.isUnderlying(s));
      if (bad !== undefined || listed.length === 0) return `unknown underlying ${String(bad)}`;
      return { underlyings: listed.filter((s) => typeof s === 'string') };
    },
    payloadOf: ({ underlyings }) => (underlyings === undefined ? undefined : { symbol: [...underlyings] }),
    frames: ({ underlyings }, ctx) =>
      ctx.initial || ctx.accountPushDue ? list(ctx.account?.positionRecords(ctx.market, ctx.now, underlyings) ?? [], ctx.now) : NO_FRAMES,
  });
}
