/**
 * The topic table of one upstream connection: ref-counted topics and their
 * linger.
 *
 * A listener joins the topic of (channel, routing key); the first one opens it
 * (`opened`: the caller sends the upstream subscribe), later ones share it.
 * When the last listener leaves, the topic lingers for `lingerMs` (a listener
 * who comes back inside it keeps the upstream subscription), then it is removed
 * and `expired` tells the caller to unsubscribe. The table also answers the
 * lookups the other parts need: by channel and key (the frame router, per
 * frame), and by dataType and canonical payload (the ack tracker).
 */
import { canonicalKey } from '../lib/canonical.ts';
import type { AnyChannel } from '../channels/channel.ts';
import type { SnapshotMemory } from './snapshot.ts';
import { Topic, type Listener } from './topic.ts';

/** How long a topic outlives its last listener before the upstream unsubscribe. */
export const DEFAULT_LINGER_MS = 2_000;

export interface TopicHandle {
  /** The topic's latest event (state channels), for a late listener. */
  readonly last: unknown;
  /** Resolves once the exchange acknowledged the subscription or sent data; rejects when it refused. */
  readonly confirmed: Promise<void>;
  /** What the topic keeps for its Query twin. */
  readonly snapshot: SnapshotMemory | undefined;
  /** Leaves the topic. */
  release(): void;
}

export interface TopicTableOptions {
  readonly lingerMs?: number;
  /** A topic was opened by its first listener: subscribe it upstream. */
  readonly opened: (topic: Topic) => void;
  /** A topic's linger ran out and it was removed: unsubscribe it upstream. */
  readonly expired: (topic: Topic) => void;
  /** The number of topics went to zero (true) or away from it (false). */
  readonly onIdleChange?: (idle: boolean) => void;
}

export interface TopicTable {
  join(channel: AnyChannel, args: unknown, listener: Listener): TopicHandle;
  /** The live topic of `channel` with routing key `key` (the per-frame lookup). */
  find(channel: AnyChannel, key: string): Topic | undefined;
  /** The live topic an acknowledgement of `dataType` echoing `payloadKey` (canonical) is about. */
  findByAck(dataType: string, payloadKey: string): Topic | undefined;
  /** Whether `topic` is still in the table. */
  has(topic: Topic): boolean;
  /** Removes `topic` (no upstream unsubscribe: the caller decides). */
  remove(topic: Topic): void;
  /** Every live topic, lingering ones included, in opening order. */
  all(): IterableIterator<Topic>;
  readonly size: number;
}

interface Entry {
  readonly ackKey: string;
  linger: NodeJS.Timeout | undefined;
}

/** How an acknowledgement finds its topic: dataType and the canonical key of the payload. */
export const ackKeyOf = (dataType: string, payloadKey: string): string => `${dataType}\u0000${payloadKey}`;

export function createTopicTable(options: TopicTableOptions): TopicTable {
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
  const entries = new Map<Topic, Entry>();
  const byChannel = new Map<string, Map<string, Topic>>();
  const byAck = new Map<string, Topic>();

  const open = (channel: AnyChannel, key: string, payload: Topic['payload']): Topic => {
    const topic = new Topic(channel, key, payload);
    const ackKey = ackKeyOf(channel.dataType, canonicalKey(payload ?? null));
    if (entries.size === 0) options.onIdleChange?.(false);
    entries.set(topic, { ackKey, linger: undefined });
    let keys = byChannel.get(channel.id);
    if (keys === undefined) byChannel.set(channel.id, (keys = new Map()));
    keys.set(key, topic);
    byAck.set(ackKey, topic);
    options.opened(topic);
    return topic;
  };

  const remove = (topic: Topic) => {
    const entry = entries.get(topic);
    if (entry === undefined) return;
    clearTimeout(entry.linger);
    entries.delete(topic);
    byChannel.get(topic.channel.id)?.delete(topic.key);
    if (byAck.get(entry.ackKey) === topic) byAck.delete(entry.ackKey);
    if (entries.size === 0) options.onIdleChange?.(true);
  };

  const table: TopicTable = {
    join(channel, args, listener) {
      const spec = channel.topic(args);
      let topic = table.find(channel, spec.key);
      if (topic === undefined) topic = open(channel, spec.key, spec.payload);
      else {
        const entry = entries.get(topic);
        if (entry !== undefined) {
          clearTimeout(entry.linger);
          entry.linger = undefined;
        }
      }
      const joined = topic;
      joined.listeners.add(listener);
      let released = false;
      return {
        last: joined.last,
        confirmed: joined.confirmation,
        snapshot: joined.snapshot,
        release() {
          if (released) return;
          released = true;
          if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
          const entry = entries.get(joined);
          if (entry === undefined) return;
          entry.linger = setTimeout(() => {
            remove(joined);
            options.expired(joined);
          }, lingerMs);
        },
      };
    },
    find: (channel, key) => byChannel.get(channel.id)?.get(key),
    findByAck: (dataType, payloadKey) => byAck.get(ackKeyOf(dataType, payloadKey)),
    has: (topic) => entries.has(topic),
    remove,
    all: () => entries.keys(),
    get size() {
      return entries.size;
    },
  };
  return table;
}
