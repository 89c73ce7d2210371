/**
 * The cluster backend of the resume window (`hub/resume-window.ts`): the
 * engine's trades stream is the window. A trade's position is its stream
 * sequence (the reader hands it in with the trade, `append`'s `positions`), so
 * the same trade has the same cursor on every replica; the epoch names the
 * stream (its name and creation time), so a stream deleted and created again
 * expires the cursors of the old one.
 *
 * - `after` reads the topic's subject from the position on (`stream-read.ts`).
 *   A position older than what the stream keeps of the topic (its trade is gone,
 *   by age or by the per-topic limit), or of another epoch: `expired`, with what
 *   is retained. Gap markers (`gap-marker.ts`) come back as gaps at their place.
 *   A position past the stream's last sequence is of a stream deleted and
 *   created again (its sequences start over): the stream's epoch is read again
 *   (`Engine.refreshEpoch`) and the read answers `expired` (from the topic's
 *   oldest kept trade, with the new epoch), never `kept` and empty. A cursor
 *   of an epoch other than the engine's makes it read the epoch again too
 *   before it counts as another stream's.
 *   The engine unreachable: `unavailable` (ENGINE), never a silent empty read
 *   (`newest` rejects with STREAM_INTERRUPTED, ENGINE).
 * - `newest` reads the subject back from its last message, one stretch of
 *   sequences at a time (never the same message twice), each stretch sized
 *   from the topic's share of the sequences read so far, until it holds the
 *   trades asked for.
 * - `append` keeps nothing (the stream already holds the trades): it returns
 *   the positions it was given. A trade without one (served from this replica's
 *   own upstream while the engine was away) takes the last sequence this
 *   replica saw of its topic: resuming from it replays from there, so nothing
 *   is lost, though trades of the outage may come again (with their same id).
 *   Such a position is a stand-in (`standInPositions`): a resume does not cut
 *   live trades by it.
 * - `gap` keeps nothing either: a replica's own gap (it was cut off from the
 *   engine) is its live clients' business; the stream holds every trade the
 *   publishers stored meanwhile, and publishers mark their own gaps in it.
 *
 * Every read is bounded by what it returns: `after` with a limit asks the
 * engine for at most that many messages (an expired position too: from the
 * topic's oldest kept trade) and returns whole messages (their trades share
 * the sequence a next read starts after: a page may exceed the limit by the
 * last message's trades, never split it); `newest` asks for about that many
 * (`onRead` counts what each read asked the engine for). Only an `after`
 * without a limit reads to the end; a resuming subscription reads a page at a
 * time (`hub/resume-pages.ts`).
 *
 * Every message is read through the engine boundary's check
 * (`message-check.ts`): a bad trade is left out of its page, the rest of the
 * page stays; a forged gap marker is dropped.
 *
 * Reads follow the topic's confirmation (`readsAfterConfirm`): by then this
 * replica's live feed has its start, and a replay read afterwards reaches it.
 * At most `STREAM_READS_AT_ONCE` run at once per replica, the rest wait their
 * turn: a crowd resuming together shares the engine's connection with the
 * leases and the live feeds instead of starving them.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { ALL_CHANNELS } from '../../channels/registry.ts';
import { isRecord } from '../../lib/json.ts';
import type { ResumeWindow, RetainedTrade, WindowEntry, WindowRead, WindowTopic } from '../../hub/resume-window.ts';
import { clusterTopicOf } from './cluster-topic.ts';
import type { Engine } from './engine.ts';
import { checkMessages, type MessageCheck, type ReportBadMessage } from './message-check.ts';
import { firstSequence, readSubject, streamFirstSequence, streamLastSequence, type StreamRecord } from './stream-read.ts';
import { StreamInterruption } from '../../hub/signals.ts';

export interface StreamWindowOptions {
  /** The engine now; undefined while it is unreachable. */
  readonly engine: () => Engine | undefined;
  readonly now?: () => number;
  /** A read failed (the engine went away mid-read): said, then answered `unavailable`. */
  readonly onReadError?: (error: unknown) => void;
  /** A read (`after` or `newest`) of `topic` is done: how many messages it asked the engine for (besides the Direct Gets of the topic's ends). */
  readonly onRead?: (topic: WindowTopic, messages: number) => void;
  /** Where reads wait their turn (default: `STREAM_READS_AT_ONCE` at once). */
  readonly readSlots?: LimitFunction;
  /** What of a read's messages was left out (`message-check.ts`: every read goes through it). */
  readonly onBadMessage?: ReportBadMessage;
}

