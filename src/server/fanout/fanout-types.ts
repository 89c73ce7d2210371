/**
 * The shapes of the shared subscription path (`fanout.ts`): its options,
 * members (a byte sink and a framing, whatever the transport), groups as a
 * joiner sees them, and counters. Apart so that the members
 * (`fanout-member.ts`) and the transports name them without importing the
 * fan-out itself.
 */
import type { DocumentNode, ExecutionArgs, ExecutionResult } from 'graphql';
import type { Delivery } from '../../hub/sink.ts';
import type { SharingStats } from '../../lib/sharing-stats.ts';

/**
 * How a group treats a slow member (`state` conflates, `event` holds every
 * result up to its time bound): the one definition is the channels' one,
 * reached through the hub (server/ does not import channels/).
 */
export type { Delivery };

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

/** The transports a member's bytes go out on (each counted apart). */
export const SINK_KINDS = ['ws', 'sse', 'multipart'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/**
 * Where a member's bytes go: a WebSocket (`graphql-ws/ws-sink.ts`), an SSE or
 * a multipart response (`http-streaming/http-sink.ts`). The fan-out writes
 * whole messages only, and holds them (`backlog.ts`) while `buffered()` is
 * over SLOW_SOCKET_BYTES.
 */
export interface Sink {
  readonly kind: SinkKind;
  /** Whether it still takes bytes (the peer has not gone). */
  isOpen(): boolean;
  /** Bytes written but not yet taken by the peer (the socket's or the response's buffers). */
  buffered(): number;
  write(bytes: string | Buffer): void;
  /** Calls `listener` once, when the sink has taken what it buffered (optional: without it, the fan-out checks `buffered()` periodically). */
  onDrain?(listener: () => void): void;
}

/**
 * How a transport frames one result's JSON: `head + payload + tail` (a
 * graphql-ws `next` with the member's id, an SSE `next` event, a multipart
 * part). Members that share a framing object share its encoded bytes.
 */
export interface Framing {
  readonly head: string;
  readonly tail: string;
}

/** Where one subscription's messages go, and how they are framed there. */
export interface Member {
  readonly sink: Sink;
  readonly framing: Framing;
}

/** The counters: `Query.status` shows the `SharingStats`; `merged` counts list results folded into a later message for a backed-up member. */
export type FanoutStats = SharingStats & { readonly merged: number; readonly deliveredBy: Readonly<Record<SinkKind, number>> };

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
