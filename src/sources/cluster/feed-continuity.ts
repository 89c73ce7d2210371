/**
 * Whether a trades feed skipped messages the stream discarded before it got
 * them (`feed.ts`). The trades stream keeps `RESUME_WINDOW_MS` (max age) and
 * `RESUME_MAX_EVENTS_PER_TOPIC` per subject, discard old; an ordered consumer
 * that falls behind simply continues with the next kept message. Sequence
 * jumps alone say nothing (other topics' messages are interleaved), and a
 * Direct Get per message is too dear, so the rule is:
 *
 * 1. A message `next` that follows the last one delivered (`after`) with a
 *    jump may have skipped lost messages only if the stream removed `after`
 *    itself before sending `next`: removals go oldest first, per subject (the
 *    limit) and over the stream (the age), so a lost message between implies a
 *    lost `after`.
 * 2. That is checked (one Direct Get: is `after` still kept?) only when the
 *    cheap signs of a removal hold, each necessary for one:
 *    - the limit: `next`'s pending count (messages of the subject after it) is
 *      within `LIMIT_MARGIN` of the per-subject limit (after a removal by the
 *      limit, `next` is the oldest of a full subject);
 *    - the age: `after` was stored at least `AGE_MARGIN` of the max age ago and
 *      it was delivered while more waited (a feed that far behind), or the
 *      feed heard nothing from the engine (no message, heartbeat or pull
 *      expiry: a stalled process or connection) for that long: then every jump
 *      within `STALL_GRACE_MS` after is checked (what reached the feed's socket
 *      before the stall comes first, then what the stream still kept). A live
 *      feed of a quiet topic hears a heartbeat every second or so: no check.
 * 3. `after` gone: trades between may be missing (said as such; a rare false
 *    positive is a feed exactly at the limit with nothing lost between, or a
 *    message removed between sending `next` and the check). A feed's first
 *    message after a live start has no `after` to check: the signs alone say it.
 *    A check that fails says "may be missing" too, with the error.
 */
import type { ConsumerMessages, JetStreamManager } from '@nats-io/jetstream';
import type { StreamBody } from './gap-marker.ts';
import { timeOf } from './trade-items.ts';

/** The stream's limits (its configuration; 0 or less: none). */
export interface StreamLimits {
  readonly maxAgeMs: number;
  readonly maxPerSubject: number;
}

const NANOS_PER_MS = 1_000_000;
/** Within this share of the per-subject limit, a feed's pending count may mean a removal (the server's count may lag). */
export const LIMIT_MARGIN = 0.1;
/** A feed behind by this share of the max age (or silent that long) may have lost messages to the age. */
export const AGE_MARGIN = 0.5;
/** After such a silence, jumps are checked this long: the messages sent before it, then the first pulls after. */
export const STALL_GRACE_MS = 10_000;

/** One delivered message as the rule needs it. */
export interface Delivered {
  readonly seq: number;
  /** When the engine stored it (epoch ms, the engine's clock). */
  readonly storedAt: number;
  /** Messages of the subject after it when it was sent (`JsMsg.info.pending`). */
  readonly pending: number;
  /** Its content's time: the newest trade's time, a gap marker's end. */
  readonly time: number;
}

/** Trades from `since` until `until` (epoch ms) may be missing between stream sequences `after` and `next`. */
export interface Behind {
  readonly gap: { readonly since: number; readonly until: number };
  readonly at: { readonly after: number; readonly next: number };
  /** The check failed: missing is possible, not shown. */
  readonly error?: unknown;
}

export interface ContinuityOptions {
  readonly limits: StreamLimits;
  /** The last message delivered before this feed (a cursor) and its content time; undefined: a live start at `startSeq`. */
  readonly after?: { readonly seq: number; readonly time: number };
  /** The first sequence the feed asks for (a live start). */
  readonly startSeq: number;
  readonly now: () => number;
  /** Whether the message at `seq` is still kept (a Direct Get on the subject). */
  readonly kept: (seq: number) => Promise<boolean>;
}

export interface Continuity {
  /** The engine said something to the feed (a heartbeat, a pull's end): it was not stalled. */
  heard(): void;
  /** Judges `next` before it is handed on: what may be missing before it, if anything. */
  judge(next: Delivered): Promise<Behind | undefined>;
}

