/**
 * GraphQL object types generated from the channel field tables: one object
 * type per shape, one field per table entry, with the table's description.
 * Values are read straight off the decoded record by their expanded name.
 */
import type { ObjectRef } from '@pothos/core';
import type { Field, Shape, ScalarKind } from '../channels/fields.ts';
import { builder } from './builder.ts';
import { enumRef } from './enums.ts';
import './scalars.ts';

type Row = Readonly<Record<string, unknown>>;

const SCALAR_TYPES: Readonly<Record<ScalarKind, 'String' | 'Decimal' | 'Float' | 'Int' | 'DateTime' | 'ID' | 'Boolean'>> = {
  string: 'String',
  decimal: 'Decimal',
  float: 'Float',
  int: 'Int',
  timestamp: 'DateTime',
  id: 'ID',
  boolean: 'Boolean',
};

const refs = new Map<string, ObjectRef<never, Row>>();

function fieldType(field: Field): unknown {
  if (field.kind === 'enum') return enumRef(field.enumDef);
  if (field.kind === 'list') return [objectRef(field.shape)];
  return SCALAR_TYPES[field.kind];
}

/** The GraphQL object type of a shape (created once). */
export function objectRef(shape: Shape): ObjectRef<never, Row> {
  const known = refs.get(shape.name);
  if (known !== undefined) return known;
  const ref = builder.objectRef<Row>(shape.name);
  refs.set(shape.name, ref as unknown as ObjectRef<never, Row>);
  ref.implement({
    description: shape.description,
    fields: (t) =>
      Object.fromEntries(
        Object.entries(shape.fields).map(([name, field]) => [
          name,
          t.field({
            type: fieldType(field) as 'String',
            nullable: field.kind === 'list' ? { list: !field.required, items: false } : !field.required,
            description: field.description,
            resolve: (row: Row) => row[name] as never,
          } as never),
        ]),
      ),
  });
  return ref as unknown as ObjectRef<never, Row>;
}
