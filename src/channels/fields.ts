/**
 * Field tables: the single source of truth for a record's shape.
 *
 * A shape lists, for every expanded field name, the wire keys it is read from
 * (the spec's key first, live variants after), its kind and its description.
 * From one table come: the decoder (wire -> expanded names), the TypeScript
 * record type (`RecordOf<S>`), the GraphQL object type and the simulator's
 * encoder.
 */
import { toDecimal, toNumber, toSafeInteger, toTimestamp } from '../lib/decimal.ts';
import { isRecord } from '../lib/json.ts';
import { decodeEnum, type EnumDef } from './enums.ts';

export type ScalarKind = 'string' | 'decimal' | 'float' | 'int' | 'timestamp' | 'id' | 'boolean';

interface ScalarValues {
  string: string;
  decimal: string;
  float: number;
  int: number;
  /** Epoch milliseconds; GraphQL renders it as `DateTime`. */
  timestamp: number;
  id: string;
  boolean: boolean;
}

/** What decoding sees besides the record itself. */
export interface DecodeContext {
  /** The frame's own `ts`, when it has one. */
  readonly frameTs: number | undefined;
  /** When the gateway received the frame. */
  readonly receivedAt: number;
}

interface FieldBase<T, R extends boolean> {
  /** Wire keys, the spec's first; the first present key wins. Empty for computed fields. */
  readonly keys: readonly string[];
  readonly description: string;
  /** Non-null in GraphQL; a record without it does not decode. */
  readonly required: R;
  /** Computes the value from the decoded record instead of reading keys. */
  readonly compute?: (record: Readonly<Record<string, unknown>>, ctx: DecodeContext) => unknown;
  /** Phantom: the decoded value's type. */
  readonly __value?: T;
}

export interface ScalarField<K extends ScalarKind = ScalarKind, R extends boolean = boolean> extends FieldBase<ScalarValues[K], R> {
  readonly kind: K;
}
export interface EnumField<V extends string = string, R extends boolean = boolean> extends FieldBase<V, R> {
  readonly kind: 'enum';
  readonly enumDef: EnumDef<V>;
}
export interface ListField<S extends Shape = Shape, R extends boolean = boolean> extends FieldBase<Array<RecordOf<S>>, R> {
  readonly kind: 'list';
  readonly shape: S;
}
export type Field = ScalarField | EnumField | ListField;

export interface Shape<F extends Record<string, Field> = Record<string, Field>> {
  /** GraphQL object type name. */
  readonly name: string;
  readonly description: string;
  readonly fields: F;
}

type ValueOf<F> = F extends FieldBase<infer T, infer R> ? (R extends true ? T : T | null) : never;
/** The decoded record of a shape, inferred from its table. */
export type RecordOf<S extends Shape> = { -readonly [K in keyof S['fields']]: ValueOf<S['fields'][K]> };

export function defineShape<const F extends Record<string, Field>>(name: string, description: string, fields: F): Shape<F> {
  return { name, description, fields };
}

interface FieldOptions<R extends boolean> {
  readonly required?: R;
  readonly compute?: FieldBase<unknown, R>['compute'];
}

function scalar<K extends ScalarKind>(kind: K) {
  return <R extends boolean = false>(
    keys: readonly string[],
    description: string,
    options: FieldOptions<R> = {},
  ): ScalarField<K, NoInfer<R>> => ({
    kind,
    keys,
    description,
    required: (options.required ?? false) as R,
    ...(options.compute === undefined ? {} : { compute: options.compute }),
  });
}

/** Field builders, one per kind. */
export const f = {
  string: scalar('string'),
  decimal: scalar('decimal'),
  float: scalar('float'),
  int: scalar('int'),
  timestamp: scalar('timestamp'),
  id: scalar('id'),
  boolean: scalar('boolean'),
  enum: <V extends string, R extends boolean = false>(
    enumDef: EnumDef<V>,
    keys: readonly string[],
    description: string,
    options: FieldOptions<R> = {},
  ): EnumField<V, NoInfer<R>> => ({
    kind: 'enum',
    enumDef,
    keys,
    description,
    required: (options.required ?? false) as R,
    ...(options.compute === undefined ? {} : { compute: options.compute }),
  }),
  list: <S extends Shape, R extends boolean = false>(
    shape: S,
    keys: readonly string[],
    description: string,
    options: FieldOptions<R> = {},
  ): ListField<S, NoInfer<R>> => ({ kind: 'list', shape, keys, description, required: (options.required ?? false) as R }),
};

