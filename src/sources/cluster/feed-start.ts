/**
 * Where a feed (`feed.ts`) starts reading its stream: after its cursor, or
 * from the stream's first message when the stream is another than the one the
 * cursor is of (created again) or the cursor lies past its end; without a
 * cursor, a state topic from its latest value (Direct Get `last_by_subj`,
 * delivered on the way) and an event topic from the stream's next sequence.
 * Always an explicit sequence, read with the stream's creation time.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { ClusterNames, ClusterTopic } from './subjects.ts';

export function streamOf(names: ClusterNames, topic: ClusterTopic): string {
  return topic.kind === 'event' ? names.eventStream : names.stateStream;
}

/** What the start is judged from: the feed's stream and cursor (`FeedOptions`). */
export interface StartOptions {
  readonly jsm: JetStreamManager;
  readonly names: ClusterNames;
  readonly topic: ClusterTopic;
  /** The cursor: deliver what follows this stream sequence. */
  readonly after?: number;
  /** The stream's creation time `after` is of. */
  readonly afterCreated?: string | undefined;
}

/** Where a feed starts; `startedOver`: its cursor lay past the stream's end, or the stream was created again under it: it starts at the new stream's first. */
export interface Start {
  readonly seq: number;
  readonly startedOver?: boolean;
  /** The stream's creation time when it was read (a later one: the stream was created again). */
  readonly created: string;
  /** The stream is another than the one the feed read before (`recreated`, or `afterCreated` differs). */
  readonly again: boolean;
}

/** The first sequence to consume, delivering a state topic's latest value on the way; `recreated`: the stream was found created again under the feed. */
export async function startSequence(
  options: StartOptions,
  recreated: boolean,
  deliver: (created: string, data: Uint8Array, seq: number, headers: MsgHdrs | undefined) => void,
): Promise<Start> {
  const { jsm, names, topic } = options;
  const stream = streamOf(names, topic);
  const info = await jsm.streams.info(stream);
  const { created } = info;
  const again = recreated || (options.afterCreated !== undefined && options.afterCreated !== created);
  const first = { seq: Math.max(1, info.state.first_seq), startedOver: true, created, again };
  if (again && topic.kind === 'event') return first;
  if (options.after !== undefined && !again)
    return topic.kind !== 'event' || options.after <= info.state.last_seq ? { seq: options.after + 1, created, again } : first;
  const next = info.state.last_seq + 1;
  if (topic.kind === 'event') return { seq: next, created, again };
  const latest = await jsm.direct.getMessage(stream, { last_by_subj: names.subject(topic) });
  if (latest === null) return { seq: next, created, again };
  deliver(created, latest.data, latest.seq, latest.header);
  return { seq: latest.seq + 1, created, again };
}
