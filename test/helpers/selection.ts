/**
 * Test helpers driven by the field tables: a selection set with every field of
 * a shape, and the GraphQL rendering of a decoded record (timestamps as ISO).
 */
import type { Shape } from '../../src/channels/fields.ts';

export function selectAll(shape: Shape): string {
  const parts = Object.entries(shape.fields).map(([name, field]) => (field.kind === 'list' ? `${name} ${selectAll(field.shape)}` : name));
  return `{ ${parts.join(' ')} }`;
}

export function asGraphQL(shape: Shape, record: unknown): unknown {
  if (record === null || typeof record !== 'object') return record;
  const row = record as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(shape.fields).map(([name, field]) => {
      const value = row[name] ?? null;
      if (value === null) return [name, null];
      if (field.kind === 'timestamp') return [name, new Date(value as number).toISOString()];
      if (field.kind === 'list') return [name, (value as unknown[]).map((item) => asGraphQL(field.shape, item))];
      return [name, value];
    }),
  );
}
