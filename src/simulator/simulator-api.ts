/**
 * The simulator's contract: its options, accounts, defaults, the fault
 * switches tests use, and the handle `startSimulator` (`server.ts`) returns.
 */
import type { MarketName } from '../coincall/protocol.ts';
import type { RequestLogEntry } from './client-session.ts';
import type { RefusalRule } from './faults.ts';
import type { WireFormOption } from './publish.ts';

export interface SimulatorAccount {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
}

/** The fixed demo account (a base64-like key, as the exchange issues them). */
export const DEMO_ACCOUNT: SimulatorAccount = {
  apiKey: 'demo+Key/0123456789abcdef==',
  apiSecret: 'demo-secret-do-not-use-in-production',
  userId: '9804819366',
};

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_SEED = 20_230_527;
export const DEFAULT_TICK_MS = 250;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Positions and balances are pushed about this often. */
export const ACCOUNT_PUSH_INTERVAL_MS = 1_000;

export interface SimulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** Accounts whose keys may connect; default `[DEMO_ACCOUNT]`. */
  readonly accounts?: readonly SimulatorAccount[];
  /** Seed of the market model: same seed, same market. */
  readonly seed?: number;
  /** Field forms sent: live keys (default), spec keys, or alternating per frame (`mixed`, for tests). */
  readonly wireForm?: WireFormOption;
  /** Market update period in ms (default 250). */
  readonly tickMs?: number;
  /** A connection without client traffic for this long is closed (default 30 s). */
  readonly idleTimeoutMs?: number;
  /**
   * The exchange's full idle rule: also close a connection that has had no
   * subscription for `idleTimeoutMs`, even while it sends heartbeats. Default
   * false (any client message keeps a connection open), because the gateway
   * keeps its public connections open without topics.
   */
  readonly strictIdle?: boolean;
  /** Per-connection request budget per second (default 100). */
  readonly maxRequestsPerSecond?: number;
  /** Clock for signature freshness and timestamps (default Date.now). */
  readonly now?: () => number;
  /** Option symbols to list besides its strike grid (tests replaying the exchange's example frames). */
  readonly extraOptions?: readonly string[];
}

export type SimulatorRequestLog = RequestLogEntry;

export interface ActiveSubscription {
  readonly market: MarketName;
  readonly apiKey: string;
  readonly dataType: string;
  /** The normalised payload: one entry per symbol, even for batch requests. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
}

export interface SimulatorFaults {
  /** Terminates sockets abruptly (no close frame), of one market or all. */
  dropConnections(market?: MarketName): void;
  /** Stops (or resumes) answering heartbeats. */
  muteHeartbeats(muted: boolean): void;
  /** Refuses subscriptions the rule returns a reason for (failed ack with that message); undefined clears it. */
  refuseSubscriptions(match: RefusalRule | undefined): void;
  /** Sends garbage frames of several kinds to every connection of a market. */
  sendMalformed(market: MarketName, count?: number): void;
  /** Stops (or resumes) publishing data, of every dataType or one. */
  pauseTopics(paused: boolean, dataType?: string): void;
}

export interface Simulator {
  readonly port: number;
  readonly urls: { readonly options: string; readonly futures: string };
  /** Base of its REST endpoints (`http://host:port`), for the instrument registry. */
  readonly restUrl: string;
  /** Every subscribe/unSubscribe request received, in order (heartbeats excluded). */
  readonly requests: readonly SimulatorRequestLog[];
  /** Currently active upstream subscriptions. */
  activeSubscriptions(): readonly ActiveSubscription[];
  connectionCount(market?: MarketName): number;
  /** Sends a raw text frame to every open connection of a market (optionally only those of one apiKey). */
  sendRaw(market: MarketName, text: string, apiKey?: string): void;
  readonly faults: SimulatorFaults;
  /** Closes every socket and timer. */
  close(): Promise<void>;
}
