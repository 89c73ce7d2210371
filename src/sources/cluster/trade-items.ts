/**
 * A trades topic's items as the cluster handles them: each one's id (the
 * engine's `Nats-Msg-Id`, a reader's de-duplication), its time, the order
 * they go out in (oldest first, as the stream keeps them; an exchange frame
 * lists them newest first), and without the `cursor` a process stamped on
 * them (a trade's cursor in the cluster is its stream sequence).
 */
import { isRecord } from '../../lib/json.ts';
import { itemId } from './cluster-topic.ts';

/** The item's id; its JSON text when it has none (never equal for different items). */
export const idOf = (item: unknown): string => itemId(item) ?? JSON.stringify(item);

/** The trade's own time (`timestamp`, epoch ms), else `fallback`. */
export const timeOf = (item: unknown, fallback: number): number =>
  isRecord(item) && typeof item['timestamp'] === 'number' ? item['timestamp'] : fallback;

/** The item without the cursor this process stamped on it. */
export const withoutCursor = (item: unknown): unknown => {
  if (!isRecord(item) || !('cursor' in item)) return item;
  const { cursor: _cursor, ...rest } = item;
  return rest;
};

/** A frame's items oldest first (by time; equal times keep the frame's newest-first listing reversed). */
export const oldestFirst = (items: readonly unknown[], frameTs: number): unknown[] =>
  [...items].reverse().sort((a, b) => timeOf(a, frameTs) - timeOf(b, frameTs));
