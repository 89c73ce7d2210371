/**
 * A trades subscription with `after`: the retained trades after the cursor,
 * oldest first, in batches, then live, with no gap and no repeat at the seam.
 *
 * Replay and live must not race. The subscriber joins the topic first, with a
 * listener that holds what goes live meanwhile; then the window is replayed,
 * page by page as the subscriber takes them (`resume-pages.ts`); then the
 * held live items follow without those at or before the last replayed
 * position (every live trade carries its epoch and position, stamped by the
 * topic before any listener sees it). From then on live items go straight to
 * the subscriber, still without any at or before that position (a stream
 * backend's live feed may deliver a message the replay already read) and
 * without a gap the replay already gave. Only trades of the epoch that
 * position belongs to are cut: a stream created again while the client is live
 * numbers its trades from the start, and they all go out. A live trade whose
 * position is a stand-in (a cluster replica served it from its own upstream,
 * at the last sequence it saw: `resume-window.ts` `standInPositions`) is not
 * its place: it is cut only when the replay gave a trade of its id (the last
 * `REPLAYED_IDS_KEPT` are kept, by such a window only), so a resume whose
 * replay could not be read loses none of them. Live trades come in order:
 * once one at its own place has passed the seam, nothing is cut any more and
 * no trade is looked up (stand-ins come only before the engine's first message).
 *
 * What goes live during a slow client's long replay is held within the
 * subscriber's queue limit, as its queue would be (`live-hold.ts`): past it,
 * lists merge, and past that the subscriber is dropped (SUBSCRIBER_TOO_SLOW).
 * A client that leaves mid-replay stops the reads.
 *
 * A window whose reads must follow the topic's live feed (`readsAfterConfirm`:
 * the cluster's stream, where the feed's start is fixed once the source
 * confirmed the topic) is read only once the topic is confirmed, so the replay
 * reaches at least where live begins.
 *
 * A cursor past the window: first `STREAM_INTERRUPTED` (`CURSOR_EXPIRED`,
 * from the cursor's time until the oldest retained trade's), then what is
 * retained (the same from where the replay stopped, when the window moved
 * past its next page meanwhile). The window's own gaps come back as `STREAM_INTERRUPTED`
 * (`UPSTREAM`, `ENGINE`) where they are. A cursor that is not one, of
 * another topic, or (`checkCursor` given the window) one the window never
 * issued, is refused (`BAD_USER_INPUT`) before anything is joined: a cursor
 * ahead of the stream would otherwise cut every live trade up to its position.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { badInput, subscriberTooSlow } from '../lib/errors.ts';
import { isRecord } from '../lib/json.ts';
import { decodeCursor, NOT_ISSUED, stampOf, tradeIdOf, type Cursor } from './cursor.ts';
import type { Listener, TopicHandle } from './listener.ts';
import { createLiveHold, type Held, type LiveHold } from './live-hold.ts';
import { gapKey, replayPages } from './resume-pages.ts';
import { markReplayed } from './replayed.ts';
import type { ResumeWindow, WindowTopic } from './resume-window.ts';
import { StreamInterruption } from './signals.ts';
import { createSink, DEFAULT_EVENT_QUEUE_LIMIT } from './sink.ts';
import { readiness, type AttachOptions, type Subscription } from './subscriber.ts';

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

/**
 * Decodes the `after` cursor for the topic of `args`; BAD_USER_INPUT (counted as refused) when it is not one of it,
 * or, given the `window`, one it never issued (`ResumeWindow.issued`: a position past the newest it issued, or
 * not the trade it names: a cursor is not signed, only checked).
 */
export function checkCursor(channel: AnyChannel, args: unknown, text: string, counts: ResumeCounts, window?: ResumeWindow): Cursor {
  const topic = windowTopicOf(channel, args);
  const checked = decodeCursor(text, topic);
  if (checked.ok && window?.issued?.(topic, checked.cursor) !== false) return checked.cursor;
  counts.refused += 1;
  throw badInput(`${channel.id}: "after" is refused: ${checked.ok ? NOT_ISSUED : checked.reason}.`);
}

