/**
 * The single-process resume window (`resume-window.ts`): per trades topic, a
 * ring of the latest trades and of the gateway's own gaps, in publish order.
 *
 * Bounds: at most `maxTradesPerTopic` trades (RESUME_MAX_EVENTS_PER_TOPIC),
 * none older than `windowMs` (RESUME_WINDOW_MS), and a topic's ring is kept
 * `windowMs` after the hub closed the topic, then dropped. Positions come from
 * one counter for the whole window, so a position is never reused, even by a
 * topic dropped and opened again. A topic opened again while its ring is kept
 * gets no gap for the time it was closed here: `closedAt` tells the hub when,
 * and the hub records one only where trades may be missing. The epoch is made at construction: a cursor
 * from before a restart is of another epoch, hence expired.
 */
import { randomBytes } from 'node:crypto';
import { isRecord } from '../lib/json.ts';
import { tradeIdOf } from './cursor.ts';
import type { GapReason, ResumeWindow, RetainedTrade, WindowEntry, WindowRead, WindowTopic } from './resume-window.ts';

export interface MemoryWindowOptions {
  readonly maxTradesPerTopic: number;
  readonly windowMs: number;
  readonly now?: () => number;
  /** The epoch (default: a fresh random id per window, i.e. per process start). */
  readonly epoch?: string;
}

interface Stored {
  readonly entry: WindowEntry;
  readonly storedAt: number;
}

interface TopicRing {
  /** Entries from `head` on are retained, oldest first. */
  entries: Stored[];
  head: number;
  trades: number;
  /** Positions up to this one are gone (or were never in this ring). */
  droppedUpTo: number;
  /** A gap placed at `droppedUpTo` was dropped too: a cursor at that position expired as well. */
  gapDropped: boolean;
  /** When the hub closed the topic (undefined while it is open). */
  releasedAt: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

const topicId = (topic: WindowTopic): string => `${topic.channel}\u0000${topic.key}`;
const tradeTime = (trade: unknown, fallback: number): number =>
  isRecord(trade) && typeof trade['timestamp'] === 'number' ? trade['timestamp'] : fallback;

/** A fresh process start id. */
export const newEpoch = (): string => randomBytes(6).toString('base64url');

export function createMemoryWindow(options: MemoryWindowOptions): ResumeWindow & { readonly topicCount: number } {
  const now = options.now ?? Date.now;
  const epoch = options.epoch ?? newEpoch();
  const rings = new Map<string, TopicRing>();
  let lastPosition = 0;

  const live = (ring: TopicRing): Stored[] => ring.entries.slice(ring.head);

  /** Drops the oldest entry of the ring. */
  const dropOldest = (ring: TopicRing) => {
    const stored = ring.entries[ring.head];
    if (stored === undefined) return;
    ring.head += 1;
    const { entry } = stored;
    if (entry.kind === 'trade') {
      ring.trades -= 1;
      ring.droppedUpTo = entry.position;
      ring.gapDropped = false;
    } else if (entry.position >= ring.droppedUpTo) {
      ring.droppedUpTo = entry.position;
      ring.gapDropped = true;
    }
    // Compact now and then so the array does not grow without end.
    if (ring.head > 1024 && ring.head * 2 > ring.entries.length) {
      ring.entries = ring.entries.slice(ring.head);
      ring.head = 0;
    }
  };

  /** Drops what is past the bounds: too many trades, or too old. */
  const trim = (ring: TopicRing) => {
    while (ring.trades > options.maxTradesPerTopic) dropOldest(ring);
    const oldest = now() - options.windowMs;
    while (ring.head < ring.entries.length && (ring.entries[ring.head]?.storedAt ?? oldest) < oldest) dropOldest(ring);
  };

  const ringOf = (topic: WindowTopic): TopicRing => {
    const id = topicId(topic);
    let ring = rings.get(id);
    if (ring === undefined) {
      // Every position issued so far belongs to another ring (or an earlier one of this topic).
      ring = { entries: [], head: 0, trades: 0, droppedUpTo: lastPosition, gapDropped: false, releasedAt: undefined, timer: undefined };
      rings.set(id, ring);
    }
    return ring;
  };

  const push = (ring: TopicRing, entry: WindowEntry) => {
    ring.entries.push({ entry, storedAt: now() });
    if (entry.kind === 'trade') ring.trades += 1;
  };

  const lastPositionOf = (ring: TopicRing): number => {
    const last = ring.entries[ring.entries.length - 1];
    return last !== undefined && ring.head < ring.entries.length ? last.entry.position : ring.droppedUpTo;
  };

  const newestTrades = (ring: TopicRing, limit: number): RetainedTrade[] => {
    const out: RetainedTrade[] = [];
    for (let i = ring.entries.length - 1; i >= ring.head && out.length < limit; i -= 1) {
      const entry = ring.entries[i]?.entry;
      if (entry?.kind === 'trade') out.push(entry);
    }
    return out;
  };

  /** Entries after `position`, oldest first, with at most `limit` trades; a gap at `position` itself is included. */
  const entriesAfter = (ring: TopicRing, position: number, limit: number): WindowEntry[] => {
    const out: WindowEntry[] = [];
    let trades = 0;
    for (const { entry } of live(ring)) {
      if (entry.kind === 'trade') {
        if (entry.position <= position) continue;
        if (trades >= limit) break;
        trades += 1;
      } else if (entry.position < position) continue;
      out.push(entry);
    }
    return out;
  };

  /** The retained trade at `position` of the ring (positions never go down along it: a binary search). */
  const tradeAt = (ring: TopicRing, position: number): RetainedTrade | undefined => {
    let low = ring.head;
    let high = ring.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((ring.entries[middle]?.entry.position ?? position) < position) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < ring.entries.length; i += 1) {
      const entry = ring.entries[i]?.entry;
      if (entry === undefined || entry.position !== position) return undefined;
      if (entry.kind === 'trade') return entry;
    }
    return undefined;
  };

