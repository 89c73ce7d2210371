/**
 * A feed that cannot read its stream while NATS stays up (`feed.ts`): the
 * stream deleted and not created again (the gateway's NATS user may not create
 * streams, say), so the library's ordered consumer cannot be recreated. The
 * library tries again for ever (a `stream_not_found` status each time) and
 * gives up only when it never received anything; the feed's own reopens fail
 * too. Its clients would get nothing, and not be told.
 *
 * So each sign that the feed cannot read (a `stream_not_found` status, a run
 * that ended with an error, a reopen that failed) starts a grace
 * (`FEED_GONE_GRACE_MS`), unless one runs or the gone was said already; the
 * feed reading again (a consumer created, a run opened, a message) ends it.
 * At its end the stream is said gone (`onGone`, once until the feed reads
 * again, said by `onBack`): the reader serves its clients from its own
 * upstream (`reader.ts`) until the engine's first message.
 * The grace outlasts the replicas' upkeep (`ENGINE_UPKEEP_MS`: a stream the
 * upkeep creates again at once is read again within it, no switch).
 */

/**
 * How long a feed may be unable to read before its stream is said gone: longer than the upkeep's round (2 s) that
 * creates a deleted stream again, and the library's next recreation of the consumer after it (its backoff: 250 ms to
 * 750 ms for the first tries).
 */
export const FEED_GONE_GRACE_MS = 6_000;

export interface GoneOptions {
  /** The grace (`FEED_GONE_GRACE_MS`; tests shorten it). */
  readonly graceMs?: number | undefined;
  /** The feed could not read for the whole grace: the last error that said so. */
  readonly onGone?: ((error: unknown) => void) | undefined;
  /** The feed reads again after its gone was said (a consumer created on the stream created again: before any message, which a quiet topic may not send for long). */
  readonly onBack?: (() => void) | undefined;
}

export interface GoneWatch {
  /** A sign that the feed cannot read its stream: starts the grace, unless it runs or the gone was said. */
  missing(error: unknown): void;
  /** The feed reads again: the grace ends, and a later gone is said again. */
  present(): void;
  /** The feed stopped: no timer left, nothing said after. */
  stop(): void;
}

export function watchGone(options: GoneOptions): GoneWatch {
  let timer: NodeJS.Timeout | undefined;
  let lastError: unknown;
  let said = false;
  let stopped = false;
  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return {
    missing(error) {
      lastError = error;
      if (stopped || said || timer !== undefined || options.onGone === undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        said = true;
        options.onGone?.(lastError);
      }, options.graceMs ?? FEED_GONE_GRACE_MS);
      timer.unref();
    },
    present() {
      clear();
      if (!said) return;
      said = false;
      if (!stopped) options.onBack?.();
    },
    stop() {
      stopped = true;
      clear();
    },
  };
}
