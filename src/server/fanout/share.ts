/**
 * The sharing identity of a subscription, the same on every transport: the
 * same document text, operation, variables and credential execute once, and
 * its field's delivery policy (GraphQL `extensions.delivery`) says how the
 * group treats a slow member. A subscription that resumes from a cursor (a
 * field with `extensions.resumable` given an `after`) is never shared: its
 * replay is its own, and a group already live has sent it.
 */
import { Kind, type ExecutionArgs, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { credentialId } from '../../coincall/signing.ts';
import { tryCanonicalKey } from '../../lib/canonical.ts';
import type { CredentialResult } from '../context.ts';
import type { Delivery, Member } from './fanout-types.ts';

/** The text of an operation that identifies it (graphql-ws's `subscribe` payload, yoga's HTTP params). */
export interface OperationText {
  readonly query: string;
  readonly operationName?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/** How a subscription shares one execution: its group key, delivery policy and where its messages go. */
export interface Share {
  readonly key: string;
  readonly delivery: Delivery;
  readonly member: Member;
}

/** A subscription field's delivery policy, from its GraphQL `extensions.delivery`; undefined when it declares none. */
export function deliveryOf(schema: GraphQLSchema, rootField: string | undefined): Delivery | undefined {
  if (rootField === undefined) return undefined;
  const declared: unknown = schema.getSubscriptionType()?.getFields()[rootField]?.extensions['delivery'];
  return declared === 'state' || declared === 'event' ? declared : undefined;
}

/**
 * The sharing identity of a subscription: the same document text, operation,
 * variables and credential execute once. `undefined` for an unusable credential.
 */
export function shareKey(payload: OperationText, credential: CredentialResult): string | undefined {
  if (credential.problem !== undefined) return undefined;
  const variables = tryCanonicalKey(payload.variables ?? {});
  if (variables === undefined) return undefined;
  const who = credential.credential === undefined ? 'anonymous' : credentialId(credential.credential);
  return [who, payload.operationName ?? '', payload.query, variables].join('\u0000');
}

/** Whether the operation's root field resumes from a cursor: a resumable field (`extensions.resumable`) with a non-null `after`. */
export function resumesFromCursor(args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>): boolean {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
  );
  const [first] = operation?.selectionSet.selections ?? [];
  if (operation?.operation !== 'subscription' || first?.kind !== Kind.FIELD) return false;
  if (args.schema.getSubscriptionType()?.getFields()[first.name.value]?.extensions['resumable'] !== true) return false;
  const after = first.arguments?.find((a) => a.name.value === 'after')?.value;
  if (after === undefined || after.kind === Kind.NULL) return false;
  if (after.kind !== Kind.VARIABLE) return true;
  const value = args.variableValues?.[after.name.value];
  return value !== undefined && value !== null;
}
