/** GraphQL enum types, generated from the enum tables of `channels/enums.ts`. */
import type { EnumRef } from '@pothos/core';
import { ENUMS, type EnumDef } from '../channels/enums.ts';
import { builder } from './builder.ts';
import type { GatewayTypes } from './schema-types.ts';

/** A generated enum: its values are the table's value names (as GraphQL sees them, in and out). */
export type TableEnumRef = EnumRef<GatewayTypes, string>;

function enumType(def: EnumDef): TableEnumRef {
  const values = Object.fromEntries(
    Object.entries(def.values).map(([name, spec]) => [name, { value: name, description: spec.description }]),
  );
  return builder.enumType(def.name, { description: def.description, values });
}

const refs = new Map<EnumDef, TableEnumRef>(ENUMS.map((def: EnumDef) => [def, enumType(def)]));

/** The GraphQL enum of a table (one of ENUMS). */
export function enumRef(def: EnumDef): TableEnumRef {
  const ref = refs.get(def);
  if (ref === undefined) throw new Error(`enum ${def.name} is not in ENUMS`);
  return ref;
}
