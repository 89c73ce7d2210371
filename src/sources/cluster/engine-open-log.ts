/**
 * What the log says while the engine cannot be opened at start (the link
 * retries every couple of seconds, `engine-link.ts`): the first failure at
 * once, then at most one line a minute with how many attempts failed since, so
 * an engine away for hours does not flood the log (a failure of another kind
 * is said at once). A NATS server without
 * JetStream is a configuration error, not a passing outage: said at error
 * level with what to do.
 */
import type { Logger } from '../../lib/logger.ts';
import { errorText } from '../../lib/errors.ts';

/** While the engine stays unreachable, its failed attempts are logged at most this often. */
export const ENGINE_OPEN_LOG_EVERY_MS = 60_000;

export const ENGINE_NOT_REACHABLE = 'cluster engine not reachable yet; serving alone meanwhile (retrying)';
export const JETSTREAM_NOT_ENABLED =
  'cluster engine refused: JetStream is not enabled on the NATS server (a configuration error, not an outage): ' +
  'run nats-server with -js (and -sd <dir> for its storage); serving alone meanwhile (retrying)';

export interface EngineOpenLog {
  /** One attempt failed with `error`. */
  failed(error: unknown): void;
}

/** Whether `error` is the client library's JetStreamNotEnabled (the server runs without -js). */
function jetStreamDisabled(error: unknown): boolean {
  return error instanceof Error && (error.name === 'JetStreamNotEnabled' || /jetstream is not enabled/i.test(error.message));
}

export function createEngineOpenLog(logger: Logger, now: () => number = Date.now): EngineOpenLog {
  let loggedAt: number | undefined;
  let loggedKind: boolean | undefined;
  let unlogged = 0;
  return {
    failed(error) {
      unlogged++;
      const at = now();
      const disabled = jetStreamDisabled(error);
      if (loggedAt !== undefined && disabled === loggedKind && at - loggedAt < ENGINE_OPEN_LOG_EVERY_MS) return;
      const fields = { err: errorText(error), attempts: unlogged, ...(loggedAt === undefined ? {} : { sinceMs: at - loggedAt }) };
      if (disabled) logger.error(fields, JETSTREAM_NOT_ENABLED);
      else logger.warn(fields, ENGINE_NOT_REACHABLE);
      loggedAt = at;
      loggedKind = disabled;
      unlogged = 0;
    },
  };
}
