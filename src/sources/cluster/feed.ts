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
 * older trades). The start is always an explicit sequence, so a consumer
 * recreated before its first message does not replay the stream.
 *
 * A trades topic's messages are trades or gap markers (`gap-marker.ts`); each
 * is handed on with its sequence (a trade's position, hence its cursor). A
 * trades feed that fell behind the stream's retention is told before the
 * message that follows the discarded ones (`feed-continuity.ts`: `onBehind`).
 *
 * A trades feed whose cursor lies past the stream's last sequence finds a
 * stream deleted and created again (its sequences start over): it starts from
 * the new stream's first message, and says first (`onBehind`) that trades may
 * be missing from the cursor's time until now (the old stream's tail is gone
 * with it). Never a feed waiting silently for the new stream to reach the old
 * cursor.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { contentTime, hearFrom, openContinuity, type Behind } from './feed-continuity.ts';
import { decodeStreamBody, type StreamBody } from './gap-marker.ts';
import { engineClock, liveHeldAt } from './engine-latency.ts';
import type { MessageCheck } from './message-check.ts';
import type { ClusterNames, ClusterTopic } from './subjects.ts';

/** How long one pull waits at the engine: short, so a lost consumer is noticed and recreated quickly. */
export const FEED_EXPIRES_MS = 3_000;

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
  /** Trades topics: messages between `after` and `next` may have been discarded before this feed got them. */
  readonly onBehind?: (gap: Behind['gap'], at: Behind['at']) => void;
  /** The check behind `onBehind` failed (then `onBehind` says "may be missing" too). */
  readonly onCheckError?: (error: unknown) => void;
}

export interface Feed {
  /** The last sequence delivered (0 before the first). */
  readonly lastSeq: number;
  stop(): Promise<void>;
}

function streamOf(names: ClusterNames, topic: ClusterTopic): string {
  return topic.kind === 'event' ? names.eventStream : names.stateStream;
}

/** Where a feed starts; `startedOver`: its cursor lay past the stream's end (a stream created again), so it starts at the new stream's first. */
interface Start {
  readonly seq: number;
  readonly startedOver?: boolean;
}

/** The first sequence to consume, delivering a state topic's latest value on the way. */
async function startSequence(
  options: FeedOptions,
  deliver: (data: Uint8Array, seq: number, headers: MsgHdrs | undefined) => void,
): Promise<Start> {
  const { jsm, names, topic } = options;
  const stream = streamOf(names, topic);
  if (options.after !== undefined && topic.kind !== 'event') return { seq: options.after + 1 };
  const info = await jsm.streams.info(stream);
  if (options.after !== undefined) {
    if (options.after <= info.state.last_seq) return { seq: options.after + 1 };
    return { seq: Math.max(1, info.state.first_seq), startedOver: true };
  }
  const next = info.state.last_seq + 1;
  if (topic.kind === 'event') return { seq: next };
  const latest = await jsm.direct.getMessage(stream, { last_by_subj: names.subject(topic) });
  if (latest === null) return { seq: next };
  deliver(latest.data, latest.seq, latest.header);
  return { seq: latest.seq + 1 };
}

/** Where a trades feed resumes, for its continuity: the cursor and the newest trade time at it. */
const cursorOf = ({ after, afterTime }: FeedOptions) => (after === undefined ? {} : { after: { seq: after, time: afterTime ?? 0 } });

export async function openFeed(options: FeedOptions): Promise<Feed> {
  const { js, names, topic } = options;
  let lastSeq = 0;
  const { check } = options;
  const read = (data: Uint8Array, headers: MsgHdrs | undefined, seq: number) =>
    check === undefined ? decodeStreamBody(data, headers) : check.body(data, headers, seq);
  const handOn = (seq: number, body: StreamBody | undefined, heldAt?: number) => {
    lastSeq = seq;
    if (body === undefined) return void options.onBadMessage?.(seq);
    try {
      options.onMessage(heldAt === undefined ? { ...body, seq } : { ...body, seq, heldAt });
    } catch (error) {
      if (check === undefined) throw error;
      check.failed(seq, error);
    }
  };
  const deliver = (data: Uint8Array, seq: number, headers: MsgHdrs | undefined) => handOn(seq, read(data, headers, seq));
  const openedAt = engineClock();
  const { seq: start, startedOver = false } = await startSequence(options, deliver);
  const stream = streamOf(names, topic);
  const continuity =
    topic.kind === 'event'
      ? await openContinuity({
          jsm: options.jsm,
          stream,
          subject: names.subject(topic),
          start,
          ...(startedOver ? {} : cursorOf(options)),
        })
      : undefined;
  const tell = (behind: Behind | undefined) => {
    if (behind === undefined) return;
    if (behind.error !== undefined) options.onCheckError?.(behind.error);
    options.onBehind?.(behind.gap, behind.at);
  };
  // The stream was created again past the cursor: what the old one held after it is gone with it.
  if (startedOver) {
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
  const done = (async () => {
    for await (const m of messages) {
      const heldAt = liveHeldAt(m.headers, openedAt);
      const body = read(m.data, m.headers, m.seq);
      const storedAt = m.time.getTime();
      if (continuity !== undefined)
        tell(await continuity.judge({ seq: m.seq, storedAt, pending: m.info.pending, time: contentTime(body, storedAt) }));
      handOn(m.seq, body, heldAt);
    }
  })();
  if (continuity !== undefined) hearFrom(messages, continuity);
  return {
    get lastSeq() {
      return lastSeq;
    },
    stop: async () => {
      messages.stop();
      await done.catch(() => undefined);
      await consumer.delete().catch(() => undefined);
    },
  };
}