  const oldestTradeAt = (ring: TopicRing | undefined): number => {
    if (ring !== undefined) for (const { entry } of live(ring)) if (entry.kind === 'trade') return entry.at;
    return now();
  };

  return {
    epoch,
    get topicCount() {
      return rings.size;
    },
    closedAt(topic) {
      const ring = rings.get(topicId(topic));
      if (ring?.releasedAt === undefined) return undefined;
      trim(ring);
      return ring.trades > 0 ? ring.releasedAt : undefined;
    },
    retain(topic, limit) {
      const ring = ringOf(topic);
      clearTimeout(ring.timer);
      ring.timer = undefined;
      trim(ring);
      // Whether trades of the time it was closed are missing is the hub's to judge (`closedAt`): it records a gap if so.
      ring.releasedAt = undefined;
      return newestTrades(ring, limit).map((entry) => entry.trade);
    },
    release(topic) {
      const id = topicId(topic);
      const ring = rings.get(id);
      if (ring === undefined) return;
      ring.releasedAt = now();
      clearTimeout(ring.timer);
      ring.timer = setTimeout(() => rings.delete(id), options.windowMs);
      ring.timer.unref();
    },
    append(topic, trades, at, positions) {
      const ring = ringOf(topic);
      const assigned = trades.map((trade, i) => {
        const position = positions?.[i] ?? lastPosition + 1;
        lastPosition = Math.max(lastPosition, position);
        push(ring, { kind: 'trade', position, at: tradeTime(trade, at), trade });
        return position;
      });
      trim(ring);
      return assigned;
    },
    gap(topic, since, until, reason: GapReason) {
      const ring = ringOf(topic);
      push(ring, { kind: 'gap', position: lastPositionOf(ring), since, until, reason });
      trim(ring);
    },
    issued(topic, cursor) {
      if (cursor.epoch !== epoch) return true;
      if (cursor.position > lastPosition) return false;
      const ring = rings.get(topicId(topic));
      // Older than what the ring keeps (or no ring): not judged, it reads as expired.
      if (ring === undefined || cursor.position <= ring.droppedUpTo) return true;
      const entry = tradeAt(ring, cursor.position);
      if (entry === undefined || entry.at !== cursor.at) return false;
      return cursor.id === undefined || tradeIdOf(entry.trade) === undefined || tradeIdOf(entry.trade) === cursor.id;
    },
    after(topic, readEpoch, position, limit = Number.POSITIVE_INFINITY): Promise<WindowRead> {
      const ring = rings.get(topicId(topic));
      if (ring !== undefined) trim(ring);
      const expired =
        ring === undefined || readEpoch !== epoch || position < ring.droppedUpTo || (ring.gapDropped && position === ring.droppedUpTo);
      if (!expired) return Promise.resolve({ status: 'kept', entries: entriesAfter(ring, position, limit) });
      return Promise.resolve({
        status: 'expired',
        oldestAt: oldestTradeAt(ring),
        epoch,
        entries:
          ring === undefined
            ? []
            : entriesAfter(ring, Number.NEGATIVE_INFINITY, limit).filter((e) => e.kind === 'trade' || e.position > ring.droppedUpTo),
      });
    },
    newest(topic, limit) {
      const ring = rings.get(topicId(topic));
      if (ring !== undefined) trim(ring);
      return Promise.resolve(ring === undefined ? [] : newestTrades(ring, limit));
    },
    close() {
      for (const ring of rings.values()) clearTimeout(ring.timer);
      rings.clear();
    },
  };
}
