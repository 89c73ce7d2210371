/**
 * The instrument registry's contract (`instrument-registry.ts` is the
 * registry): its options, the status it reports, what it answers, and the
 * timings and plausibility bounds it loads with.
 */
import type { Instrument } from '../../coincall/rest.ts';
import type { Backoff } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import type { CheckResult, InstrumentFilter } from './instrument-index.ts';
import type { FetchFn } from './rest-client.ts';

export const DEFAULT_INSTRUMENTS_REFRESH_MS = 60_000;
/** Retry delays after a failed load: at least this much … */
export const MIN_RETRY_DELAY_MS = 250;
/** … plus full jitter over a doubling scale from this … */
export const RETRY_BACKOFF_BASE_MS = 1_000;
/** … up to this; and never longer than the refresh period. */
export const RETRY_BACKOFF_MAX_MS = 30_000;

/** Fraction of the listed unexpired instruments a refresh must keep to be believed at once. */
export const MIN_KEPT_FRACTION = 0.5;
/** Identical shrunk answers in a row after which the shrink is believed. */
export const SHRINK_CONFIRMATIONS = 3;
/** Why a refresh was kept out: `empty` (no instrument), `shrunk` (more than half gone). */
export const REJECTION_REASONS = ['empty', 'shrunk'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** `loading`: first attempt running; `ready`: a list is loaded; `fallback`: never loaded (format checks only). */
export type RegistryState = 'loading' | 'ready' | 'fallback';

export interface InstrumentRegistryStatus {
  readonly state: RegistryState;
  /** When the last successful load finished (ms), if any. */
  readonly lastLoadedAt: number | undefined;
  /** Why the latest attempt failed; undefined after a success. */
  readonly lastError: string | undefined;
  /** Failed attempts since the last success. */
  readonly consecutiveFailures: number;
  readonly options: number;
  readonly futures: number;
  readonly underlyings: number;
  /** Malformed rows skipped by the last successful load. */
  readonly skippedRows: number;
  /** Refreshes kept out as implausible since start, by reason. */
  readonly rejectedRefreshes: Readonly<Record<RejectionReason, number>>;
  /** Why the latest kept-out refresh was kept out (undefined when none was). */
  readonly lastRejection: string | undefined;
}

export interface InstrumentRegistryOptions {
  /** Coincall's REST base, `https://api.coincall.com` by default. */
  readonly restUrl?: string | undefined;
  readonly fetch?: FetchFn | undefined;
  readonly refreshMs?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
  readonly now?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
  /** Delay before retry `attempt` (0-based) after failures; capped at `refreshMs`. */
  readonly backoff?: Backoff | undefined;
}

export interface InstrumentRegistry {
  status(): InstrumentRegistryStatus;
  /** Listed, unexpired instruments matching every given filter (empty until loaded). */
  list(filter?: InstrumentFilter): Instrument[];
  /** Unexpired option expiries of an underlying, ascending (empty until loaded). */
  expiries(underlying: string): number[];
  /** Whether a perpetual is listed; ok while no list is loaded. */
  checkFuturesSymbol(symbol: string): CheckResult;
  /** Whether an option underlying (`BTCUSD`) is listed; ok while no list is loaded. */
  checkUnderlying(underlying: string): CheckResult;
  /** Whether an option is listed and unexpired; ok while no list is loaded. */
  checkOption(symbol: string): CheckResult;
  /** Whether an underlying lists options of this expiry (ms); ok while no list is loaded. */
  checkExpiry(underlying: string, expiry: number): CheckResult;
  /**
   * Called after a load that changed the list, on every state change, and when a
   * failure streak begins or ends (so `lastError` shows); returns an unsubscribe.
   */
  onChange(listener: (status: InstrumentRegistryStatus) => void): () => void;
  /** Resolves with the state once the first attempt settled, or after `timeoutMs`, or at close. */
  ready(options?: { readonly timeoutMs?: number }): Promise<RegistryState>;
  /** Stops refreshing and aborts a running load. */
  close(): void;
}
