/**
 * The builder's schema types, named once for code that types Pothos refs and
 * field builders outside `builder.ts` (e.g. `EnumRef<GatewayTypes, string>`).
 * Inferred from `builder`, so it cannot drift from the builder's settings.
 */
import type { SchemaTypes } from '@pothos/core';
import type { builder } from './builder.ts';

export type GatewayTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types extends SchemaTypes> ? Types : never;