/** Reads of the stream (`after`, `newest`) running at once per replica; more wait their turn. */
export const STREAM_READS_AT_ONCE = 4;

/** A stretch of `newest` that found none of the topic's messages: the next one is this many times longer. */
const NEWEST_SPAN_GROWTH = 8;

/** How many sequences the next stretch back covers to hold `wanted` more of the topic's messages, at the share seen so far. */
function stretchFor(wanted: number, seen: number, covered: number): number {
  if (covered === 0) return wanted;
  if (seen === 0) return covered * NEWEST_SPAN_GROWTH;
  return Math.ceil((wanted * covered) / seen);
}

const topicId = (topic: WindowTopic): string => `${topic.channel}\u0000${topic.key}`;

const tradeTime = (trade: unknown, fallback: number): number =>
  isRecord(trade) && typeof trade['timestamp'] === 'number' ? trade['timestamp'] : fallback;

/** The engine's subject of a window topic (a public trades channel), and the check its messages are read through. */
function subjectOf(engine: Engine, topic: WindowTopic, report: ReportBadMessage): { subject: string; check: MessageCheck } {
  const channel = ALL_CHANNELS.find((c) => c.id === topic.channel);
  if (channel === undefined) throw new Error(`no channel ${topic.channel}`);
  const cluster = clusterTopicOf(channel, topic.key);
  return { subject: engine.names.subject(cluster), check: checkMessages(channel, cluster.id, report) };
}

/**
 * The window entries of the records, oldest first, until `limit` trades are reached. A message is never split: its
 * trades share its sequence, and a read after that position starts past the whole message, so the last message's
 * trades all come (a page may hold more than `limit` trades, by less than that message's).
 */
function entriesOf(records: readonly StreamRecord[], limit: number): WindowEntry[] {
  const out: WindowEntry[] = [];
  let trades = 0;
  for (const record of records) {
    if (trades >= limit) break;
    if (record.gap !== undefined) {
      // A gap sits after the trades before it: a cursor at the sequence before the marker still crosses it.
      out.push({ kind: 'gap', position: record.seq - 1, ...record.gap });
      continue;
    }
    for (const trade of record.envelope.items) {
      trades += 1;
      out.push({ kind: 'trade', position: record.seq, at: tradeTime(trade, record.storedAt), trade });
    }
  }
  return out;
}

