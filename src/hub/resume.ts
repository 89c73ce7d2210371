/**
 * A trades subscription with `after`: the retained trades after the cursor,
 * oldest first, in batches, then live, with no gap and no repeat at the seam.
 *
 * Replay and live must not race. The subscriber joins the topic first, with a
 * listener that buffers what goes live meanwhile; then the window is read;
 * then the replay is queued, and the buffered live items follow without those
 * at or before the last replayed position (every live trade carries its
 * position, stamped by the topic before any listener sees it). From then on
 * live items go straight to the subscriber, still without any at or before
 * that position (a stream backend's live feed may deliver a message the
 * replay already read) and without a gap the replay already gave.
 *
 * A window whose reads must follow the topic's live feed (`readsAfterConfirm`:
 * the cluster's stream, where the feed's start is fixed once the source
 * confirmed the topic) is read only once the topic is confirmed, so the replay
 * reaches at least where live begins.
 *
 * A cursor past the window: first `STREAM_INTERRUPTED` (`CURSOR_EXPIRED`,
 * from the cursor's time until the oldest retained trade's), then what is
 * retained. The window's own gaps come back as `STREAM_INTERRUPTED`
 * (`UPSTREAM`, `ENGINE`) where they are. A cursor that is not one, or of
 * another topic, is refused (`BAD_USER_INPUT`) before anything is joined.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { badInput } from '../lib/errors.ts';
import { isRecord } from '../lib/json.ts';
import { decodeCursor, positionOf, stampTrade, tradeIdOf, type Cursor } from './cursor.ts';
import { afterSeam } from './cursor-seam.ts';
import type { Listener, TopicHandle } from './listener.ts';
import type { ResumeWindow, WindowEntry, WindowTopic } from './resume-window.ts';
import { StreamInterruption } from './signals.ts';
import { createSink } from './sink.ts';
import { readiness, type AttachOptions, type Subscription } from './subscriber.ts';

/** Most trades in one replayed message (a client's message size stays sane; a 20 000-trade replay is 20 messages). */
export const REPLAY_BATCH_TRADES = 1_000;

/** Resumes by their outcome, for `coincall_gateway_resumes_total{result}`. */
export interface ResumeCounts {
  replayed: number;
  expired: number;
  refused: number;
}

export const newResumeCounts = (): ResumeCounts => ({ replayed: 0, expired: 0, refused: 0 });

/** The `after` argument of validated trades arguments, when there is one. */
export function afterOf(args: unknown): string | undefined {
  return isRecord(args) && typeof args['after'] === 'string' ? args['after'] : undefined;
}

/** The topic `args` of `channel` name, as the window names it. */
export const windowTopicOf = (channel: AnyChannel, args: unknown): WindowTopic => ({ channel: channel.id, key: channel.topic(args).key });

/** Decodes the `after` cursor for the topic of `args`; BAD_USER_INPUT (counted as refused) when it is not one of it. */
export function checkCursor(channel: AnyChannel, args: unknown, text: string, counts: ResumeCounts): Cursor {
  const checked = decodeCursor(text, windowTopicOf(channel, args));
  if (checked.ok) return checked.cursor;
  counts.refused += 1;
  throw badInput(`${channel.id}: "after" is refused: ${checked.reason}.`);
}

/** What a window read turns into for the subscriber: signals and trade batches (oldest first), and the last position read. */
export function replayOf(
  window: ResumeWindow,
  topic: WindowTopic,
  entries: readonly WindowEntry[],
  cursor?: Cursor,
): { readonly items: Array<StreamInterruption | unknown[]>; readonly last: number } {
  const items: Array<StreamInterruption | unknown[]> = [];
  let batch: unknown[] = [];
  let last = Number.NEGATIVE_INFINITY;
  const flush = () => {
    if (batch.length > 0) items.push(batch);
    batch = [];
  };
  // What was read reaches `last`, though the client had some of it (`cursor-seam.ts`).
  for (const entry of entries) last = Math.max(last, entry.position);
  for (const entry of cursor === undefined ? entries : afterSeam(entries, cursor)) {
    if (entry.kind === 'gap') {
      flush();
      items.push(new StreamInterruption(entry.since, entry.until, entry.reason));
      continue;
    }
    const trade = isRecord(entry.trade)
      ? stampTrade(entry.trade, { topic, epoch: window.epoch, position: entry.position, at: entry.at, id: tradeIdOf(entry.trade) })
      : entry.trade;
    batch.push(trade);
    if (batch.length >= REPLAY_BATCH_TRADES) flush();
  }
  flush();
  return { items, last };
}

