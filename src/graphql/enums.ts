/** GraphQL enum types, generated from the enum tables of `channels/enums.ts`. */
import type { EnumRef } from '@pothos/core';
import { ENUMS, type EnumDef } from '../channels/enums.ts';
import { builder } from './builder.ts';

const refs = new Map<string, EnumRef<never, string, string>>();

for (const def of ENUMS as readonly EnumDef[]) {
  const values = Object.fromEntries(
    Object.entries(def.values).map(([name, spec]) => [name, { value: name, description: spec.description }]),
  );
  refs.set(def.name, builder.enumType(def.name, { description: def.description, values }) as unknown as EnumRef<never, string, string>);
}

/** The GraphQL enum of a table. */
export function enumRef(def: EnumDef): EnumRef<never, string, string> {
  const ref = refs.get(def.name);
  if (ref === undefined) throw new Error(`enum ${def.name} is not in ENUMS`);
  return ref;
}
