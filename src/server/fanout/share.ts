/**
 * The sharing identity of a subscription, the same on every transport: the
 * same document text, operation, variables and credential execute once, and
 * its field's delivery policy (GraphQL `extensions.delivery`) says how the
 * group treats a slow member.
 */
import type { GraphQLSchema } from 'graphql';
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