type Buffered = { readonly event: unknown; readonly frameTs: number | undefined } | { readonly signal: StreamInterruption };

/** Joins the topic for one subscriber resuming after `cursor` (already checked with `checkCursor`). */
export function attachResuming(
  join: (listener: Listener) => TopicHandle,
  channel: AnyChannel,
  args: unknown,
  resume: { readonly window: ResumeWindow; readonly cursor: Cursor; readonly counts: ResumeCounts },
  options: AttachOptions,
): Subscription {
  const { window, cursor, counts } = resume;
  let release = () => undefined as void;
  const sink = createSink<unknown>({
    delivery: channel.delivery,
    ...(options.eventQueueLimit === undefined ? {} : { queueLimit: options.eventQueueLimit }),
    onClose: () => release(),
    ...(options.onTake === undefined ? {} : { onTake: options.onTake }),
    ...(options.failureValue === undefined ? {} : { failureValue: options.failureValue }),
  });
  // Live items that arrive while the window is read; undefined once live.
  let buffer: Buffered[] | undefined = [];
  // Once live: the last replayed position and the gaps the replay gave (neither goes out twice).
  let upTo = Number.NEGATIVE_INFINITY;
  const replayedGaps = new Set<string>();
  const fresh = (event: unknown): unknown =>
    Array.isArray(event) ? event.filter((trade) => (positionOf(trade) ?? Infinity) > upTo) : event;
  const pushLive = (held: Buffered) => {
    if ('signal' in held) {
      if (!replayedGaps.has(`${held.signal.since}:${held.signal.until}`)) sink.push(held.signal);
      return;
    }
    const kept = fresh(held.event);
    if (!Array.isArray(kept) || kept.length > 0) sink.push(kept, held.frameTs);
  };
  const handle = join({
    deliver(event, frameTs) {
      const view = channel.filter(event, args);
      if (view === null) return;
      if (buffer === undefined) pushLive({ event: view, frameTs });
      else buffer.push({ event: view, frameTs });
    },
    interrupted(signal) {
      if (buffer === undefined) pushLive({ signal });
      else buffer.push({ signal });
    },
    fail: (error) => sink.fail(error),
    end: () => sink.end(),
  });
  release = () => handle.release();

  const topic = windowTopicOf(channel, args);
  const confirmed = window.readsAfterConfirm === true ? handle.confirmed : Promise.resolve();
  void confirmed
    .then(() => (sink.closed ? undefined : window.after(topic, cursor.epoch, cursor.position)))
    .then(
      (read) => {
        if (sink.closed || read === undefined) return;
        if (read.status === 'unavailable') {
          // Nothing can be replayed now: the trades after the cursor may be missing until live.
          counts.expired += 1;
          sink.push(new StreamInterruption(cursor.at, Math.max(cursor.at, Date.now()), read.reason));
          upTo = cursor.position;
          for (const held of buffer ?? []) pushLive(held);
          buffer = undefined;
          return;
        }
        const { items, last } = replayOf(window, topic, read.entries, cursor);
        if (read.status === 'expired') {
          counts.expired += 1;
          sink.push(new StreamInterruption(cursor.at, Math.max(cursor.at, read.oldestAt), 'CURSOR_EXPIRED'));
        } else counts.replayed += 1;
        for (const item of items) {
          if (item instanceof StreamInterruption) {
            replayedGaps.add(`${item.since}:${item.until}`);
            sink.push(item);
          } else {
            const view = channel.filter(item, args);
            if (view !== null) sink.push(view);
          }
        }
        // The seam: what went live while the window was read, without what the replay had.
        upTo = read.status === 'kept' ? Math.max(last, cursor.position) : last;
        for (const held of buffer ?? []) pushLive(held);
        buffer = undefined;
      },
      (error: unknown) => sink.fail(error instanceof Error ? error : new Error(String(error))),
    );
  return { events: sink, ready: readiness(handle, options.ackWaitMs) };
}
