/**
 * Fan-out from the engine: one ordered consumer per topic per replica, with a
 * single `filter_subject` (NATS 2.9 has no multi-subject filters) and a short
 * pull `expires`, so a consumer lost with the engine is recreated within
 * seconds of its return, from the sequence after the last one it delivered (the
 * client library keeps that cursor; nothing is acknowledged).
 *
 * Where it starts: after a cursor when one is given; otherwise a state topic
 * starts from its latest value (Direct Get `last_by_subj`) and an event topic
 * from the stream's next sequence (live only: the resume window answers for
 * older trades). The start is always an explicit sequence (`feed-start.ts`), so a consumer
 * recreated before its first message does not replay the stream.
 *
 * A trades topic's messages are trades or gap markers (`gap-marker.ts`); each
 * is handed on with its sequence (a trade's position, hence its cursor). A
 * trades feed that fell behind the stream's retention is told before the
 * message that follows the discarded ones (`feed-continuity.ts`: `onBehind`).
 *
 * A stream deleted and created again starts its sequences over. A trades
 * feed whose cursor lies past the new stream's last sequence, or is of another
 * stream (`afterCreated`: reopened after NATS was away, the stream created
 * again meanwhile), starts from the new stream's first message, and says first
 * (`onBehind`) that trades may be missing from the cursor's time until now
 * (the old stream's tail is gone with it).
 * One created again under a running feed (NATS up throughout) loses the
 * library's consumer, which the library recreates from its own cursor: it
 * would wait for the new stream to reach the old sequence, or go on from the
 * new stream's end, silently either way. So when the library recreates it (or
 * the server says it was deleted: the consumer's statuses) the feed reads the
 * stream's creation time once; a new one ends that consumer (nothing more of
 * it is handed on: a message that comes meanwhile waits for the check), says
 * so (`onCreatedAgain`, awaited: the reader reads the epoch again there, so
 * that the new trades' cursors carry it) and starts over on the new stream:
 * a trades feed from its first message, told first (`onBehind`) from the last
 * trade it delivered; a state feed from the subject's latest value. The
 * normal path costs nothing more: no request per message. A consumer the
 * library gives up (its stream not found at 30 recreations in a row, before
 * it delivered anything) is said (`onReopenError`) and opened again after the
 * last message delivered, on the new stream if it was created again meanwhile.
 * A feed that cannot read for a while with NATS up (its stream deleted and not
 * created again: `stream_not_found` statuses, failed reopens) says so after a
 * grace (`feed-gone.ts`, `onGone`) and goes on trying: the reader serves from
 * its own upstream meanwhile, and the feed's next message says it is back.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { contentTime, hearFrom, openContinuity, type Behind } from './feed-continuity.ts';
import { decodeStreamBody, type StreamBody } from './gap-marker.ts';
import { engineClock, liveHeldAt } from './engine-latency.ts';
import { startSequence, streamOf } from './feed-start.ts';
import { watchGone, type GoneWatch } from './feed-gone.ts';
import type { MessageCheck } from './message-check.ts';
import type { ClusterNames, ClusterTopic } from './subjects.ts';

/** How long one pull waits at the engine: short, so a lost consumer is noticed and recreated quickly. */
export const FEED_EXPIRES_MS = 3_000;
/** A feed whose consumer ended (its stream created again, or given up by the library) opens again; a failed try is repeated after this long, doubled each time up to `FEED_REOPEN_MAX_MS`. */
export const FEED_REOPEN_RETRY_MS = 1_000;
export const FEED_REOPEN_MAX_MS = 30_000;
/** The consumer's statuses after which the feed reads its stream's creation time: the library recreated the consumer, or the server deleted it. */
const RECHECK = new Set(['ordered_consumer_recreated', 'consumer_deleted']);

/** One message: trades (`envelope`) or a gap marker (`gap`), its stream sequence (a trade's cursor), and when its holder had it if it came live (`engine-latency.ts`). */
export type FeedMessage = StreamBody & { readonly seq: number; readonly heldAt?: number };

