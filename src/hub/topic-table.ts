/**
 * The topic table: ref-counted topics and their linger, over one source.
 *
 * A listener joins the topic of (channel, routing key); the first one opens it
 * (the source is asked to `subscribe` it), later ones share it. When the last
 * listener leaves, the topic lingers for `lingerMs` (a listener who comes back
 * inside it keeps the source's subscription), then it is removed and the
 * source is asked to `unsubscribe` it. The table is also the hub side of the
 * source port (`source-port.ts`): what the source answers, publishes, fails
 * or interrupts reaches the topic's listeners through it.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { Confirmation } from './confirmation.ts';
import type { Listener, Opener, TopicHandle } from './listener.ts';
import type { ResumeWindow } from './resume-window.ts';
import type { HubPort, SourceTopic, TopicSource } from './source-port.ts';
import { Topic } from './topic.ts';

/** How long a topic outlives its last listener before the source's unsubscribe. */
export const DEFAULT_LINGER_MS = 2_000;

export interface TopicTableOptions {
  readonly lingerMs?: number;
  /** The number of topics went to zero (true) or away from it (false). */
  readonly onIdleChange?: (idle: boolean) => void;
  /** Where resumable topics (trades) retain their events (`resume-window.ts`); none: no cursors. */
  readonly window?: ResumeWindow;
}

export interface TopicTable<S extends TopicSource = TopicSource> {
  /** Joins (or opens, asking the source and `opener` to admit it first) the topic of `channel` for `args`. */
  join(channel: AnyChannel, args: unknown, listener: Listener, opener?: Opener): TopicHandle;
  /** Every live topic, lingering ones included, in opening order. */
  topics(): IterableIterator<SourceTopic>;
  readonly size: number;
  /** The source the table was connected to. */
  readonly source: S;
  /** Ends every topic normally, asks the source to unsubscribe each, then closes the source. */
  close(): void;
}

interface Entry {
  readonly topic: Topic;
  readonly confirmation: Confirmation;
  linger: NodeJS.Timeout | undefined;
}

/** Builds a table and connects it to the source `connect` builds around the table's port. */
export function createTopicTable<S extends TopicSource>(options: TopicTableOptions, connect: (hub: HubPort) => S): TopicTable<S> {
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
  const entries = new Map<SourceTopic, Entry>();
  const byChannel = new Map<string, Map<string, Topic>>();

  const find = (channel: AnyChannel, key: string): Topic | undefined => byChannel.get(channel.id)?.get(key);

  const remove = (topic: Topic) => {
    const entry = entries.get(topic);
    if (entry === undefined) return;
    clearTimeout(entry.linger);
    entries.delete(topic);
    byChannel.get(topic.channel.id)?.delete(topic.key);
    topic.window?.release(topic.windowTopic);
    if (entries.size === 0) options.onIdleChange?.(true);
  };

  const hub: HubPort = {
    answered(ref, at) {
      const entry = entries.get(ref);
      if (entry === undefined) return;
      entry.topic.answered(at);
      entry.confirmation.confirm();
    },
    publish(ref, items, receivedAt, frameTs, positions) {
      entries.get(ref)?.topic.publish(items, receivedAt, frameTs, positions);
    },
    failed(ref, error) {
      const entry = entries.get(ref);
      if (entry === undefined) return;
      entry.confirmation.refuse(error);
      entry.topic.fail(error);
      remove(entry.topic);
    },
    interrupted(at, ref, reason) {
      if (ref !== undefined) entries.get(ref)?.topic.interrupt(at, reason);
      else for (const entry of entries.values()) entry.topic.interrupt(at, reason);
    },
    gap(ref, since, until, reason) {
      entries.get(ref)?.topic.gap(since, until, reason);
    },
    probe(ref, report) {
      entries.get(ref)?.topic.probe(report);
    },
    find,
    topics: () => entries.keys(),
  };
  const source = connect(hub);

  /** Registers a new topic (the source and the opener admitted it); the caller adds its listener, then subscribes it. */
  const open = (channel: AnyChannel, key: string, payload: Topic['payload'], opener: Opener | undefined): Entry => {
    source.admit?.(channel);
    opener?.admit?.();
    const topic = new Topic(channel, key, payload, options.window);
    if (entries.size === 0) options.onIdleChange?.(false);
    const entry: Entry = { topic, confirmation: new Confirmation(), linger: undefined };
    entries.set(topic, entry);
    let keys = byChannel.get(channel.id);
    if (keys === undefined) byChannel.set(channel.id, (keys = new Map()));
    keys.set(key, topic);
    return entry;
  };

  return {
    source,
    join(channel, args, listener, opener) {
      const spec = channel.topic(args);
      const found = find(channel, spec.key);
      const entry = found === undefined ? open(channel, spec.key, spec.payload, opener) : entries.get(found);
      if (entry === undefined) throw new Error(`topic ${channel.id}/${spec.key} is not in its table`);
      clearTimeout(entry.linger);
      entry.linger = undefined;
      const joined = entry.topic;
      joined.listeners.add(listener);
      // Read before the source is asked: what it publishes at once reaches the listener directly.
      const last = joined.last;
      // The source may answer, publish or fail at once: the listener is in by then.
      if (found === undefined) source.subscribe(joined, opener?.client);
      let released = false;
      return {
        last,
        confirmed: entry.confirmation.promise,
        snapshot: joined.snapshot,
        release() {
          if (released) return;
          released = true;
          if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
          const current = entries.get(joined);
          if (current === undefined) return;
          current.linger = setTimeout(() => {
            remove(joined);
            source.unsubscribe(joined);
          }, lingerMs);
        },
      };
    },
    topics: () => entries.keys(),
    get size() {
      return entries.size;
    },
    close() {
      for (const { topic } of [...entries.values()]) {
        topic.end();
        remove(topic);
        source.unsubscribe(topic);
      }
      source.close();
    },
  };
}
