/**
 * Subscription arguments: their GraphQL types, descriptions and validation.
 * Validation runs before anything goes upstream; a bad value throws a
 * `BAD_USER_INPUT` error whose message says what is wrong and what is expected.
 */
import { isUnderlyingSymbol, parseOptionSymbol } from '../coincall/symbols.ts';
import type { MarketName } from '../coincall/protocol.ts';
import { badInput } from '../lib/errors.ts';
import { KlinePeriod, OptionType, TradeSide } from './enums.ts';

/** The deepest order book the exchange sends (per side). */
export const MAX_BOOK_DEPTH = 100;
/** The most underlyings one position filter may list. */
export const MAX_UNDERLYINGS = 20;

export type ArgType = 'String' | 'Int' | 'Float' | 'DateTime' | 'KlinePeriod' | 'TradeSide' | 'OptionType' | '[String!]';

export interface ArgContext {
  /** The root field, for messages. */
  readonly field: string;
  /** The argument, for messages. */
  readonly arg: string;
  /** Current time in ms (expiry checks). */
  readonly now: number;
}

export interface ArgSpec<T = unknown, R extends boolean = boolean> {
  readonly type: ArgType;
  readonly required: R;
  readonly description: string;
  /** Validates a present value (already coerced by GraphQL) into its internal form. */
  parse(raw: unknown, ctx: ArgContext): T;
}

export type ArgsSpec = Readonly<Record<string, ArgSpec>>;
export type ArgValues<A extends ArgsSpec> = {
  -readonly [K in keyof A]: A[K] extends ArgSpec<infer T, infer R> ? (R extends true ? T : T | undefined) : never;
};

/** Validates raw argument values against a spec; absent optional values become `undefined`. */
export function parseArgs<A extends ArgsSpec>(spec: A, raw: Readonly<Record<string, unknown>>, field: string, now: number): ArgValues<A> {
  const out: Record<string, unknown> = {};
  for (const [arg, argSpec] of Object.entries(spec)) {
    const value = raw[arg];
    if (value === undefined || value === null) {
      if (argSpec.required) throw badInput(`${field}: argument "${arg}" is required.`);
      out[arg] = undefined;
    } else out[arg] = argSpec.parse(value, { field, arg, now });
  }
  return out as ArgValues<A>;
}

function text(raw: unknown, ctx: ArgContext): string {
  if (typeof raw !== 'string') throw badInput(`${ctx.field}: "${ctx.arg}" must be a string.`);
  return raw.trim();
}

function checkOption(symbol: string, ctx: ArgContext): string {
  const parsed = parseOptionSymbol(symbol);
  if (parsed === undefined) {
    const hint = isUnderlyingSymbol(symbol) ? ` "${symbol}" is an underlying/futures symbol, not an option.` : '';
    throw badInput(
      `${ctx.field}: "${ctx.arg}" must be an option symbol such as BTCUSD-27MAY23-24000-P (UNDERLYING-DMMMYY-STRIKE-C|P).${hint}`,
    );
  }
  if (parsed.expiry <= ctx.now)
    throw badInput(`${ctx.field}: option ${symbol} expired at ${new Date(parsed.expiry).toISOString()}; choose a live expiry.`);
  return symbol;
}

function checkUnderlying(symbol: string, ctx: ArgContext, what: string): string {
  if (isUnderlyingSymbol(symbol)) return symbol;
  const hint = parseOptionSymbol(symbol) !== undefined ? ` "${symbol}" is an option symbol.` : '';
  throw badInput(`${ctx.field}: "${ctx.arg}" must be ${what} such as BTCUSD (upper case, ending in USD).${hint}`);
}

function required<T>(type: ArgType, description: string, parse: (raw: unknown, ctx: ArgContext) => T): ArgSpec<T, true> {
  return { type, required: true, description, parse };
}
function optional<T>(type: ArgType, description: string, parse: (raw: unknown, ctx: ArgContext) => T): ArgSpec<T, false> {
  return { type, required: false, description, parse };
}

function enumName<V extends string>(values: Readonly<Record<V, unknown>>, raw: unknown, ctx: ArgContext): V {
  if (typeof raw === 'string' && Object.hasOwn(values, raw)) return raw as V;
  throw badInput(`${ctx.field}: "${ctx.arg}" must be one of ${Object.keys(values).join(', ')}.`);
}

export const arg = {
  optionSymbol: (description: string) => required('String', description, (raw, ctx) => checkOption(text(raw, ctx), ctx)),
  futuresSymbol: (description: string) =>
    required('String', description, (raw, ctx) => checkUnderlying(text(raw, ctx), ctx, 'a futures symbol')),
  underlying: (description: string) =>
    required('String', description, (raw, ctx) => checkUnderlying(text(raw, ctx), ctx, 'an underlying')),
  /** An optional symbol filter on a private channel of `market`. */
  symbolFilter: (market: MarketName, description: string) =>
    optional('String', description, (raw, ctx) =>
      market === 'options' ? checkOption(text(raw, ctx), { ...ctx, now: Number.NEGATIVE_INFINITY }) : checkUnderlying(text(raw, ctx), ctx, 'a futures symbol'),
    ),
  period: () =>
    required('KlinePeriod', 'Candle granularity.', (raw, ctx) => KlinePeriod.values[enumName(KlinePeriod.values, raw, ctx)].code as string),
  depth: () =>
    optional('Int', `Keep only the best N levels on each side (1 to ${MAX_BOOK_DEPTH}); all levels when omitted.`, (raw, ctx) => {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_BOOK_DEPTH)
        throw badInput(`${ctx.field}: "depth" must be an integer from 1 to ${MAX_BOOK_DEPTH}, got ${String(raw)}.`);
      return raw;
    }),
  tradeSide: () =>
    optional('TradeSide', "Only trades whose taker side is this one; every trade when omitted.", (raw, ctx) =>
      enumName(TradeSide.values, raw, ctx),
    ),
  optionType: () =>
    optional('OptionType', 'Only calls or only puts; both when omitted.', (raw, ctx) => enumName(OptionType.values, raw, ctx)),
  strike: (description: string) =>
    optional('Float', description, (raw, ctx) => {
      if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0)
        throw badInput(`${ctx.field}: "${ctx.arg}" must be a non-negative number.`);
      return raw;
    }),
  expiry: () =>
    required('DateTime', 'Expiry of the chain: 08:00 UTC of the expiry day, e.g. `2023-05-27T08:00:00.000Z`.', (raw, ctx) => {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw badInput(`${ctx.field}: "expiry" must be a DateTime.`);
      const at = new Date(raw);
      if (at.getUTCHours() !== 8 || at.getUTCMinutes() !== 0 || at.getUTCSeconds() !== 0 || at.getUTCMilliseconds() !== 0)
        throw badInput(`${ctx.field}: options expire at 08:00 UTC; "expiry" ${at.toISOString()} is not an expiry time.`);
      if (raw <= ctx.now) throw badInput(`${ctx.field}: "expiry" ${at.toISOString()} is in the past.`);
      return raw;
    }),
  underlyings: () =>
    optional('[String!]', `Only positions on these underlyings, e.g. ["BTCUSD", "ETHUSD"] (at most ${MAX_UNDERLYINGS}); all when omitted.`, (raw, ctx) => {
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_UNDERLYINGS)
        throw badInput(`${ctx.field}: "underlyings" must list 1 to ${MAX_UNDERLYINGS} underlyings.`);
      return raw.map((item) => checkUnderlying(text(item, ctx), ctx, 'a list of underlyings'));
    }),
};
