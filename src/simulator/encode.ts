/**
 * The simulator's encoder: a record in expanded names -> a wire object, driven
 * by the same shape tables the gateway decodes with, then -> frame text.
 *
 * Two forms, each faithful to its source:
 * - spec: what the spec's example frames show. Each field under its first
 *   key; numbers as JSON numbers except where the examples show strings
 *   (order book `pr`, index `cv`, accountBalance `delta`); accountBalance `u`
 *   a number; fields the examples lack (live additions such as `assets`,
 *   index `oi`/`ts`, ticker `miv`) left out; absent values left out; no
 *   frame-level `ts`. Positions carry only `q ap im mm s si uid upnl`.
 * - live: what the protocol document describes. Each field under its last
 *   key; order book levels and trade sizes as strings (sometimes with a
 *   trailing space), accountBalance `delta` a string and `uid` a number; flags
 *   as 1/0; absent values as explicit `null`; the frame-level `ts` where the
 *   channel has one.
 * Either way, order and position `uid` is a string, and order ids go out as
 * bare JSON numbers, beyond 2^53 too, as the exchange sends them.
 */
import type { Field, Shape } from '../channels/fields.ts';
import { AccountBalanceShape } from '../channels/shapes/account-balance.ts';
import { IndexPriceShape } from '../channels/shapes/index-price.ts';
import { OptionTickerShape } from '../channels/shapes/option-ticker.ts';
import { PriceLevelShape } from '../channels/shapes/order-book.ts';
import { OrderShape } from '../channels/shapes/order.ts';
import { PositionShape } from '../channels/shapes/position.ts';
import { TradeShape } from '../channels/shapes/trade.ts';
import { CODE_DATA } from '../coincall/protocol.ts';

export type WireForm = 'spec' | 'live';

/** Where a form departs, for one shape, from its defaults (numbers as numbers, ids as strings, every field sent). */
interface ShapeRules {
  /** Numeric fields sent as JSON strings. */
  readonly strings: ReadonlySet<string>;
  /** Id fields sent as JSON numbers (bare digits beyond 2^53). */
  readonly numericIds: ReadonlySet<string>;
  /** Fields the form does not carry. */
  readonly omitted: ReadonlySet<string>;
}

interface FormProfile {
  /** Which of a field's keys the form uses. */
  readonly key: 'first' | 'last';
  /** Absent values: left out, or sent as an explicit `null`. */
  readonly absent: 'omit' | 'null';
  /** Booleans as JSON booleans, or as 1/0. */
  readonly booleans: 'json' | 'digit';
  /** Whether strings sometimes carry a trailing space. */
  readonly padStrings: boolean;
  /** Whether frames carry the frame-level `ts`. */
  readonly frameTs: boolean;
  readonly shapes: ReadonlyMap<Shape, ShapeRules>;
}

type FieldName<S extends Shape> = keyof S['fields'] & string;
interface RulesInput<S extends Shape> {
  readonly strings?: ReadonlyArray<FieldName<S>>;
  readonly numericIds?: ReadonlyArray<FieldName<S>>;
  readonly omitted?: ReadonlyArray<FieldName<S>>;
  /** The only fields the form carries (the others are omitted). */
  readonly only?: ReadonlyArray<FieldName<S>>;
}

/** One shape's rules, with field names the compiler checks against the shape's table. */
function rules<S extends Shape>(shape: S, input: RulesInput<S>): [Shape, ShapeRules] {
  const only = input.only === undefined ? undefined : new Set<string>(input.only);
  const omitted = new Set<string>(input.omitted ?? []);
  if (only !== undefined) for (const name of Object.keys(shape.fields)) if (!only.has(name)) omitted.add(name);
  return [shape, { strings: new Set(input.strings ?? []), numericIds: new Set(input.numericIds ?? []), omitted }];
}

const FORMS: Readonly<Record<WireForm, FormProfile>> = {
  spec: {
    key: 'first',
    absent: 'omit',
    booleans: 'json',
    padStrings: false,
    frameTs: false,
    shapes: new Map([
      rules(PriceLevelShape, { strings: ['price'] }),
      rules(IndexPriceShape, { strings: ['changeVolume'], omitted: ['openInterest', 'timestamp'] }),
      rules(AccountBalanceShape, { strings: ['delta'], numericIds: ['userId'], omitted: ['assets'] }),
      rules(OptionTickerShape, { omitted: ['markIv'] }),
      rules(OrderShape, { numericIds: ['orderId'] }),
      rules(PositionShape, {
        only: ['quantity', 'avgPrice', 'initialMargin', 'maintenanceMargin', 'symbol', 'side', 'userId', 'unrealizedPnl'],
      }),
    ]),
  },
  live: {
    key: 'last',
    absent: 'null',
    booleans: 'digit',
    padStrings: true,
    frameTs: true,
    shapes: new Map([
      rules(PriceLevelShape, { strings: ['price', 'volume'] }),
      rules(TradeShape, { strings: ['volume'] }),
      rules(AccountBalanceShape, { strings: ['delta'], numericIds: ['userId'] }),
      rules(OrderShape, { numericIds: ['orderId'] }),
    ]),
  },
};

