/**
 * A public hub topic as the engine names it (and a trades topic back from that
 * name, for a replica that holds it for other replicas' subscribers), and what
 * the cluster keeps per topic of its own: the trade ids a replica's clients already got (so a trade
 * that reaches it twice, from the engine and from its own upstream while the
 * engine was away, is delivered once).
 */
import type { AnyChannel } from '../../channels/channel.ts';
import { ALL_CHANNELS } from '../../channels/registry.ts';
import type { ClusterTopic } from './subjects.ts';

/** Trade ids remembered per topic: well over what arrives during an engine outage of a few seconds. */
export const RECENT_IDS_PER_TOPIC = 10_000;

/** The engine's topic of a public hub topic (never called for a private channel). */
export function clusterTopicOf(channel: AnyChannel, key: string): ClusterTopic {
  if (channel.access !== 'public') throw new Error(`${channel.id} is private: it never enters the engine`);
  return { id: `${channel.market}:${channel.id}:${key}`, kind: channel.delivery === 'event' ? 'event' : 'state', market: channel.market };
}

/** A trades topic rebuilt from its engine id: what its holder needs to run it upstream without a hub topic of it. */
export interface EventTopicOfId {
  readonly topic: { readonly channel: AnyChannel; readonly key: string };
  readonly args: unknown;
  readonly cluster: ClusterTopic;
}

/**
 * The public event (trades) topic an engine id names (`market:channel:key`, as
 * `clusterTopicOf` makes it), or undefined: an unknown, private or state
 * channel, or a key its arguments do not give back. Every public event channel
 * is a trades channel keyed by its `symbol` argument (an expired option is
 * still one: the check of its expiry is left out).
 */
export function eventTopicOfId(id: string): EventTopicOfId | undefined {
  const [market, channelId] = id.split(':', 2);
  const channel = ALL_CHANNELS.find((c) => c.market === market && c.id === channelId);
  if (channel === undefined || channel.access !== 'public' || channel.delivery !== 'event') return undefined;
  const key = id.slice(`${channel.market}:${channel.id}:`.length);
  try {
    const args = channel.parseArgs({ symbol: key }, Number.NEGATIVE_INFINITY);
    if (channel.topic(args).key !== key) return undefined;
    const cluster = clusterTopicOf(channel, key);
    return cluster.id === id ? { topic: { channel, key }, args, cluster } : undefined;
  } catch {
    return undefined;
  }
}

/** An event item's id (trades carry one); undefined for an item without one. */
export function itemId(item: unknown): string | undefined {
  return typeof item === 'object' && item !== null && 'id' in item && typeof item.id === 'string' ? item.id : undefined;
}

/** The last `capacity` ids seen, oldest forgotten first. */
export interface RecentIds {
  /** Whether `id` was seen; remembers it either way. */
  seen(id: string): boolean;
  /** Whether `id` was seen, without remembering it. */
  has(id: string): boolean;
}

export function createRecentIds(capacity = RECENT_IDS_PER_TOPIC): RecentIds {
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    seen(id) {
      if (ids.has(id)) return true;
      ids.add(id);
      if (ids.size > capacity) {
        const oldest = ids.values().next();
        if (oldest.done !== true) ids.delete(oldest.value);
      }
      return false;
    },
  };
}
