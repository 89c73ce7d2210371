/**
 * Enumerations: GraphQL enum values with descriptions and their wire codes.
 * One table per enum drives decoding, the GraphQL enum type and the simulator.
 */

export interface EnumValueSpec {
  /** The upstream code (a number or a string such as `h1`). */
  readonly code: number | string;
  readonly description: string;
}

export interface EnumDef<V extends string = string> {
  readonly name: string;
  readonly description: string;
  readonly values: { readonly [K in V]: EnumValueSpec };
  /** The value an unknown code decodes to; without one, an unknown code decodes to null. */
  readonly fallback: V | undefined;
  /** Wire code, as text in lower case -> value (numbers and numeric strings alike, `H1` as `h1`). */
  readonly byCode: ReadonlyMap<string, V>;
}

/** The lookup key of a wire code: its text, trimmed, in lower case (the exchange's codes differ by case only in spelling). */
const codeKey = (code: number | string): string => String(code).trim().toLowerCase();

export function defineEnum<const V extends string>(
  name: string,
  description: string,
  values: { readonly [K in V]: EnumValueSpec },
  fallback?: NoInfer<V>,
): EnumDef<V> {
  const byCode = new Map<string, V>();
  for (const value of Object.keys(values) as V[]) byCode.set(codeKey(values[value].code), value);
  return { name, description, values, fallback, byCode };
}

/**
 * Decodes a wire code, ignoring case and surrounding blanks (`"H1"` is `h1`);
 * `null` when absent or unknown without fallback, `undefined` when not a code at all.
 */
export function decodeEnum<V extends string>(def: EnumDef<V>, raw: unknown): V | null | undefined {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'number' && typeof raw !== 'string') return undefined;
  return def.byCode.get(codeKey(raw)) ?? def.fallback ?? null;
}

const UNKNOWN = {
  code: 'unknown',
  description: 'A code this gateway does not know yet (the raw code is not lost: the exchange added a value).',
};

export const Market = defineEnum('Market', 'A Coincall market, each served by its own WebSocket endpoint.', {
  OPTIONS: { code: 'options', description: 'Options market (`/options` endpoint).' },
  FUTURES: { code: 'futures', description: 'Perpetual futures market (`/futures` endpoint).' },
});

export const KlinePeriod = defineEnum('KlinePeriod', 'Candle granularity.', {
  M1: { code: 'm1', description: 'One minute.' },
  M5: { code: 'm5', description: 'Five minutes.' },
  M15: { code: 'm15', description: 'Fifteen minutes.' },
  M30: { code: 'm30', description: 'Thirty minutes.' },
  H1: { code: 'h1', description: 'One hour.' },
  H4: { code: 'h4', description: 'Four hours.' },
  D1: { code: 'd1', description: 'One day.' },
  W1: { code: 'w1', description: 'One week.' },
  MN1: { code: 'mn1', description: 'One month.' },
  QUARTER: { code: 'quarter', description: 'One quarter.' },
});

export const TradeSide = defineEnum('TradeSide', "The taker's side of a trade.", {
  BUY: { code: 1, description: 'The taker bought (lifted an ask).' },
  SELL: { code: 2, description: 'The taker sold (hit a bid).' },
});

export const OptionType = defineEnum('OptionType', 'Call or put.', {
  CALL: { code: 'C', description: 'A call option.' },
  PUT: { code: 'P', description: 'A put option.' },
});

export const PositionSide = defineEnum('PositionSide', 'Direction of a position.', {
  LONG: { code: 1, description: 'Long.' },
  SHORT: { code: 2, description: 'Short.' },
});

export const OrderSide = defineEnum(
  'OrderSide',
  'Side of an order.',
  {
    BUY: { code: 1, description: 'Buy.' },
    SELL: { code: 2, description: 'Sell.' },
    UNKNOWN,
  },
  'UNKNOWN',
);

export const OrderType = defineEnum(
  'OrderType',
  'Type of an order.',
  {
    LIMIT: { code: 1, description: 'Limit order.' },
    MARKET: { code: 2, description: 'Market order.' },
    POST_ONLY: { code: 3, description: 'Post-only limit order.' },
    STOP_LIMIT: { code: 4, description: 'Stop-limit order.' },
    STOP_MARKET: { code: 5, description: 'Stop-market order.' },
    BLOCK_TRADE: { code: 14, description: 'Block trade.' },
    UNKNOWN,
  },
  'UNKNOWN',
);

export const TimeInForce = defineEnum(
  'TimeInForce',
  'How long an order stays working.',
  {
    GTC: { code: 0, description: 'Good till cancelled.' },
    GTC_POST_ONLY: { code: 1, description: 'Good till cancelled, post-only.' },
    IOC: { code: 2, description: 'Immediate or cancel.' },
    FOK: { code: 3, description: 'Fill or kill.' },
    UNKNOWN,
  },
  'UNKNOWN',
);

export const OrderState = defineEnum(
  'OrderState',
  'Lifecycle state of an order.',
  {
    ILLEGAL: { code: -10, description: 'Illegal order.' },
    WAITING_EFFECT: { code: -2, description: 'Waiting to take effect (futures).' },
    PRE: { code: -1, description: 'Accepted, not yet on the book.' },
    NEW: { code: 0, description: 'Working on the book.' },
    FILLED: { code: 1, description: 'Completely filled.' },
    PARTIALLY_FILLED: { code: 2, description: 'Partially filled, still working.' },
    CANCELED: { code: 3, description: 'Cancelled.' },
    PRE_CANCEL: { code: 4, description: 'Cancel requested.' },
    CANCELING: { code: 5, description: 'Being cancelled.' },
    INVALID: { code: 6, description: 'Invalid.' },
    CANCEL_BY_EXERCISE: { code: 10, description: 'Cancelled by exercise (options).' },
    UNKNOWN,
  },
  'UNKNOWN',
);

export const ENUMS = [Market, KlinePeriod, TradeSide, OptionType, PositionSide, OrderSide, OrderType, TimeInForce, OrderState] as const;