const NO_RULES: ShapeRules = { strings: new Set(), numericIds: new Set(), omitted: new Set() };
/** Every n-th padded string gets a trailing space, as the exchange sometimes sends. */
const TRAILING_SPACE_EVERY = 3;
const DIGITS = /^-?\d+$/;
const BARE_MARK = '@@bare:';
const BARE_PATTERN = /"@@bare:(-?\d+)"/g;

/** A number written into the text as is (digits that a double cannot hold). */
class BareNumber {
  readonly digits: string;
  constructor(digits: string) {
    this.digits = digits;
  }
  toJSON(): string {
    return `${BARE_MARK}${this.digits}`;
  }
}

function padded(text: string): string {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  return sum % TRAILING_SPACE_EVERY === 0 ? `${text} ` : text;
}

function encodeValue(shape: Shape, name: string, field: Field, value: unknown, form: FormProfile, rules: ShapeRules): unknown {
  switch (field.kind) {
    case 'list':
      return Array.isArray(value) ? value.map((item: unknown) => encodeWith(field.shape, asRecord(item), form)) : null;
    case 'enum': {
      const spec = typeof value === 'string' ? field.enumDef.values[value] : undefined;
      if (spec === undefined) throw new Error(`${shape.name}.${name}: ${String(value)} is not a ${field.enumDef.name}`);
      return spec.code;
    }
    case 'id': {
      const text = String(value);
      if (!rules.numericIds.has(name) || !DIGITS.test(text)) return text;
      return Number.isSafeInteger(Number(text)) ? Number(text) : new BareNumber(text);
    }
    case 'boolean':
      return form.booleans === 'json' ? value === true : value === true ? 1 : 0;
    case 'decimal':
    case 'float':
    case 'int':
    case 'timestamp': {
      if (rules.strings.has(name)) return form.padStrings ? padded(String(value)) : String(value);
      return typeof value === 'number' ? value : Number(value);
    }
    case 'string':
      return String(value);
  }
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function encodeWith(shape: Shape, record: Readonly<Record<string, unknown>>, form: FormProfile): Record<string, unknown> {
  const shapeRules = form.shapes.get(shape) ?? NO_RULES;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape.fields)) {
    const key = form.key === 'first' ? field.keys[0] : field.keys[field.keys.length - 1];
    if (key === undefined || field.compute !== undefined || shapeRules.omitted.has(name)) continue;
    const value = record[name];
    if (value === null || value === undefined) {
      if (form.absent === 'null' && name in record) out[key] = null;
      continue;
    }
    out[key] = encodeValue(shape, name, field, value, form, shapeRules);
  }
  return out;
}

/**
 * Encodes a record of `shape` (expanded names) into its wire object in one
 * form. Computed fields (no keys) are never sent.
 */
export function encodeRecord(shape: Shape, record: Readonly<Record<string, unknown>>, form: WireForm): Record<string, unknown> {
  return encodeWith(shape, record, FORMS[form]);
}

/** The text of a data frame `{"dt":..,"c":20,"d":..,"ts"?:..}`, with big ids as bare numbers. */
export function frameText(dt: number, d: unknown, ts?: number): string {
  const frame = ts === undefined ? { dt, c: CODE_DATA, d } : { dt, c: CODE_DATA, d, ts };
  return JSON.stringify(frame).replace(BARE_PATTERN, '$1');
}

/** A whole data frame in one form: `d` is one record or a list of them; `ts` is sent only where the form has it. */
export function encodeFrame(
  dt: number,
  shape: Shape,
  d: Readonly<Record<string, unknown>> | ReadonlyArray<Readonly<Record<string, unknown>>>,
  form: WireForm,
  ts?: number,
): string {
  const data = Array.isArray(d)
    ? d.map((record: Readonly<Record<string, unknown>>) => encodeRecord(shape, record, form))
    : encodeRecord(shape, asRecord(d), form);
  return frameText(dt, data, FORMS[form].frameTs ? ts : undefined);
}
