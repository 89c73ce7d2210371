/**
 * The shapes of the shared subscription path (`fanout.ts`): its options,
 * members, groups as a joiner sees them, and counters. Apart so that the
 * members (`fanout-member.ts`) and the transports name them without
 * importing the fan-out itself.
 */
import type { DocumentNode, ExecutionArgs, ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { SharingStats } from '../../lib/sharing-stats.ts';

/**
 * How a group treats a slow member: `state` conflates (the latest value
 * wins), `event` holds every result (merging lists) up to its time bound.
 * Each subscription field declares its own in its GraphQL `extensions.delivery`.
 */
export type Delivery = 'state' | 'event';

/** What an execution gives: one result (errors, refusals) or a stream. */
export type FanoutResult = ExecutionResult | AsyncIterable<ExecutionResult>;
/** Runs one execution (graphql's subscribe through envelop). */
export type FanoutRun = (args: ExecutionArgs) => FanoutResult | Promise<FanoutResult>;

export interface FanoutOptions {
  /** How far behind (ms since its oldest held message) an event member may fall before it is ended (default: the limit's default). */
  readonly maxBehindMs?: number;
  /** The clock (injectable for tests). */
  readonly now?: () => number;
  readonly drainCheckMs?: number;
  /**
   * The delivery-latency observer of a root field, bound once per group: it
   * observes a write's delay from the exchange's frame `ts` once per event as
   * the group writes it to its members' sockets, and once per held message a
   * backed-up member's socket takes later. Results that are not a fresh frame
   * are not observed.
   */
  readonly latencyFor?: (field: string) => (frameTs: number) => void;
}

/** Where one subscription's messages go. */
export interface Member {
  readonly id: string;
  readonly socket: WebSocket;
}

/** The counters: `Query.status` shows the `SharingStats`; `merged` counts list results folded into a later message for a backed-up member. */
export type FanoutStats = SharingStats & { readonly merged: number };

export interface Fanout {
  /**
   * Runs `run(args)` once per group and attaches `member`. `key` is the group
   * identity (undefined: not shareable, run alone); `delivery` how to treat a
   * slow member.
   */
  subscribe(args: ExecutionArgs, key: string | undefined, delivery: Delivery, member: Member, run: FanoutRun): Promise<FanoutResult>;
  /** The running group of `key` that a new member can join without executing anything. */
  live(key: string): LiveGroup | undefined;
  stats(): FanoutStats;
  /** Resolves once no member is left (at once if none is). */
  drained(): Promise<void>;
}

export interface LiveGroup {
  /** The group's key (one string shared by every member). */
  readonly key: string;
  readonly document: DocumentNode;
  readonly operationName: string | null | undefined;
  readonly delivery: Delivery;
}