export interface FeedOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: ClusterNames;
  readonly topic: ClusterTopic;
  /** Deliver what follows this stream sequence (a cursor); undefined: see the module comment. */
  readonly after?: number;
  readonly expiresMs?: number;
  readonly onMessage: (message: FeedMessage) => void;
  /** A message that is no envelope: skipped, and said. */
  readonly onBadMessage?: (seq: number) => void;
  /** Reads each message (`message-check.ts`: bad items left out, bad messages said); its hand-off never throws on. Without it (tests of the transport), unchecked. */
  readonly check?: MessageCheck;
  /** The content time of the message at `after` (the newest trade delivered): where a gap found after it begins. */
  readonly afterTime?: number;
  /** The stream's creation time `after` is of (`Feed.created`): another one now, the stream was created again since (start over). */
  readonly afterCreated?: string | undefined;
  /** Trades topics: messages between `after` and `next` may have been discarded before this feed got them. */
  readonly onBehind?: (gap: Behind['gap'], at: Behind['at']) => void;
  /** The check behind `onBehind` failed (then `onBehind` says "may be missing" too). */
  readonly onCheckError?: (error: unknown) => void;
  /** The stream was deleted and created again (under the feed, or since `afterCreated`): awaited before a trade of the new one is handed on (a rejection: tried again). */
  readonly onCreatedAgain?: () => Promise<void>;
  /** The library gave the feed's consumer up, or opening it again failed: tried again (`FEED_REOPEN_RETRY_MS`). */
  readonly onReopenError?: (error: unknown) => void;
  /** The feed could not read its stream for `goneGraceMs` (`feed-gone.ts`; it goes on trying): the last error that said so. */
  readonly onGone?: (error: unknown) => void;
  /** The feed reads its stream again after `onGone` (before any message of it). */
  readonly onBack?: () => void;
  /** Default `FEED_GONE_GRACE_MS`. */
  readonly goneGraceMs?: number;
}

/** A feed's timings (tests shorten them). */
export type FeedTimings = Pick<FeedOptions, 'expiresMs' | 'goneGraceMs'>;

export interface Feed {
  /** The last sequence delivered (0 before the first; after a stream created again, of the new stream once it delivered). */
  readonly lastSeq: number;
  /** The creation time of the stream of the last message delivered (`afterCreated` before the first): `afterCreated` of a feed reopened after it. */
  readonly created: string | undefined;
  stop(): Promise<void>;
}

/** Where a trades feed resumes, for its continuity: the cursor and the newest trade time at it. */
const cursorOf = ({ after, afterTime }: FeedOptions) => (after === undefined ? {} : { after: { seq: after, time: afterTime ?? 0 } });

/** Why a run ended on its own (then it hands on nothing more): its stream was created again, or the library gave its consumer up. */
type End = { readonly again: true } | { readonly again: false; readonly error: unknown };

/** One consumer of the feed, from one start. */
interface Run {
  readonly created: string;
  /** It started over on a stream created again (its first message may not have come yet). */
  readonly startedOver: boolean;
  readonly ended: Promise<End>;
  stop(): Promise<void>;
}

/** What a run hands on: a message's stream (its creation time), sequence, body, content time and when its holder had it. */
type HandOn = (of: string, seq: number, body: StreamBody | undefined, time?: number, heldAt?: number) => void;

