/**
 * Which principal (key id, scopes, limits) an operation acts for, found from
 * its GraphQL context: the access plugin records it when the context is
 * built (HTTP: by yoga's request; graphql-ws: by the socket's
 * `connectionParams`), and the root-field guard (`field-scopes.ts`) reads it.
 * One table for every server in the process: contexts are never shared.
 */
import type { Principal } from '../../auth/principal.ts';

export interface ContextAccess {
  readonly principal: Principal;
  /** Counts a refusal for a field outside the scopes. */
  readonly refusedScope: () => void;
}

const byContext = new WeakMap<object, ContextAccess>();

export function recordContextAccess(context: object, access: ContextAccess): void {
  byContext.set(context, access);
}

export function contextAccessOf(context: unknown): ContextAccess | undefined {
  return typeof context === 'object' && context !== null ? byContext.get(context) : undefined;
}
