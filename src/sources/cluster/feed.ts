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
 * is handed on with its sequence (a trade's position, hence its cursor).
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { decodeStreamBody, type StreamBody } from './gap-marker.ts';
import type { ClusterNames, ClusterTopic } from './subjects.ts';

/** How long one pull waits at the engine: short, so a lost consumer is noticed and recreated quickly. */
export const FEED_EXPIRES_MS = 3_000;

/** One message: trades (`envelope`) or a gap marker (`gap`), and its stream sequence (a trade's cursor). */
export type FeedMessage = StreamBody & { readonly seq: number };

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
}

export interface Feed {
  /** The last sequence delivered (0 before the first). */
  readonly lastSeq: number;
  stop(): Promise<void>;
}

function streamOf(names: ClusterNames, topic: ClusterTopic): string {
  return topic.kind === 'event' ? names.eventStream : names.stateStream;
}

/** The first sequence to consume, delivering a state topic's latest value on the way. */
async function startSequence(
  options: FeedOptions,
  deliver: (data: Uint8Array, seq: number, headers: MsgHdrs | undefined) => void,
): Promise<number> {
  const { jsm, names, topic } = options;
  if (options.after !== undefined) return options.after + 1;
  const stream = streamOf(names, topic);
  const info = await jsm.streams.info(stream);
  const next = info.state.last_seq + 1;
  if (topic.kind === 'event') return next;
  const latest = await jsm.direct.getMessage(stream, { last_by_subj: names.subject(topic) });
  if (latest === null) return next;
  deliver(latest.data, latest.seq, latest.header);
  return latest.seq + 1;
}

export async function openFeed(options: FeedOptions): Promise<Feed> {
  const { js, names, topic } = options;
  let lastSeq = 0;
  const deliver = (data: Uint8Array, seq: number, headers: MsgHdrs | undefined) => {
    lastSeq = seq;
    const body = decodeStreamBody(data, headers);
    if (body === undefined) options.onBadMessage?.(seq);
    else options.onMessage({ ...body, seq });
  };
  const start = await startSequence(options, deliver);
  const consumer = await js.consumers.get(streamOf(names, topic), {
    filter_subjects: names.subject(topic),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
  });
  const messages: ConsumerMessages = await consumer.consume({ expires: options.expiresMs ?? FEED_EXPIRES_MS });
  const done = (async () => {
    for await (const m of messages) deliver(m.data, m.seq, m.headers);
  })();
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