/** The newest time a stream message speaks of (undefined body: its stored time). */
export function contentTime(body: StreamBody | undefined, storedAt: number): number {
  if (body?.gap !== undefined) return body.gap.until;
  if (body?.envelope === undefined || body.envelope.items.length === 0) return body?.envelope?.ts ?? storedAt;
  const { items, ts } = body.envelope;
  return Math.max(...items.map((item) => timeOf(item, ts)));
}

interface Last {
  readonly seq: number;
  readonly time: number;
  /** Undefined for a cursor (unknown: the first jump is checked) or a live start. */
  readonly delivered?: Delivered;
  /** A message of the subject whose keeping can be checked (not a live start). */
  readonly checkable: boolean;
}

export function createContinuity(options: ContinuityOptions): Continuity {
  const { limits, now } = options;
  const start = now();
  let last: Last =
    options.after === undefined
      ? { seq: options.startSeq - 1, time: start, checkable: false }
      : { seq: options.after.seq, time: options.after.time, checkable: true };
  let lastHeard = start;
  /** Until when jumps are checked after a silence long enough for the age to remove what the feed had not read. */
  let stalledUntil = Number.NEGATIVE_INFINITY;

  const heard = () => {
    const at = now();
    if (limits.maxAgeMs > 0 && at - lastHeard >= limits.maxAgeMs * AGE_MARGIN) stalledUntil = at + STALL_GRACE_MS;
    lastHeard = at;
  };

  const nearLimit = (next: Delivered) => limits.maxPerSubject > 0 && next.pending + 1 >= limits.maxPerSubject * (1 - LIMIT_MARGIN);

  const aged = () => {
    if (limits.maxAgeMs <= 0) return false;
    if (now() < stalledUntil) return true;
    const { delivered } = last;
    return delivered !== undefined && delivered.pending > 0 && now() - delivered.storedAt >= limits.maxAgeMs * AGE_MARGIN;
  };

  const lost = async (next: Delivered): Promise<Behind | undefined> => {
    const at = { after: last.seq, next: next.seq };
    const gap = { since: Math.min(last.time, next.time), until: next.time };
    if (!last.checkable) return { gap, at };
    try {
      return (await options.kept(last.seq)) ? undefined : { gap, at };
    } catch (error) {
      return { gap, at, error };
    }
  };

  return {
    heard,
    async judge(next) {
      heard();
      const jumped = next.seq > last.seq + 1;
      // After a cursor nothing is known of how the feed got there: its first jump is checked.
      const cursor = last.delivered === undefined && last.checkable;
      const behind = jumped && (cursor || nearLimit(next) || aged()) ? await lost(next) : undefined;
      last = { seq: next.seq, time: next.time, delivered: next, checkable: true };
      return behind;
    },
  };
}

/** Server statuses that show the feed's pull was answered (the engine heard it): not a stalled feed. */
const HEARD = new Set(['heartbeat', 'discard', 'debug']);

/** Feeds the consumer's server statuses to `continuity` until the messages stop. */
export function hearFrom(messages: ConsumerMessages, continuity: Continuity): void {
  void (async () => {
    for await (const status of messages.status()) if (HEARD.has(status.type)) continuity.heard();
  })().catch(() => undefined); // statuses lost only make silences longer: more checks, never fewer
}

export interface OpenContinuity {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
  readonly start: number;
  readonly after?: { readonly seq: number; readonly time: number };
}

/** A trades feed's judge: the stream's limits read from its configuration, the check a Direct Get on the subject. */
export async function openContinuity(options: OpenContinuity): Promise<Continuity> {
  const { jsm, stream, subject } = options;
  const { config } = await jsm.streams.info(stream);
  const limits = { maxAgeMs: Math.floor(config.max_age / NANOS_PER_MS), maxPerSubject: config.max_msgs_per_subject ?? 0 };
  return createContinuity({
    limits,
    startSeq: options.start,
    ...(options.after === undefined ? {} : { after: options.after }),
    now: Date.now,
    kept: async (seq) => (await jsm.direct.getMessage(stream, { seq, next_by_subj: subject }))?.seq === seq,
  });
}