async function openRun(options: FeedOptions, handOn: HandOn, recreated: boolean, gone: GoneWatch): Promise<Run> {
  const { js, jsm, names, topic } = options;
  const openedAt = engineClock();
  const messageCheck = options.check;
  const read = (data: Uint8Array, headers: MsgHdrs | undefined, seq: number) =>
    messageCheck === undefined ? decodeStreamBody(data, headers) : messageCheck.body(data, headers, seq);
  const deliver = (of: string, data: Uint8Array, seq: number, headers: MsgHdrs | undefined) => handOn(of, seq, read(data, headers, seq));
  const { seq: start, startedOver = false, created, again } = await startSequence(options, recreated, deliver);
  if (again) await options.onCreatedAgain?.();
  const stream = streamOf(names, topic);
  const continuity =
    topic.kind === 'event'
      ? await openContinuity({ jsm, stream, subject: names.subject(topic), start, ...(startedOver ? {} : cursorOf(options)) })
      : undefined;
  const tell = (behind: Behind | undefined) => {
    if (behind === undefined) return;
    if (behind.error !== undefined) options.onCheckError?.(behind.error);
    options.onBehind?.(behind.gap, behind.at);
  };
  // The stream was created again past the cursor: what the old one held after it is gone with it.
  if (startedOver && topic.kind === 'event') {
    const now = Date.now();
    const since = options.afterTime !== undefined && options.afterTime > 0 ? Math.min(options.afterTime, now) : now;
    tell({ gap: { since, until: now }, at: { after: options.after ?? 0, next: start } });
  }
  const consumer = await js.consumers.get(stream, {
    filter_subjects: names.subject(topic),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
  });
  const messages: ConsumerMessages = await consumer.consume({ expires: options.expiresMs ?? FEED_EXPIRES_MS });
  let end = (_: End) => undefined as void;
  const ended = new Promise<End>((resolve) => (end = resolve));
  let over = false;
  const finish = (why: End) => {
    if (over) return;
    over = true;
    end(why);
  };
  /** The latest check of the stream's creation time, while it runs (a message waits for it: it may come from the new stream). */
  let checking: Promise<void> | undefined;
  const check = () => {
    const current: Promise<void> = jsm.streams.info(stream).then(
      (info) => {
        if (info.created !== created) finish({ again: true });
        if (checking === current) checking = undefined;
      },
      () => void (checking === current && (checking = undefined)), // not found (yet): the next recreation of the consumer checks again
    );
    checking = current;
  };
  void (async () => {
    for await (const status of messages.status()) {
      if (status.type === 'stream_not_found') gone.missing(new Error(`stream ${status.name} not found`));
      if (status.type === 'ordered_consumer_recreated') gone.present();
      if (RECHECK.has(status.type)) check();
    }
  })().catch(() => undefined);
  const done = (async () => {
    for await (const m of messages) {
      if (checking !== undefined) await checking;
      if (over) continue;
      const heldAt = liveHeldAt(m.headers, openedAt);
      const body = read(m.data, m.headers, m.seq);
      const storedAt = m.time.getTime();
      const time = contentTime(body, storedAt);
      if (continuity !== undefined) tell(await continuity.judge({ seq: m.seq, storedAt, pending: m.info.pending, time }));
      handOn(created, m.seq, body, time, heldAt);
    }
  })();
  done.catch((error: unknown) => finish({ again: false, error })); // e.g. the stream not found at 30 recreations in a row
  if (continuity !== undefined) hearFrom(messages, continuity);
  let stopping: Promise<void> | undefined;
  return {
    created,
    startedOver,
    ended,
    stop: () =>
      (stopping ??= (async () => {
        over = true;
        messages.stop();
        await done.catch(() => undefined);
        await consumer.delete().catch(() => undefined);
      })()),
  };
}

export async function openFeed(options: FeedOptions): Promise<Feed> {
  let lastSeq = 0;
  /** The newest time a message delivered spoke of (where the trades lost with an old stream begin). */
  let lastTime = options.afterTime;
  let stopped = false;
  /** Messages handed on so far (a run that handed on none after starting over starts over again when reopened). */
  let delivered = 0;
  /** The creation time of the stream the last message came from (`Feed.created`). */
  let lastCreated: string | undefined;
  const gone = watchGone({ graceMs: options.goneGraceMs, onGone: options.onGone, onBack: options.onBack });
  const handOn: HandOn = (of, seq, body, time, heldAt) => {
    if (stopped) return; // a run reopening when the feed stopped: nothing of it goes on
    gone.present();
    delivered += 1;
    lastSeq = seq;
    lastCreated = of;
    if (time !== undefined) lastTime = time;
    if (body === undefined) return void options.onBadMessage?.(seq);
    try {
      options.onMessage(heldAt === undefined ? { ...body, seq } : { ...body, seq, heldAt });
    } catch (error) {
      if (options.check === undefined) throw error;
      options.check.failed(seq, error);
    }
  };
  let run = await openRun(options, handOn, false, gone);
  /** Ends the wait before another try when the feed stops (no timer left behind). */
  let wake = () => undefined as void;
  let timer: NodeJS.Timeout | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  /** `current` ended on its own: a new run, on the new stream if it was created again (tried again, slower each time, until it opens or the feed stops). */
  const follow = (current: Run, mark: number) =>
    void current.ended.then(async (why) => {
      await current.stop();
      if (!why.again) {
        options.onReopenError?.(why.error);
        gone.missing(why.error);
      }
      const over = why.again || (current.startedOver && delivered === mark);
      for (let wait = FEED_REOPEN_RETRY_MS; !stopped; wait = Math.min(2 * wait, FEED_REOPEN_MAX_MS)) {
        try {
          const after = lastSeq > 0 ? { after: lastSeq, afterTime: lastTime ?? 0 } : {};
          const next = await openRun({ ...options, ...after, afterCreated: current.created }, handOn, over, gone);
          if (stopped) return void (await next.stop());
          gone.present();
          run = next;
          return follow(next, delivered);
        } catch (error) {
          if (stopped) return;
          options.onReopenError?.(error);
          gone.missing(error);
          await pause(wait);
        }
      }
    });
  follow(run, delivered);
  return {
    get lastSeq() {
      return lastSeq;
    },
    get created() {
      return lastCreated ?? options.afterCreated;
    },
    stop: async () => {
      stopped = true;
      gone.stop();
      clearTimeout(timer);
      wake();
      await run.stop();
    },
  };
}
