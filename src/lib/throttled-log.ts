/**
 * A warning that may come every few seconds while a condition lasts (a
 * background round failing each time): said at once, then at most once per
 * `everyMs` with how many times it happened since, so it is seen without
 * flooding the log.
 */
import { errorText } from './errors.ts';
import type { Logger } from './logger.ts';

/** A repeated warning is said at most this often. */
export const THROTTLED_LOG_EVERY_MS = 60_000;

/** Warns `message` with the error's text, throttled; returns the function to call on each failure. */
export function throttledWarn(
  logger: Logger,
  message: string,
  { everyMs = THROTTLED_LOG_EVERY_MS, now = Date.now }: { everyMs?: number; now?: () => number } = {},
): (error: unknown) => void {
  let loggedAt: number | undefined;
  let since = 0;
  return (error) => {
    since++;
    const at = now();
    if (loggedAt !== undefined && at - loggedAt < everyMs) return;
    logger.warn({ err: errorText(error), times: since }, message);
    loggedAt = at;
    since = 0;
  };
}
