/**
 * The instrument registry: which futures, option underlyings, expiries and
 * options Coincall lists right now, loaded from its public REST API and
 * refreshed every `refreshMs`, for argument checks on every subscribe and for
 * `Query.instruments` / `Query.expiries`.
 *
 * A load reads the config (perpetuals and option underlyings), then the
 * options of every underlying's base, one request after another; it succeeds
 * whole or not at all, so the checks never see half a list. A failed refresh
 * keeps the last good list and retries with capped, jittered backoff, logging
 * at warn once per failure streak and at info on recovery. Until the first
 * success the state is `fallback` (or `loading` during the first attempt) and
 * every check answers ok: callers then rely on format checks alone.
 *
 * An answer that shrinks the list implausibly (no instrument at all, or fewer
 * than half of the listed unexpired ones) is kept out like a failed load: the
 * last list stays, the attempt is retried with backoff, logged at warn,
 * counted by reason and shown in the status. An empty answer is never taken;
 * a shrunk one is taken once the same list came back `SHRINK_CONFIRMATIONS`
 * times in a row (a real mass delisting, not a glitch).
 */
import {
  CONFIG_PATH,
  DEFAULT_REST_URL,
  optionInstrumentsPath,
  parseConfig,
  parseOptionInstruments,
  unwrapAnswer,
  type Instrument,
} from '../../coincall/rest.ts';
import { fullJitterBackoff, type Backoff } from '../../lib/backoff.ts';
import { silentLogger } from '../../lib/logger.ts';
import { buildInstrumentIndex, type CheckResult, type InstrumentIndex } from './instrument-index.ts';
import {
  DEFAULT_INSTRUMENTS_REFRESH_MS,
  MIN_KEPT_FRACTION,
  MIN_RETRY_DELAY_MS,
  RETRY_BACKOFF_BASE_MS,
  RETRY_BACKOFF_MAX_MS,
  SHRINK_CONFIRMATIONS,
  type InstrumentRegistry,
  type InstrumentRegistryOptions,
  type InstrumentRegistryStatus,
  type RegistryState,
  type RejectionReason,
} from './instrument-registry-api.ts';
import { DEFAULT_REST_TIMEOUT_MS, getJson, type FetchFn } from './rest-client.ts';

export * from './instrument-registry-api.ts';

const OK: CheckResult = { ok: true };

function defaultBackoff(): Backoff {
  const jitter = fullJitterBackoff({ baseMs: RETRY_BACKOFF_BASE_MS, maxMs: RETRY_BACKOFF_MAX_MS });
  return (attempt) => MIN_RETRY_DELAY_MS + jitter(attempt);
}

interface Loaded {
  readonly index: InstrumentIndex;
  readonly skipped: number;
  readonly problems: readonly string[];
}

/** Thrown (and handled as a failed load) for an implausible answer. */
class ImplausibleList extends Error {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export function createInstrumentRegistry(options: InstrumentRegistryOptions = {}): InstrumentRegistry {
  const base = (options.restUrl ?? DEFAULT_REST_URL).replace(/\/+$/, '');
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const refreshMs = options.refreshMs ?? DEFAULT_INSTRUMENTS_REFRESH_MS;
  if (!Number.isSafeInteger(refreshMs) || refreshMs < 1) throw new RangeError(`refreshMs must be a positive integer, got ${refreshMs}`);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  const now = options.now ?? (() => Date.now());
  const logger = (options.logger ?? silentLogger).child({ component: 'instruments' });
  const backoff = options.backoff ?? defaultBackoff();

  let state: RegistryState = 'loading';
  let index: InstrumentIndex | undefined;
  let lastLoadedAt: number | undefined;
  let lastError: string | undefined;
  let consecutiveFailures = 0;
  let skippedRows = 0;
  const rejected: Record<RejectionReason, number> = { empty: 0, shrunk: 0 };
  let lastRejection: string | undefined;
  /** The shrunk answer seen last and how many times in a row. */
  let shrunkSeen: { index: InstrumentIndex; times: number } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | undefined;
  let settled = false;
  let closed = false;
  const waiters = new Set<() => void>();
  const listeners = new Set<(status: InstrumentRegistryStatus) => void>();

  const status = (): InstrumentRegistryStatus => ({
    state,
    lastLoadedAt,
    lastError,
    consecutiveFailures,
    options: index?.counts.options ?? 0,
    futures: index?.counts.futures ?? 0,
    underlyings: index?.counts.underlyings ?? 0,
    skippedRows,
    rejectedRefreshes: { ...rejected },
    lastRejection,
  });

  /** Throws `ImplausibleList` for an answer to keep out (see the header). */
  const vet = (loaded: Loaded) => {
    const fresh = loaded.index.all.length;
    if (fresh === 0) throw new ImplausibleList('empty', 'the exchange listed no instrument at all');
    if (index === undefined) return;
    const listed = index.list({}, now()).length;
    const kept = loaded.index.list({}, now()).length;
    if (kept >= listed * MIN_KEPT_FRACTION) {
      shrunkSeen = undefined;
      return;
    }
    shrunkSeen =
      shrunkSeen !== undefined && shrunkSeen.index.sameAs(loaded.index)
        ? { index: loaded.index, times: shrunkSeen.times + 1 }
        : { index: loaded.index, times: 1 };
    if (shrunkSeen.times >= SHRINK_CONFIRMATIONS) {
      logger.warn(
        { listed, kept, confirmations: shrunkSeen.times },
        'instrument list shrank by more than half and the exchange confirmed it; taking it',
      );
      shrunkSeen = undefined;
      return;
    }
    throw new ImplausibleList('shrunk', `the exchange listed ${kept} of ${listed} instruments (more than half gone)`);
  };

