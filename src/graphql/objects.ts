/**
 * GraphQL object types generated from the channel field tables: one object
 * type per shape, one field per table entry, with the table's description.
 *
 * Values are read straight off the decoded record by their expanded name. The
 * record reaches GraphQL as `unknown` (channels are erased in the registry),
 * so each resolver checks the value has the JavaScript type its GraphQL type
 * serializes (a string for `String`/`Decimal`/`ID` and enums, a number for
 * `Int`/`Float`/`DateTime`, ...): the compiler holds each kind's GraphQL type
 * and check together. The decoder guarantees these; a failed check is a bug,
 * reported as an internal error.
 */
import type { ObjectFieldBuilder, ObjectRef } from '@pothos/core';
import type { Field, ScalarKind, Shape } from '../channels/fields.ts';
import { isRecord } from '../lib/json.ts';
import { builder } from './builder.ts';
import { enumRef, type TableEnumRef } from './enum-types.ts';
import type { GatewayTypes } from './schema-types.ts';
import './scalars.ts';

/** A decoded record, as GraphQL resolvers see it. */
export type Row = Readonly<Record<string, unknown>>;
export type RowRef = ObjectRef<GatewayTypes, Row>;

type RowFields = ObjectFieldBuilder<GatewayTypes, Row>;
type RowField = ReturnType<RowFields['field']>;
type Guard<T> = (value: unknown) => value is T;

/** One table entry on its way to a GraphQL field. */
interface Entry {
  /** Expanded name: the GraphQL field and the record key. */
  readonly name: string;
  /** `Shape.field`, for messages. */
  readonly where: string;
  readonly field: Field;
}

const isString: Guard<string> = (value) => typeof value === 'string';
const isNumber: Guard<number> = (value) => typeof value === 'number';
const isBoolean: Guard<boolean> = (value) => typeof value === 'boolean';
/** Decoded records, for list fields and list root fields. */
export const isRows: Guard<readonly Row[]> = (value) => Array.isArray(value) && value.every(isRecord);

/** The value of a required field, checked. */
function present<T>(row: Row, entry: Entry, is: Guard<T>): T {
  const value = row[entry.name];
  if (is(value)) return value;
  throw new Error(`${entry.where}: the record holds ${value === null ? 'null' : typeof value}, not a ${entry.field.kind} value`);
}

/** The value of an optional field, checked; absent is null. */
function optional<T>(row: Row, entry: Entry, is: Guard<T>): T | null {
  return row[entry.name] === null || row[entry.name] === undefined ? null : present(row, entry, is);
}

function stringField(t: RowFields, type: 'String' | 'Decimal' | TableEnumRef, entry: Entry): RowField {
  const { description, required } = entry.field;
  return required
    ? t.field({ type, description, resolve: (row) => present(row, entry, isString) })
    : t.field({ type, description, nullable: true, resolve: (row) => optional(row, entry, isString) });
}

function numberField(t: RowFields, type: 'Int' | 'Float' | 'DateTime', entry: Entry): RowField {
  const { description, required } = entry.field;
  return required
    ? t.field({ type, description, resolve: (row) => present(row, entry, isNumber) })
    : t.field({ type, description, nullable: true, resolve: (row) => optional(row, entry, isNumber) });
}

/** `ID` also serializes numbers; the decoder gives it strings only. */
function idField(t: RowFields, entry: Entry): RowField {
  const { description, required } = entry.field;
  return required
    ? t.id({ description, resolve: (row) => present(row, entry, isString) })
    : t.id({ description, nullable: true, resolve: (row) => optional(row, entry, isString) });
}

function booleanField(t: RowFields, entry: Entry): RowField {
  const { description, required } = entry.field;
  return required
    ? t.boolean({ description, resolve: (row) => present(row, entry, isBoolean) })
    : t.boolean({ description, nullable: true, resolve: (row) => optional(row, entry, isBoolean) });
}

/** Each scalar kind's GraphQL type (and so its value check). */
const SCALAR_FIELDS: { readonly [K in ScalarKind]: (t: RowFields, entry: Entry) => RowField } = {
  string: (t, entry) => stringField(t, 'String', entry),
  decimal: (t, entry) => stringField(t, 'Decimal', entry),
  id: idField,
  float: (t, entry) => numberField(t, 'Float', entry),
  int: (t, entry) => numberField(t, 'Int', entry),
  timestamp: (t, entry) => numberField(t, 'DateTime', entry),
  boolean: booleanField,
};

function listField(t: RowFields, shape: Shape, entry: Entry): RowField {
  const { description, required } = entry.field;
  const item = objectRef(shape);
  return required
    ? t.field({ type: [item], description, nullable: { list: false, items: false }, resolve: (row) => present(row, entry, isRows) })
    : t.field({ type: [item], description, nullable: { list: true, items: false }, resolve: (row) => optional(row, entry, isRows) });
}

function fieldOf(t: RowFields, entry: Entry): RowField {
  const { field } = entry;
  if (field.kind === 'enum') return stringField(t, enumRef(field.enumDef), entry);
  if (field.kind === 'list') return listField(t, field.shape, entry);
  return SCALAR_FIELDS[field.kind](t, entry);
}

const refs = new Map<string, RowRef>();

/** The GraphQL object type of a shape (created once). */
export function objectRef(shape: Shape): RowRef {
  const known = refs.get(shape.name);
  if (known !== undefined) return known;
  const ref = builder.objectRef<Row>(shape.name);
  refs.set(shape.name, ref);
  ref.implement({
    description: shape.description,
    fields: (t) =>
      Object.fromEntries(
        Object.entries(shape.fields).map(([name, field]) => [name, fieldOf(t, { name, where: `${shape.name}.${name}`, field })]),
      ),
  });
  return ref;
}