/** Joins the topic for one subscriber resuming after `cursor` (already checked with `checkCursor`). */
export function attachResuming(
  join: (listener: Listener) => TopicHandle,
  channel: AnyChannel,
  args: unknown,
  resume: { readonly window: ResumeWindow; readonly cursor: Cursor; readonly counts: ResumeCounts },
  options: AttachOptions,
): Subscription {
  const { window, cursor, counts } = resume;
  const queueLimit = options.eventQueueLimit ?? DEFAULT_EVENT_QUEUE_LIMIT;
  let release = () => undefined as void;
  const sink = createSink<unknown>({
    delivery: channel.delivery,
    queueLimit,
    onClose: () => release(),
    ...(options.onTake === undefined ? {} : { onTake: options.onTake }),
    ...(options.failureValue === undefined ? {} : { failureValue: options.failureValue }),
  });
  // Live items that arrive while the window is replayed; undefined once live (or once the subscriber was dropped).
  let hold: LiveHold | undefined = createLiveHold(queueLimit);
  // Once live: the last replayed position (and its epoch), the last replayed trade ids (while stand-ins may come) and the gaps the replay gave (none goes out twice).
  let seam: { readonly epoch: string; readonly upTo: number; readonly ids: ReadonlySet<string> } | undefined;
  let replayedGaps: ReadonlySet<string> = new Set();
  const replayed = (trade: unknown): boolean => {
    const stamp = stampOf(trade);
    if (stamp === undefined || seam === undefined) return false;
    // A stand-in position says nothing of where the trade is: only its id does.
    if (!stamp.exact) {
      const id = tradeIdOf(trade);
      return id !== undefined && seam.ids.has(id);
    }
    return stamp.epoch === seam.epoch && stamp.position <= seam.upTo;
  };
  /** A trade at its own place past the seam (or of another epoch): what follows is all new, nothing is cut any more. */
  const past = (trade: unknown): boolean => stampOf(trade)?.exact === true;
  const fresh = (event: unknown): unknown => {
    if (!Array.isArray(event) || seam === undefined) return event;
    const kept = event.filter((trade) => !replayed(trade));
    // Live trades come in order: once one at its own place went out, the seam is behind (no lookup per trade after it).
    if (kept.some(past)) seam = undefined;
    return kept;
  };
  const pushLive = (held: Held) => {
    if ('signal' in held) {
      if (!replayedGaps.has(gapKey(held.signal))) sink.push(held.signal);
      return;
    }
    const kept = fresh(held.event);
    if (!Array.isArray(kept) || kept.length > 0) sink.push(kept, held.frameTs);
  };
  const arrive = (held: Held) => {
    if (hold === undefined) return pushLive(held);
    if (hold.hold(held)) return;
    // The replay is too slow to take for what goes live meanwhile: dropped as a slow subscriber is (the sink then takes nothing more).
    hold = undefined;
    sink.fail(
      subscriberTooSlow(
        `The subscriber fell more than ${queueLimit} events behind during its replay and was dropped; resubscribe to continue.`,
      ),
    );
  };
  const handle = join({
    deliver(event, frameTs) {
      const view = channel.filter(event, args);
      if (view !== null) arrive({ event: view, frameTs });
    },
    interrupted: (signal) => arrive({ signal }),
    resumes: true,
    fail: (error) => sink.fail(error),
    end: () => sink.end(),
  });
  release = () => handle.release();

  const topic = windowTopicOf(channel, args);
  const give = (item: StreamInterruption | unknown[]) => {
    if (item instanceof StreamInterruption) return sink.push(item);
    const view = channel.filter(item, args);
    // Marked: a throttle passes a replayed batch on as it is (oldest first), never merged into a window.
    if (view !== null) sink.push(typeof view === 'object' ? markReplayed(view) : view);
  };
  const confirmed = window.readsAfterConfirm === true ? handle.confirmed : Promise.resolve();
  void confirmed
    .then(() => (sink.closed ? undefined : replayPages({ window, topic, cursor, give, taken: () => sink.taken() })))
    .then(
      (end) => {
        if (end === undefined) return;
        if (end.expired) counts.expired += 1;
        else counts.replayed += 1;
        if (end.stopped || sink.closed) return;
        // The seam: what went live while the window was replayed, without what the replay had.
        seam = { epoch: end.epoch, upTo: end.upTo, ids: end.ids };
        replayedGaps = end.gaps;
        const held = hold?.release() ?? [];
        hold = undefined;
        for (const item of held) pushLive(item);
      },
      (error: unknown) => sink.fail(error instanceof Error ? error : new Error(String(error))),
    );
  return { events: sink, ready: readiness(handle, options.ackWaitMs) };
}
