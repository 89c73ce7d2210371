/**
 * Limits of the HTTP subscriptions' fast path (`server/http-streaming/fast-subscribe.ts`).
 * Not settings: a request beyond them is simply served by yoga, as before.
 */

/** The largest POST body the fast path reads itself (a subscription's JSON is far smaller; larger ones go to yoga). */
export const FAST_PATH_MAX_BODY_BYTES = 64 * 1024;