export function createStreamWindow(options: StreamWindowOptions): ResumeWindow {
  const now = options.now ?? Date.now;
  const slots = options.readSlots ?? pLimit(STREAM_READS_AT_ONCE);
  const report: ReportBadMessage = (bad) => options.onBadMessage?.(bad);
  /** The last sequence this replica saw of each topic (a position for a trade that came without one). */
  const lastSeen = new Map<string, number>();
  let lastEpoch = '';

  const epochNow = (): string => {
    const engine = options.engine();
    if (engine !== undefined) lastEpoch = engine.eventEpoch;
    return lastEpoch;
  };

  /** Counts the messages one read of `topic` asks the engine for, said once it is done. */
  const counter = (topic: WindowTopic) => {
    let messages = 0;
    return {
      onRead: (n: number) => void (messages += n),
      done: () => options.onRead?.(topic, messages),
    };
  };

  const read = async (topic: WindowTopic, epoch: string, position: number, limit: number): Promise<WindowRead> => {
    const engine = options.engine();
    if (engine === undefined) return { status: 'unavailable', reason: 'ENGINE', entries: [] };
    const count = counter(topic);
    try {
      const { subject, check } = subjectOf(engine, topic, report);
      const all = () => readSubject(engine, subject, { maxTrades: limit, onRead: count.onRead, check });
      const expired = async (): Promise<WindowRead> => {
        const records = await all();
        const first = records.find((r) => r.envelope !== undefined);
        const oldestAt = first?.envelope === undefined ? now() : tradeTime(first.envelope.items[0], first.storedAt);
        return { status: 'expired', oldestAt, epoch: engine.eventEpoch, entries: entriesOf(records, limit) };
      };
      // Another epoch than the one last read: read it again (the stream may have been created again since) before judging.
      if (epoch !== engine.eventEpoch && epoch !== (await engine.refreshEpoch())) return await expired();
      // The topic's oldest kept message; with none, the stream's first sequence (everything before it is gone).
      const oldest = (await firstSequence(engine, subject)) ?? (await streamFirstSequence(engine));
      if (position < oldest && position > 0) return await expired();
      const records = await readSubject(engine, subject, { from: position + 1, maxTrades: limit, onRead: count.onRead, check });
      // Nothing after a position past the stream's end: the stream was created again (its epoch is read anew), or the cursor is no cursor of it.
      if (records.length === 0 && position > 0 && position > (await streamLastSequence(engine))) {
        await engine.refreshEpoch();
        return await expired();
      }
      return { status: 'kept', entries: entriesOf(records, limit) };
    } catch (error) {
      options.onReadError?.(error);
      return { status: 'unavailable', reason: 'ENGINE', entries: [] };
    } finally {
      count.done();
    }
  };

  /** The topic's newest `limit` trades, newest first (the Query twin's read). */
  const readNewest = async (topic: WindowTopic, limit: number): Promise<RetainedTrade[]> => {
    const engine = options.engine();
    // Never an empty answer in place of an unreadable stream: the Query twin is told (STREAM_INTERRUPTED, ENGINE).
    const unreadable = () => new StreamInterruption(now(), now(), 'ENGINE').toError('query');
    if (engine === undefined) throw unreadable();
    const count = counter(topic);
    try {
      const { subject, check } = subjectOf(engine, topic, report);
      const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: subject });
      if (last === null || limit <= 0) return [];
      const first = (await firstSequence(engine, subject)) ?? last.seq;
      // Back from the topic's last message, stretch by stretch, until it holds `limit` trades (or the whole topic).
      let found: RetainedTrade[] = [];
      let seen = 0;
      let covered = 0;
      for (let to = last.seq; found.length < limit && to >= first;) {
        const from = Math.max(first, to - stretchFor(limit - found.length, seen, covered) + 1);
        const records = await readSubject(engine, subject, { from, upTo: to, onRead: count.onRead, check });
        seen += records.length;
        covered += to - from + 1;
        const trades = entriesOf(records, Number.POSITIVE_INFINITY).filter((e): e is RetainedTrade => e.kind === 'trade');
        found = [...trades, ...found];
        to = from - 1;
      }
      return found.slice(Math.max(0, found.length - limit)).reverse();
    } catch (error) {
      options.onReadError?.(error);
      throw unreadable();
    } finally {
      count.done();
    }
  };

  return {
    get epoch() {
      return epochNow();
    },
    readsAfterConfirm: true,
    standInPositions: true,
    retain: () => [],
    release: () => undefined,
    append(topic, trades, _at, positions) {
      const id = topicId(topic);
      const fallback = lastSeen.get(id) ?? 0;
      const assigned = trades.map((_, i) => positions?.[i] ?? fallback);
      // The engine's own positions set it (a stream created again numbers from 1: never the old stream's max).
      const given = assigned.filter((_, i) => positions?.[i] !== undefined);
      if (given.length > 0) lastSeen.set(id, Math.max(...given));
      return assigned;
    },
    gap: () => undefined,
    after: (topic, epoch, position, limit = Number.POSITIVE_INFINITY) => slots(() => read(topic, epoch, position, limit)),
    newest: (topic, limit) => slots(() => readNewest(topic, limit)),
    close: () => lastSeen.clear(),
  };
}
