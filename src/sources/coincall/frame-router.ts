/**
 * The frame router of one upstream connection: each data frame is decoded
 * once, its items grouped by routing key, and each group handed to its topic
 * (which turns it into events once for all its listeners).
 *
 * Frames that cannot be served are dropped, never passed on: an unknown `dt`,
 * a frame that does not parse or decode, or items no topic wants (after an
 * unsubscribe, for instance). Each is counted; each distinct cause is logged
 * once, so a misbehaving upstream cannot flood the log.
 */
import type { Logger } from '../../lib/logger.ts';
import { truncateForLog } from '../../lib/truncate.ts';
import type { MarketName } from '../../coincall/protocol.ts';
import { decodeItems } from '../../channels/channel.ts';
import { DecodeError } from '../../channels/fields.ts';
import { channelsByDt } from '../../channels/registry.ts';
import type { HubPort, SourceTopic } from '../../hub/source-port.ts';

export interface DropCounters {
  /** Frames with a dt no channel of this market claims. */
  unknownDt: number;
  /** Frames that failed to parse or decode. */
  undecodable: number;
  /** Decoded frames no topic wanted (after an unsubscribe, for instance). */
  unrouted: number;
  /** Frames over UPSTREAM_MAX_FRAME_BYTES (each renewed its connection). */
  oversized: number;
}

export interface FrameRouterOptions {
  readonly market: MarketName;
  /** Where topics are found and their items published (the hub). */
  readonly hub: Pick<HubPort, 'find' | 'publish'>;
  /** Data reached the topic: its subscribe counts as answered (before the items are published). */
  readonly answered: (topic: SourceTopic) => void;
  /** Bound to the connection's market (and access). */
  readonly logger: Logger;
}

export interface FrameRouter {
  /** Routes one data frame's `d` (with its `dt` and timestamp) to its topics. */
  route(dt: number, d: unknown, frameTs: number | undefined, receivedAt: number): void;
  /** Counts (and logs once per cause) a frame dropped before routing. */
  drop(counter: keyof DropCounters, cause: string): void;
  readonly drops: Readonly<DropCounters>;
  /** Data frames received, by channel id (plain counters, read at scrape time). */
  readonly frames: Readonly<Record<string, number>>;
}

export function createFrameRouter(options: FrameRouterOptions): FrameRouter {
  const { market, hub, logger } = options;
  const byDt = channelsByDt(market);
  const drops: DropCounters = { unknownDt: 0, undecodable: 0, unrouted: 0, oversized: 0 };
  const loggedCauses = new Set<string>();
  const frames: Record<string, number> = Object.fromEntries([...byDt.values()].map((c) => [c.id, 0]));

  const drop = (counter: keyof DropCounters, cause: string) => {
    drops[counter]++;
    if (loggedCauses.has(cause)) return;
    loggedCauses.add(cause);
    logger.warn({ cause: truncateForLog(cause), counter }, 'dropped upstream frame (logged once per cause)');
  };

  const hand = (topic: SourceTopic | undefined, items: readonly unknown[], receivedAt: number, frameTs: number | undefined) => {
    if (topic === undefined) {
      drops.unrouted++;
      return;
    }
    options.answered(topic);
    hub.publish(topic, items, receivedAt, frameTs);
  };

  return {
    drops,
    frames,
    drop,
    route(dt, d, frameTs, receivedAt) {
      const channel = byDt.get(dt);
      if (channel === undefined) return drop('unknownDt', `unknown dt ${dt}`);
      frames[channel.id] = (frames[channel.id] ?? 0) + 1;
      let items: unknown[];
      try {
        items = decodeItems(channel, d, { frameTs, receivedAt });
      } catch (error) {
        if (error instanceof DecodeError) return drop('undecodable', `${channel.id}: ${error.message}`);
        throw error;
      }
      if (items.length === 0) return;
      // The common case, one key per frame, needs no grouping.
      const firstKey = channel.keyOf(items[0]);
      if (items.every((item) => channel.keyOf(item) === firstKey)) {
        return hand(hub.find(channel, firstKey), items, receivedAt, frameTs);
      }
      const groups = new Map<string, unknown[]>();
      for (const item of items) {
        const key = channel.keyOf(item);
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [item]);
        else group.push(item);
      }
      for (const [key, group] of groups) hand(hub.find(channel, key), group, receivedAt, frameTs);
    },
  };
}
