/**
 * `Trade.cursor`: an opaque position in a trades topic's stream, and its
 * codec. A cursor is base64url of a small JSON array: a version, the topic
 * (channel and routing key), the window's epoch (`resume-window.ts`: the
 * process's start id, or the stream's identity in a cluster), the trade's
 * position in the topic, the trade's time (so a gap can be dated even
 * when the window no longer holds it) and its id (`cursor-seam.ts`: where a
 * position only approximates the trade's place, the id finds it).
 *
 * Decoding never throws: it returns a typed cursor or the reason it is not
 * one, checked against the topic the client asked for. The hub also notes
 * each stamped trade's epoch and position (a WeakMap, no extra field on the
 * wire) so a resume can cut replay and live at the exact position, and
 * whether that position is the trade's own place or a stand-in (a trade that
 * came without one: `resume-window.ts` `standInPositions`), which no position
 * cuts.
 */
import { MAX_CURSOR_TEXT } from '../channels/args.ts';
import type { WindowTopic } from './resume-window.ts';

/** The cursor format's version; another is refused as malformed. */
export const CURSOR_VERSION = 1;
/** Longer text is not a cursor of this gateway (checked before decoding). */
export const MAX_CURSOR_LENGTH = MAX_CURSOR_TEXT;

export interface Cursor {
  readonly topic: WindowTopic;
  readonly epoch: string;
  readonly position: number;
  /** The trade's time (epoch ms). */
  readonly at: number;
  /** The trade's id (cursors issued before it was added have none). */
  readonly id?: string | undefined;
}

export type CursorCheck = { readonly ok: true; readonly cursor: Cursor } | { readonly ok: false; readonly reason: string };

/** The cursor of the trade at `position` of `topic`, traded at `at`. */
export function encodeCursor(cursor: Cursor): string {
  const { topic, epoch, position, at, id } = cursor;
  const fields = [CURSOR_VERSION, topic.channel, topic.key, epoch, position, at, ...(id === undefined ? [] : [id])];
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/** A trade's `id` as a cursor carries it; undefined for anything without one. */
export const tradeIdOf = (trade: unknown): string | undefined =>
  typeof trade === 'object' && trade !== null && 'id' in trade && typeof trade.id === 'string' ? trade.id : undefined;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const isPosition = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Why a text that is no cursor of this gateway is refused. */
export const NOT_ISSUED = 'it is not a cursor this gateway issued (take `cursor` from a trade as it is)';

/** Reads `text` as a cursor of `expected`'s topic; the reason when it is not one. */
export function decodeCursor(text: string, expected: WindowTopic): CursorCheck {
  const malformed = { ok: false, reason: NOT_ISSUED } as const;
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !BASE64URL.test(text)) return malformed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return malformed;
  }
  if (!Array.isArray(parsed) || (parsed.length !== 6 && parsed.length !== 7)) return malformed;
  const [version, channel, key, epoch, position, at, id] = parsed as unknown[];
  if (version !== CURSOR_VERSION || typeof channel !== 'string' || typeof key !== 'string' || typeof epoch !== 'string') return malformed;
  if (!isPosition(position) || !isPosition(at) || (id !== undefined && typeof id !== 'string')) return malformed;
  if (channel !== expected.channel || key !== expected.key)
    return { ok: false, reason: `it is a cursor of ${channel}(${key}), not of ${expected.channel}(${expected.key})` };
  return { ok: true, cursor: { topic: { channel, key }, epoch, position, at, id } };
}

/** Where a stamped trade is: its window's epoch and its position in it. */
export interface Stamp {
  readonly epoch: string;
  readonly position: number;
  /** The position is the trade's own place in the window; false: a stand-in (the last position its replica saw), shared by other trades. */
  readonly exact: boolean;
}

const stamps = new WeakMap<object, Stamp>();

/** The trade with its `cursor`, noted at its epoch and position, `exact` or a stand-in (the trade itself is not changed). */
export function stampTrade(trade: Readonly<Record<string, unknown>>, cursor: Cursor, exact: boolean): Readonly<Record<string, unknown>> {
  const stamped = { ...trade, cursor: encodeCursor(cursor) };
  stamps.set(stamped, { epoch: cursor.epoch, position: cursor.position, exact });
  return stamped;
}

/** The epoch and position (and whether it is exact) of a trade the hub stamped; undefined for anything else. */
export function stampOf(trade: unknown): Stamp | undefined {
  return typeof trade === 'object' && trade !== null ? stamps.get(trade) : undefined;
}
