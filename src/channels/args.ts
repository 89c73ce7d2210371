/**
 * Subscription arguments: their kinds, descriptions and validation.
 * An argument's kind says what GraphQL input type serves it (graphql/ maps
 * kinds once, generically); an enum argument carries its enum table, as enum
 * fields do. Validation runs before anything goes upstream; a bad value throws
 * a `BAD_USER_INPUT` error whose message says what is wrong and what is expected.
 * A well-formed symbol, underlying or expiry is then checked against the
 * instrument list (`ctx.listing`, when there is one): an unlisted one is
 * refused the same way, naming close listed alternatives.
 */
import { isUnderlyingSymbol, normalizeOptionSymbol, parseOptionSymbol } from '../coincall/symbols.ts';
import type { MarketName } from '../coincall/protocol.ts';
import { isPositiveDecimal, PLAIN_DECIMAL } from '../lib/decimal.ts';
import { badInput } from '../lib/errors.ts';
import { KlinePeriod, OptionType, TradeSide, type EnumDef } from './enums.ts';
import type { Listing, ListingCheck } from './listing.ts';

/** The deepest order book the exchange sends (per side). */
export const MAX_BOOK_DEPTH = 100;
/** The most recent trades a trades query may ask for (and so what a trades topic remembers). */
export const MAX_RECENT_TRADES = 100;
/** Recent trades a trades query answers when it names no `limit`. */
export const DEFAULT_RECENT_TRADES = 50;
/** The most underlyings one position filter may list. */
export const MAX_UNDERLYINGS = 20;
/** Longer `after` text is not a cursor (the hub's codec checks the rest). */
export const MAX_CURSOR_TEXT = 512;
/** The shortest `throttleMs` window (0 or null: every update). */
export const MIN_THROTTLE_MS = 50;
/** The longest `throttleMs` window. */
export const MAX_THROTTLE_MS = 60_000;

/** Argument kinds that need nothing besides the kind: `dateTime` is epoch ms, `decimal` an exact decimal string, `stringList` a list of non-null strings. */
export type PlainArgKind = 'string' | 'int' | 'float' | 'decimal' | 'dateTime' | 'stringList';
export type ArgKind = PlainArgKind | 'enum';

export interface ArgContext {
  /** The root field, for messages. */
  readonly field: string;
  /** The argument, for messages. */
  readonly arg: string;
  /** Current time in ms (expiry checks). */
  readonly now: number;
  /** The instrument list, when the gateway has one; format checks alone otherwise. */
  readonly listing?: Listing | undefined;
}

interface ArgBase<T, R extends boolean> {
  readonly required: R;
  readonly description: string;
  /** Validates a present value (already coerced by GraphQL) into its internal form. */
  parse(raw: unknown, ctx: ArgContext): T;
}
export interface PlainArgSpec<T = unknown, R extends boolean = boolean> extends ArgBase<T, R> {
  readonly kind: PlainArgKind;
}
/** An argument whose GraphQL type is the enum of `enumDef` (its values by name). */
export interface EnumArgSpec<T = unknown, R extends boolean = boolean> extends ArgBase<T, R> {
  readonly kind: 'enum';
  readonly enumDef: EnumDef;
}
export type ArgSpec<T = unknown, R extends boolean = boolean> = PlainArgSpec<T, R> | EnumArgSpec<T, R>;

export type ArgsSpec = Readonly<Record<string, ArgSpec>>;
export type ArgValues<A extends ArgsSpec> = {
  -readonly [K in keyof A]: A[K] extends ArgSpec<infer T, infer R> ? (R extends true ? T : T | undefined) : never;
};

/** Validates raw argument values against a spec; absent optional values become `undefined`. */
export function parseArgs<A extends ArgsSpec>(
  spec: A,
  raw: Readonly<Record<string, unknown>>,
  field: string,
  now: number,
  listing?: Listing,
): ArgValues<A> {
  const out: Record<string, unknown> = {};
  for (const [arg, argSpec] of Object.entries(spec)) {
    const value = raw[arg];
    if (value === undefined || value === null) {
      if (argSpec.required) throw badInput(`${field}: argument "${arg}" is required.`);
      out[arg] = undefined;
    } else out[arg] = argSpec.parse(value, { field, arg, now, listing });
  }
  return out as ArgValues<A>;
}

function text(raw: unknown, ctx: ArgContext): string {
  if (typeof raw !== 'string') throw badInput(`${ctx.field}: "${ctx.arg}" must be a string.`);
  return raw.trim();
}

