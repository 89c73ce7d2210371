/**
 * The simulator's encoder: a record in expanded names -> a wire object, driven
 * by the same shape tables the gateway decodes with, then -> frame text.
 *
 * Spec form: each field under its first key, numbers as JSON numbers, absent
 * values left out. Live form: each field under its last key, order book levels
 * and trade sizes as strings (sometimes with a trailing space), ids and flags
 * in their live spelling, absent values as explicit `null`. Either way, ids
 * beyond 2^53 go out as bare JSON numbers, as the exchange sends them.
 */
import type { Field, Shape } from '../channels/fields.ts';
import { CODE_DATA } from '../coincall/protocol.ts';

export type WireForm = 'spec' | 'live';

/** Fields (by shape name) that the live protocol sends as strings. */
const LIVE_STRING_FIELDS: Readonly<Record<string, readonly string[]>> = {
  PriceLevel: ['price', 'volume'],
  Trade: ['volume'],
  AccountBalance: ['delta'],
};
/** Every n-th live string gets a trailing space, as the exchange sometimes sends. */
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

function wireKey(field: Field, form: WireForm): string | undefined {
  return form === 'spec' ? field.keys[0] : field.keys[field.keys.length - 1];
}

function liveString(text: string): string {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  return sum % TRAILING_SPACE_EVERY === 0 ? `${text} ` : text;
}

function encodeValue(shape: Shape, name: string, field: Field, value: unknown, form: WireForm): unknown {
  switch (field.kind) {
    case 'list':
      return Array.isArray(value) ? value.map((item: unknown) => encodeRecord(field.shape, asRecord(item), form)) : null;
    case 'enum': {
      const spec = typeof value === 'string' ? field.enumDef.values[value] : undefined;
      if (spec === undefined) throw new Error(`${shape.name}.${name}: ${String(value)} is not a ${field.enumDef.name}`);
      return spec.code;
    }
    case 'id': {
      const text = String(value);
      if (!DIGITS.test(text)) return text;
      if (!Number.isSafeInteger(Number(text))) return new BareNumber(text);
      return form === 'spec' ? Number(text) : text;
    }
    case 'boolean':
      return form === 'spec' ? value === true : value === true ? 1 : 0;
    case 'decimal':
    case 'float':
    case 'int':
    case 'timestamp': {
      if (form === 'live' && LIVE_STRING_FIELDS[shape.name]?.includes(name)) return liveString(String(value));
      return typeof value === 'number' ? value : Number(value);
    }
    case 'string':
      return String(value);
  }
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * Encodes a record of `shape` (expanded names) into its wire object. Computed
 * fields (no keys) are not sent; null or missing values are left out in the
 * spec form and sent as `null` in the live form.
 */
export function encodeRecord(shape: Shape, record: Readonly<Record<string, unknown>>, form: WireForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape.fields)) {
    const key = wireKey(field, form);
    if (key === undefined || field.compute !== undefined) continue;
    const value = record[name];
    if (value === null || value === undefined) {
      if (form === 'live' && name in record) out[key] = null;
      continue;
    }
    out[key] = encodeValue(shape, name, field, value, form);
  }
  return out;
}

/** The text of a data frame `{"dt":..,"c":20,"d":..,"ts"?:..}`, with big ids as bare numbers. */
export function frameText(dt: number, d: unknown, ts?: number): string {
  const frame = ts === undefined ? { dt, c: CODE_DATA, d } : { dt, c: CODE_DATA, d, ts };
  return JSON.stringify(frame).replace(BARE_PATTERN, '$1');
}
