/**
 * The resume window: the trades a trades topic retains so that a client can
 * resume after a cursor (`after:`), and the Query twins can answer recent
 * trades and pages of history. One interface, two backends:
 *
 * - `memory-window.ts` (single process): a bounded ring per topic, kept for
 *   `RESUME_WINDOW_MS` after the topic's last subscriber left. Its epoch is the
 *   process's start id, so a cursor from before a restart reads as expired.
 * - the cluster backend (`sources/cluster/`, implements this interface): the
 *   engine's JetStream stream is the window; a trade's position is its stream
 *   sequence and the epoch names the stream, so the same trade has the same
 *   cursor on every replica.
 *
 * Positions are per topic, strictly increasing in publish order, never reused
 * within an epoch. The hub stamps every live trade with its position
 * (`append`) before any listener sees it, so a resume can cut replay and live
 * at the exact position (`resume.ts`). Cursors (`cursor.ts`) carry the topic,
 * the epoch, the position and the trade's time; the window only ever sees the
 * decoded position.
 *
 * The gateway's own gaps (an upstream interruption, the engine unreachable)
 * are kept at their place among the trades (`gap`): a read across one returns
 * it in order, so the client gets `STREAM_INTERRUPTED` where trades were
 * really missed.
 *
 * Reads may be asynchronous (a stream backend fetches); appends are not: the
 * hub's publish path is synchronous.
 */

/** Which topic a window entry belongs to: the channel (root field) and its routing key. */
export interface WindowTopic {
  readonly channel: string;
  readonly key: string;
}

/** Where a gap in the window came from (the contract's `STREAM_INTERRUPTED` reasons a window can hold). */
export type GapReason = 'UPSTREAM' | 'ENGINE';

/** One retained trade: its position in the topic, the trade's own time (epoch ms) and the trade as published. */
export interface RetainedTrade {
  readonly kind: 'trade';
  readonly position: number;
  readonly at: number;
  readonly trade: unknown;
}

/** A gap the gateway itself had, kept where it happened: trades from `since` to `until` (epoch ms) may be missing. */
export interface RetainedGap {
  readonly kind: 'gap';
  /** The position of the last trade before the gap (0 when none). */
  readonly position: number;
  readonly since: number;
  readonly until: number;
  readonly reason: GapReason;
}

export type WindowEntry = RetainedTrade | RetainedGap;

/** What a resume read found after a position. */
export type WindowRead =
  /** Everything after the position is still retained: the entries, oldest first. */
  | { readonly status: 'kept'; readonly entries: readonly WindowEntry[] }
  /**
   * The position is older than the window (or of another epoch): trades after
   * it until `oldestAt` (the oldest retained trade's time; now when none is
   * retained) are gone. `entries` is what is retained, oldest first, at
   * positions of `epoch` (the window's as it was read: a stream created again
   * numbers its trades anew).
   */
  | { readonly status: 'expired'; readonly oldestAt: number; readonly epoch: string; readonly entries: readonly WindowEntry[] }
  /** The window cannot be read now (a stream backend whose engine is unreachable): what follows the position is unknown; `entries` is empty. */
  | { readonly status: 'unavailable'; readonly reason: GapReason; readonly entries: readonly WindowEntry[] };

/** What `issued` checks of a decoded cursor (`cursor.ts`). */
export interface IssuedCursor {
  readonly epoch: string;
  readonly position: number;
  readonly at: number;
  readonly id?: string | undefined;
}

/** A window of every trades topic of one hub (one per topic table). */
export interface ResumeWindow {
  /**
   * Names this window's positions: the process's start id (memory), or the
   * stream's identity (cluster). A cursor of another epoch is expired.
   */
  readonly epoch: string;
  /**
   * Reads of `after` must wait until the topic is confirmed by its source (a
   * stream backend: the live feed's start is fixed by then, so a replay read
   * afterwards reaches it). The memory window reads at once.
   */
  readonly readsAfterConfirm?: boolean;
  /**
   * The positions `append` assigns to trades that came without one are
   * stand-ins, not their own places (a stream backend: the last sequence this
   * replica saw of the topic, shared by every trade it served alone): a resume
   * never cuts such a live trade by its position, only by its id
   * (`resume.ts`). The memory window's positions are always the trades' own.
   */
  readonly standInPositions?: boolean;
  /**
   * The hub opened `topic` (its upstream subscription starts): keep (or start
   * keeping) its trades. Returns the newest trades already retained (at most
   * `limit`), which the reopened topic must not deliver again when the source
   * re-sends them (a stream backend that de-duplicates itself returns none).
   */
  retain(topic: WindowTopic, limit: number): readonly unknown[];
  /**
   * Asked as the hub opens `topic` again, before `retain`: when the hub closed
   * it (`release`), if the window still holds trades of it; undefined
   * otherwise (and for a window that never outlives its topics: the cluster's
   * stream). Trades of the time it was closed may be missing, or not: the hub
   * judges the new subscription's first batch (the exchange's recent trades)
   * against what is retained and records a gap (`gap`) only when that batch
   * does not reach back to it (`topic.ts`, `probe.ts`).
   */
  closedAt?(topic: WindowTopic): number | undefined;
  /** The hub closed `topic` (its last subscriber left, then its linger): keep its trades for the window's time, then drop them. */
  release(topic: WindowTopic): void;
  /**
   * Records the trades of one published event (in order) and returns each one's
   * position. A trade's time is its `timestamp` (epoch ms) when it has one,
   * else `at` (when it was received). `positions`, when the source knows them (the stream sequence of
   * each trade), are used as they are; otherwise the window assigns the next.
   */
  append(topic: WindowTopic, trades: readonly unknown[], at: number, positions?: readonly number[]): readonly number[];
  /** The gateway's own gap in `topic`'s stream, placed after the trades appended so far. */
  gap(topic: WindowTopic, since: number, until: number, reason: GapReason): void;
  /**
   * Whether `cursor` may be one this window issued for `topic`: false when it
   * is of the window's current epoch but at a position it never gave a trade
   * of `topic` (past the newest it issued, or not one of the topic's retained
   * trades), or the trade there is another (its id or time differ). A cursor
   * it cannot judge (of another epoch, or older than what it retains: it reads
   * as expired) is not refused. Optional: a window without it refuses none
   * (the cluster's stream: a position past its end reads as expired there).
   */
  issued?(topic: WindowTopic, cursor: IssuedCursor): boolean;
  /** The entries after `position` of `epoch`, oldest first, at most `limit` trades (all when omitted). */
  after(topic: WindowTopic, epoch: string, position: number, limit?: number): Promise<WindowRead>;
  /** The newest `limit` retained trades, newest first; rejects when the window cannot be read now (a stream backend's engine away). */
  newest(topic: WindowTopic, limit: number): Promise<readonly RetainedTrade[]>;
  /** Drops every topic and stops its timers. */
  close(): void;
}