/** Throws `BAD_USER_INPUT` with the listing's message when it refuses. */
export function requireListed(check: ListingCheck | undefined, field: string): void {
  if (check !== undefined && !check.ok) throw badInput(`${field}: ${check.message}`);
}

/** An option symbol, checked; a zero-padded day (`07DEC26`) is accepted and written as the exchange writes it (`7DEC26`). */
function checkOption(written: string, ctx: ArgContext): string {
  const symbol = normalizeOptionSymbol(written);
  const parsed = parseOptionSymbol(symbol);
  if (parsed === undefined) {
    const hint = isUnderlyingSymbol(symbol) ? ` "${symbol}" is an underlying/futures symbol, not an option.` : '';
    throw badInput(
      `${ctx.field}: "${ctx.arg}" must be an option symbol such as BTCUSD-27MAY23-24000-P (UNDERLYING-DMMMYY-STRIKE-C|P).${hint}`,
    );
  }
  if (parsed.expiry <= ctx.now)
    throw badInput(`${ctx.field}: option ${symbol} expired at ${new Date(parsed.expiry).toISOString()}; choose a live expiry.`);
  requireListed(ctx.listing?.checkOption(symbol), ctx.field);
  return symbol;
}

/** A well-formed symbol the listing knows as a perpetual (`futures`) or an option underlying. */
function checkListedUnderlying(symbol: string, ctx: ArgContext, what: string, kind: 'futures' | 'option'): string {
  const listed = kind === 'futures' ? ctx.listing?.checkFuturesSymbol(symbol) : ctx.listing?.checkUnderlying(symbol);
  // A typo that also breaks the format (`BTCUSDD`) still gets the listing's "did you mean".
  if (!isUnderlyingSymbol(symbol) && listed !== undefined && !listed.ok)
    throw badInput(`${ctx.field}: ${listed.message} ("${ctx.arg}" must be ${what} such as BTCUSD: upper case, ending in USD.)`);
  checkUnderlying(symbol, ctx, what);
  requireListed(listed, ctx.field);
  return symbol;
}

function checkUnderlying(symbol: string, ctx: ArgContext, what: string): string {
  if (isUnderlyingSymbol(symbol)) return symbol;
  const hint = parseOptionSymbol(symbol) !== undefined ? ` "${symbol}" is an option symbol.` : '';
  throw badInput(`${ctx.field}: "${ctx.arg}" must be ${what} such as BTCUSD (upper case, ending in USD).${hint}`);
}

type Parse<T> = (raw: unknown, ctx: ArgContext) => T;

function required<T>(kind: PlainArgKind, description: string, parse: Parse<T>): PlainArgSpec<T, true> {
  return { kind, required: true, description, parse };
}
function optional<T>(kind: PlainArgKind, description: string, parse: Parse<T>): PlainArgSpec<T, false> {
  return { kind, required: false, description, parse };
}
/** An enum argument (taken by value name) of `enumDef`, parsed into `T`. */
function enumArg<V extends string, T, R extends boolean>(
  enumDef: EnumDef<V>,
  required: R,
  description: string,
  parse: (value: V) => T,
): EnumArgSpec<T, R> {
  return { kind: 'enum', enumDef, required, description, parse: (raw, ctx) => parse(enumName(enumDef.values, raw, ctx)) };
}

function enumName<V extends string>(values: Readonly<Record<V, unknown>>, raw: unknown, ctx: ArgContext): V {
  if (typeof raw === 'string' && Object.hasOwn(values, raw)) return raw as V;
  throw badInput(`${ctx.field}: "${ctx.arg}" must be one of ${Object.keys(values).join(', ')}.`);
}
const itself = <V>(value: V): V => value;

/** A subscription's throttle window from its parsed arguments; undefined: every update. */
export function throttleMsOf(args: unknown): number | undefined {
  if (typeof args !== 'object' || args === null || !('throttleMs' in args)) return undefined;
  const ms = args.throttleMs;
  return typeof ms === 'number' && ms > 0 ? ms : undefined;
}