  const emit = () => {
    const snapshot = status();
    for (const listener of [...listeners]) {
      try {
        listener(snapshot);
      } catch (error) {
        logger.error({ err: error }, 'instrument listener failed');
      }
    }
  };

  const settle = () => {
    settled = true;
    for (const wake of [...waiters]) wake();
  };

  const get = (path: string, signal: AbortSignal) => getJson(base + path, { fetch: fetchFn, timeoutMs, signal });

  async function load(signal: AbortSignal): Promise<Loaded> {
    const config = parseConfig(unwrapAnswer(await get(CONFIG_PATH, signal), CONFIG_PATH));
    const optionsList: Instrument[] = [];
    let skipped = config.skipped;
    const problems = [...config.problems];
    for (const underlying of config.optionUnderlyings) {
      const path = optionInstrumentsPath(underlying.base);
      const parsed = parseOptionInstruments(unwrapAnswer(await get(path, signal), path), underlying);
      optionsList.push(...parsed.instruments);
      skipped += parsed.skipped;
      problems.push(...parsed.problems);
    }
    const optionUnderlyings = config.optionUnderlyings.map((u) => u.symbol);
    return { index: buildInstrumentIndex({ futures: config.futures, options: optionsList, optionUnderlyings }), skipped, problems };
  }

  function succeeded(loaded: Loaded) {
    const previous = state;
    const changed = index === undefined || !index.sameAs(loaded.index);
    const recoveredFrom = consecutiveFailures;
    if (loaded.skipped > 0 && loaded.skipped !== skippedRows)
      logger.warn({ skipped: loaded.skipped, problems: loaded.problems }, 'instrument rows skipped as malformed');
    index = loaded.index;
    skippedRows = loaded.skipped;
    lastLoadedAt = now();
    lastError = undefined;
    consecutiveFailures = 0;
    state = 'ready';
    const counts = loaded.index.counts;
    if (previous !== 'ready') logger.info({ ...counts, recoveredFrom }, 'instrument list loaded');
    else if (recoveredFrom > 0) logger.info({ ...counts, recoveredFrom }, 'instrument refresh recovered');
    else if (changed) logger.debug({ ...counts }, 'instrument list changed');
    if (changed || previous !== state || recoveredFrom > 0) emit();
  }

  function failed(error: unknown): number {
    const previous = state;
    consecutiveFailures++;
    lastError = error instanceof Error ? error.message : String(error);
    if (state === 'loading') state = 'fallback';
    const delay = Math.max(0, Math.min(backoff(consecutiveFailures - 1), refreshMs));
    const fields = { error: lastError, failures: consecutiveFailures, retryInMs: delay };
    if (error instanceof ImplausibleList) {
      rejected[error.reason]++;
      lastRejection = lastError;
      const line = { ...fields, reason: error.reason, listed: index?.all.length ?? 0 };
      if (consecutiveFailures > 1) logger.debug(line, 'instrument refresh kept out again');
      else logger.warn(line, 'instrument refresh kept out as implausible; keeping the last list');
      emit();
      return delay;
    }
    if (consecutiveFailures > 1) logger.debug(fields, 'instrument load failed again');
    else if (state === 'fallback')
      logger.warn(fields, 'instrument list could not be loaded; checking symbols by format only until it loads');
    else logger.warn({ ...fields, lastLoadedAt }, 'instrument refresh failed; keeping the last list');
    if (previous !== state || consecutiveFailures === 1) emit();
    return delay;
  }

  async function run() {
    timer = undefined;
    const controller = new AbortController();
    inflight = controller;
    let next: number;
    try {
      const loaded = await load(controller.signal);
      if (closed) return;
      vet(loaded);
      succeeded(loaded);
      next = refreshMs;
    } catch (error) {
      if (closed) return;
      next = failed(error);
    } finally {
      inflight = undefined;
      if (!settled) settle();
    }
    timer = setTimeout(() => void run(), next);
    timer.unref?.();
  }

  void run();

  return {
    status,
    list: (filter = {}) => index?.list(filter, now()) ?? [],
    expiries: (underlying) => index?.expiries(underlying, now()) ?? [],
    checkFuturesSymbol: (symbol) => index?.checkFuturesSymbol(symbol) ?? OK,
    checkUnderlying: (underlying) => index?.checkUnderlying(underlying) ?? OK,
    checkOption: (symbol) => index?.checkOption(symbol, now()) ?? OK,
    checkExpiry: (underlying, expiry) => index?.checkExpiry(underlying, expiry, now()) ?? OK,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready(readyOptions = {}) {
      if (settled || closed) return Promise.resolve(state);
      return new Promise((resolve) => {
        let deadline: ReturnType<typeof setTimeout> | undefined;
        const wake = () => {
          waiters.delete(wake);
          if (deadline !== undefined) clearTimeout(deadline);
          resolve(state);
        };
        waiters.add(wake);
        if (readyOptions.timeoutMs !== undefined) deadline = setTimeout(wake, readyOptions.timeoutMs);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      inflight?.abort();
      listeners.clear();
      settle();
    },
  };
}