/** Thrown inside decoding; caught at the channel boundary and turned into a dropped-frame cause. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * One wire value of a scalar kind: `null` when absent (null, missing, empty),
 * `undefined` when present but unacceptable. Decimals and floats must be
 * finite, ints safe integers, timestamps integer milliseconds from 2000 to
 * 2200 (MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS): a value GraphQL could not
 * serialize never leaves the decoder.
 */
function decodeScalar(kind: ScalarKind, raw: unknown): unknown {
  switch (kind) {
    case 'decimal':
      return toDecimal(raw);
    case 'float':
      return toNumber(raw);
    case 'timestamp':
      return toTimestamp(raw);
    case 'int':
      return toSafeInteger(raw);
    case 'string':
      return raw === null || raw === undefined ? null : typeof raw === 'string' ? raw.trim() : undefined;
    case 'id':
      if (raw === null || raw === undefined || raw === '') return null;
      if (typeof raw === 'string') return raw.trim();
      return typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : undefined;
    case 'boolean':
      if (raw === null || raw === undefined || raw === '') return null;
      if (typeof raw === 'boolean') return raw;
      switch (String(raw).trim().toLowerCase()) {
        case '1':
        case 'true':
          return true;
        case '0':
        case 'false':
          return false;
        default:
          return undefined;
      }
  }
}

function readRaw(source: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== null) return value;
  }
  return null;
}

function decodeField(name: string, field: Field, raw: unknown, shape: Shape, ctx: DecodeContext): unknown {
  let value: unknown;
  if (field.kind === 'enum') value = decodeEnum(field.enumDef, raw);
  else if (field.kind === 'list') {
    if (raw === null) value = null;
    else if (!Array.isArray(raw)) value = undefined;
    else value = raw.map((item) => decodeRecord(field.shape, item, ctx));
  } else value = decodeScalar(field.kind, raw);
  if (value === undefined) throw new DecodeError(`${shape.name}.${name}: not a valid ${field.kind}`);
  if (value === null && field.required) throw new DecodeError(`${shape.name}.${name}: missing`);
  return value;
}

/** A shape's fields split once into read and computed ones (decoding runs per frame). */
interface Plan {
  readonly read: ReadonlyArray<readonly [string, Field]>;
  readonly computed: ReadonlyArray<readonly [string, Field]>;
}
const plans = new WeakMap<Shape, Plan>();

function planOf(shape: Shape): Plan {
  let plan = plans.get(shape);
  if (plan === undefined) {
    const entries = Object.entries(shape.fields);
    plan = { read: entries.filter(([, f]) => f.compute === undefined), computed: entries.filter(([, f]) => f.compute !== undefined) };
    plans.set(shape, plan);
  }
  return plan;
}

/**
 * Decodes one wire object into the shape's record. Unknown extra keys are
 * ignored. An absent value (missing, null, empty string) of an optional field
 * decodes to null; a value that is present but not valid — malformed, not
 * finite, out of range — fails the whole record with a DecodeError, required
 * field or not: the gateway drops the frame rather than guess at it.
 */
export function decodeRecord<S extends Shape>(shape: S, raw: unknown, ctx: DecodeContext): RecordOf<S> {
  if (!isRecord(raw)) throw new DecodeError(`${shape.name}: not an object`);
  const out: Record<string, unknown> = {};
  const { read, computed } = planOf(shape);
  for (const [name, field] of read) out[name] = decodeField(name, field, readRaw(raw, field.keys), shape, ctx);
  for (const [name, field] of computed) {
    const value = field.compute?.(out, ctx) ?? null;
    if (value === null && field.required) throw new DecodeError(`${shape.name}.${name}: missing`);
    out[name] = value;
  }
  return out as RecordOf<S>;
}