export const arg = {
  optionSymbol: (description: string) => required('string', description, (raw, ctx) => checkOption(text(raw, ctx), ctx)),
  futuresSymbol: (description: string) =>
    required('string', description, (raw, ctx) => checkListedUnderlying(text(raw, ctx), ctx, 'a futures symbol', 'futures')),
  underlying: (description: string) =>
    required('string', description, (raw, ctx) => checkListedUnderlying(text(raw, ctx), ctx, 'an underlying', 'option')),
  /** An optional symbol filter on a private channel of `market` (an option filter may name an expired or delisted option: its orders stay). */
  symbolFilter: (market: MarketName, description: string) =>
    optional('string', description, (raw, ctx) =>
      market === 'options'
        ? checkOption(text(raw, ctx), { ...ctx, now: Number.NEGATIVE_INFINITY, listing: undefined })
        : checkListedUnderlying(text(raw, ctx), ctx, 'a futures symbol', 'futures'),
    ),
  period: () => enumArg(KlinePeriod, true, 'Candle granularity.', (period) => KlinePeriod.values[period].code as string),
  depth: () =>
    optional('int', `Keep only the best N levels on each side (1 to ${MAX_BOOK_DEPTH}); all levels when omitted.`, (raw, ctx) => {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_BOOK_DEPTH)
        throw badInput(`${ctx.field}: "depth" must be an integer from 1 to ${MAX_BOOK_DEPTH}, got ${String(raw)}.`);
      return raw;
    }),
  group: () =>
    optional(
      'decimal',
      'Aggregate levels into price buckets of this size, e.g. `"10"` (bids round down, asks round up, volumes summed); `depth` applies after grouping. Every level as sent when omitted.',
      (raw, ctx) => {
        if (typeof raw !== 'string' || !PLAIN_DECIMAL.test(raw) || !isPositiveDecimal(raw))
          throw badInput(`${ctx.field}: "group" must be a positive decimal such as "0.5" or "10", got ${JSON.stringify(raw)}.`);
        return raw;
      },
    ),
  tradeSide: () => enumArg(TradeSide, false, 'Only trades whose taker side is this one; every trade when omitted.', itself),
  optionType: () => enumArg(OptionType, false, 'Only calls or only puts; both when omitted.', itself),
  strike: (description: string) =>
    optional('float', description, (raw, ctx) => {
      if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0)
        throw badInput(`${ctx.field}: "${ctx.arg}" must be a non-negative number.`);
      return raw;
    }),
  expiry: () =>
    required('dateTime', 'Expiry of the chain: 08:00 UTC of the expiry day, e.g. `2023-05-27T08:00:00.000Z`.', (raw, ctx) => {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw badInput(`${ctx.field}: "expiry" must be a DateTime.`);
      const at = new Date(raw);
      if (at.getUTCHours() !== 8 || at.getUTCMinutes() !== 0 || at.getUTCSeconds() !== 0 || at.getUTCMilliseconds() !== 0)
        throw badInput(`${ctx.field}: options expire at 08:00 UTC; "expiry" ${at.toISOString()} is not an expiry time.`);
      if (raw <= ctx.now) throw badInput(`${ctx.field}: "expiry" ${at.toISOString()} is in the past.`);
      return raw;
    }),
  throttleMs: () =>
    optional(
      'int',
      `At most one message per this many ms (${MIN_THROTTLE_MS} to ${MAX_THROTTLE_MS}). State: the first value at once, then the latest at the end of a window in which it changed (positions: the latest per symbol). Trades: every trade of a window in one list at its end, newest first. 0 or omitted: every update.`,
      (raw, ctx) => {
        if (raw === 0) return 0;
        if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < MIN_THROTTLE_MS || raw > MAX_THROTTLE_MS)
          throw badInput(
            `${ctx.field}: "throttleMs" must be 0 or an integer from ${MIN_THROTTLE_MS} to ${MAX_THROTTLE_MS}, got ${String(raw)}.`,
          );
        return raw;
      },
    ),
  /** A `Trade.cursor` to continue after; the hub decodes it against the topic before anything is subscribed. */
  after: () =>
    optional(
      'string',
      'A `Trade.cursor` from this topic: start after that trade. A subscription first replays every trade after it that the gateway still retains, oldest first, then goes live with no gap and no repeat; a query answers the trades after it, oldest first, at most `limit`. Past the retained window: `STREAM_INTERRUPTED` with `reason: CURSOR_EXPIRED` first. A malformed cursor or one of another topic: `BAD_USER_INPUT`.',
      (raw, ctx) => {
        if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_CURSOR_TEXT)
          throw badInput(`${ctx.field}: "after" must be a cursor (\`Trade.cursor\`) as the gateway issued it.`);
        return raw;
      },
    ),
  underlyings: () =>
    optional(
      'stringList',
      `Only positions on these underlyings, e.g. ["BTCUSD", "ETHUSD"] (at most ${MAX_UNDERLYINGS}); all when omitted.`,
      (raw, ctx) => {
        if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_UNDERLYINGS)
          throw badInput(`${ctx.field}: "underlyings" must list 1 to ${MAX_UNDERLYINGS} underlyings.`);
        return raw.map((item) => checkListedUnderlying(text(item, ctx), ctx, 'a list of underlyings', 'option'));
      },
    ),
};
