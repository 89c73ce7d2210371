/**
 * The Pothos schema builder and the request context. This file defines no
 * types; type files register themselves on `builder`.
 */
import SchemaBuilder from '@pothos/core';
import type { Credential } from '../coincall/signing.ts';
import type { SharingStats } from '../lib/sharing-stats.ts';
import type { ClientRef, Upstream } from '../sources/coincall/coincall-source.ts';
import type { InstrumentRegistry } from '../sources/coincall/instrument-registry.ts';

export type UpstreamMode = 'LIVE' | 'SIMULATED';

/** What every resolver sees. Built per request (HTTP) or per connection (graphql-ws). */
export interface GatewayContext {
  readonly upstream: Upstream;
  /** The client's Coincall credential, when it presented one. */
  readonly credential: Credential | undefined;
  /** Why the presented credential is unusable (half a pair, wrong type), if it is. */
  readonly credentialProblem: string | undefined;
  /** Who is asking (a graphql-ws socket, an HTTP request) and from which address; budgets and fairness key on it. */
  readonly client: ClientRef | undefined;
  readonly now: () => number;
  readonly mode: UpstreamMode;
  readonly version: string;
  readonly startedAt: number;
  readonly sharing: () => SharingStats;
  /** The instrument registry: argument checks, `Query.instruments`, `status.instruments`. Absent in bare test setups. */
  readonly instruments?: InstrumentRegistry | undefined;
}

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: number; Output: number };
    Decimal: { Input: string; Output: string };
  };
}>({ defaultFieldNullability: false });

builder.queryType({
  description:
    'The gateway itself (`status`) and the latest value of every state channel, recent trades and positions: the Query twins of the subscriptions.',
});
builder.subscriptionType({ description: 'Real-time Coincall data, one root field per upstream channel.' });
