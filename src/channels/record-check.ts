/**
 * Whether a value is a decoded record of a shape, as `decodeRecord` makes
 * them (fields.ts): the check of records that come back from elsewhere (the
 * cluster's engine stores decoded items as JSON) before anything reads them.
 * It reads the same field tables as the decoder, so a channel's shape is
 * defined once.
 *
 * Every field of the table (computed ones too, they are stored) must be
 * present with its kind's decoded form: a string; a plain decimal string; a
 * finite number; a safe integer; a timestamp as an integer epoch millisecond
 * from MIN_TIMESTAMP_MS to MAX_TIMESTAMP_MS; an id string; a boolean; a value
 * of its enum; a list of valid records of its shape. An optional field may be
 * null or absent. Keys the table does not name are ignored (left in place:
 * nothing reads them, and GraphQL selects only the table's fields).
 */
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, PLAIN_DECIMAL } from '../lib/decimal.ts';
import { isRecord } from '../lib/json.ts';
import type { Field, ScalarKind, Shape } from './fields.ts';

/** Whether `value` is an epoch millisecond a timestamp field may hold (the decoder's own range). */
export const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= MIN_TIMESTAMP_MS && value <= MAX_TIMESTAMP_MS;

const SCALAR_CHECKS: Readonly<Record<ScalarKind, (value: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  decimal: (v) => typeof v === 'string' && PLAIN_DECIMAL.test(v),
  float: (v) => typeof v === 'number' && Number.isFinite(v),
  int: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  timestamp: isTimestamp,
  id: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
};

/** A shape's fields, listed once (checks run per item). */
const fieldLists = new WeakMap<Shape, ReadonlyArray<readonly [string, Field]>>();

function fieldsOf(shape: Shape): ReadonlyArray<readonly [string, Field]> {
  let fields = fieldLists.get(shape);
  if (fields === undefined) {
    fields = Object.entries(shape.fields);
    fieldLists.set(shape, fields);
  }
  return fields;
}

/** What is wrong with one present field value, or undefined. */
function valueProblem(field: Field, value: unknown): string | undefined {
  switch (field.kind) {
    case 'enum':
      return typeof value === 'string' && Object.hasOwn(field.enumDef.values, value) ? undefined : `not a ${field.enumDef.name}`;
    case 'list': {
      if (!Array.isArray(value)) return 'not a list';
      for (let i = 0; i < value.length; i++) {
        const problem = recordProblem(field.shape, value[i]);
        if (problem !== undefined) return `[${i}]: ${problem}`;
      }
      return undefined;
    }
    default:
      return SCALAR_CHECKS[field.kind](value) ? undefined : `not a valid ${field.kind}`;
  }
}

/** What makes `value` no valid record of `shape` (the first problem found, e.g. `Trade.timestamp: not a valid timestamp`), or undefined when it is one. */
export function recordProblem(shape: Shape, value: unknown): string | undefined {
  if (!isRecord(value)) return `${shape.name}: not an object`;
  for (const [name, field] of fieldsOf(shape)) {
    const raw = value[name];
    if (raw === null || raw === undefined) {
      if (field.required) return `${shape.name}.${name}: missing`;
      continue;
    }
    const problem = valueProblem(field, raw);
    if (problem !== undefined) return `${shape.name}.${name}${problem.startsWith('[') ? '' : ': '}${problem}`;
  }
  return undefined;
}
