/**
 * A trades holder's catch-up, before it publishes again: when it takes the
 * topic over, and when it publishes after a pause (its lease lapsed, the
 * engine was away). Trades the exchange sent meanwhile may be missing from the
 * stream (every holder of the topic may have paused at once: an engine
 * restart lapses every lease), while this replica's own upstream got them.
 *
 * The holder reads the topic's last stored trades (past any gap marker after
 * them: a replica back from serving alone may have marked its time first) and
 * what its own upstream received lately (its memory window, `Upstream.recentTrades`) with the first
 * batch it is about to publish. The trades after the last one stored, up to
 * that batch (newer ones follow with their own frames), go out first, oldest first (the engine drops those it has: `Nats-Msg-Id`), so
 * readers get them late rather than never. When neither reaches back to the
 * last stored trade, trades between may be lost: a gap marker goes in first
 * (`gap-report.ts`), unless another replica holds the topic (it published
 * them) or the lease lapsed meanwhile.
 */
import type { Engine } from './engine.ts';
import type { Envelope } from './envelope.ts';
import { decodeStreamBody } from './gap-marker.ts';
import { readSubject } from './stream-read.ts';
import type { GapMarker } from './gap-marker.ts';
import { reportGap, type GapOutcome } from './gap-report.ts';
import type { Publisher } from './publisher.ts';
import type { ClusterTopic } from './subjects.ts';
import { idOf, timeOf } from './trade-items.ts';
import type { Unsent } from './unpublished.ts';
import type { MessageCheck } from './message-check.ts';

export interface CatchUpOptions {
  readonly engine: Engine;
  readonly publisher: Publisher;
  readonly topic: ClusterTopic;
  readonly node: string;
  /** The batch about to be published (oldest first): not published here. */
  readonly batch: readonly unknown[];
  /** What this replica's own upstream received lately, oldest first. */
  readonly recent: readonly unknown[];
  readonly othersHold: () => Promise<boolean>;
  /** The lease is still valid (a lapsed holder marks nothing). */
  readonly valid: () => boolean;
  readonly now: () => number;
  /** The gap could not be marked (the engine refused or went away): said before the error goes on. */
  readonly onGapFailed?: (marker: GapMarker) => void;
  /**
   * The gaps the own upstream had that end after `since` (its memory window): trades of those times are not in
   * `recent` either (its Coincall connection dropped while the engine or the lease was away), so each is marked.
   */
  readonly recentGaps?: (since: number) => Promise<ReadonlyArray<{ readonly since: number; readonly until: number }>>;
  /** This holder's trades whose publish failed since (`unpublished.ts`): sent again first, or their time marked. */
  readonly unsent?: Unsent;
  /** Reads the stream through the engine boundary's check (`message-check.ts`): a forged last message is passed over. */
  readonly check?: MessageCheck;
}

export interface CatchUp {
  /** Trades published from the own upstream's memory (those the engine had already come back as duplicates). */
  readonly filled: number;
  /** The gap marked because nothing reached back to the last trade stored. */
  readonly gap?: { readonly marker: GapMarker; readonly outcome: GapOutcome };
  /** The own upstream's gaps since the last trade stored, each judged (`gap-report.ts`). */
  readonly holes: ReadonlyArray<{ readonly marker: GapMarker; readonly outcome: GapOutcome }>;
}

/** Sequences read back per round when the topic's last messages are gap markers (doubling). */
const MARKER_LOOKBACK = 64;

/**
 * The topic's last stored trades, past any gap markers after them (a replica back from serving alone
 * may have marked its time before the holders caught up): the ids they hold, their newest time and
 * their sequence; the last marker's end when the topic holds no trades; undefined when it is empty.
 */
async function lastStored(
  engine: Engine,
  topic: ClusterTopic,
  check: MessageCheck | undefined,
): Promise<{ ids: Set<string>; at: number; seq: number } | undefined> {
  const subject = engine.names.subject(topic);
  const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: subject });
  if (last === null) return undefined;
  const body = check === undefined ? decodeStreamBody(last.data, last.header) : check.body(last.data, last.header, last.seq);
  const trades = (envelope: Envelope, seq: number) => ({
    ids: new Set(envelope.items.map(idOf)),
    at: Math.max(...envelope.items.map((item) => timeOf(item, envelope.ts))),
    seq,
  });
  if (body?.envelope !== undefined) return trades(body.envelope, last.seq);
  for (let back = MARKER_LOOKBACK; ; back *= 2) {
    const from = Math.max(1, last.seq - back);
    const records = await readSubject(engine, subject, { from, upTo: last.seq, ...(check === undefined ? {} : { check }) });
    const found = records.findLast((r) => r.envelope !== undefined);
    if (found?.envelope !== undefined) return trades(found.envelope, found.seq);
    if (from === 1) return { ids: new Set(), at: body?.gap?.until ?? last.time.getTime(), seq: last.seq };
  }
}

export async function catchUp(options: CatchUpOptions): Promise<CatchUp> {
  const { engine, publisher, topic } = options;
  const last = await lastStored(engine, topic, options.check);
  if (last === undefined) {
    // Nothing stored yet: only what failed to publish goes (again).
    const retry = options.unsent?.retry ?? [];
    await Promise.all(retry.map((item) => publisher.publishEvents(topic, [item], idOf, timeOf(item, options.now()))));
    return { filled: retry.length, holes: [] };
  }
  const inBatch = new Set(options.batch.map(idOf));
  const pool: unknown[] = [];
  const pooled = new Set<string>();
  for (const item of [...options.recent, ...options.batch]) {
    const id = idOf(item);
    if (pooled.has(id)) continue;
    pooled.add(id);
    pool.push(item);
  }
  let reached = -1;
  for (let i = pool.length - 1; i >= 0 && reached < 0; i--) if (last.ids.has(idOf(pool[i]))) reached = i;
  // Trades newer than the batch (they reached the memory while this read) go out with their own frames, after the batch:
  // stored now, they would come before the batch's in the stream.
  const batchEnd = pool.findLastIndex((item) => inBatch.has(idOf(item)));
  const end = batchEnd >= 0 ? batchEnd + 1 : pool.length;
  const after = reached >= 0 ? pool.slice(reached + 1, end) : pool.slice(0, end).filter((item) => timeOf(item, 0) > last.at);
  const fill = after.filter((item) => !inBatch.has(idOf(item)));
  // The last stored message is a gap marker: what is kept from before its end reaches back too.
  const reachesBack = reached >= 0 || (last.ids.size === 0 && pool.length > 0 && timeOf(pool[0], Number.POSITIVE_INFINITY) <= last.at);

  /** Marks `marker` after the last trade stored (`gap-report.ts`); a marker it could not write is said before the error goes on. */
  const mark = async (marker: GapMarker) => {
    const check = options.check === undefined ? {} : { check: options.check };
    const outcome = await reportGap({ engine, publisher, topic, node: options.node, gap: marker, after: last.seq, ...check }).catch(
      (error: unknown) => {
        options.onGapFailed?.(marker);
        throw error;
      },
    );
    return { marker, outcome };
  };

  let gap: CatchUp['gap'];
  if (!reachesBack && !(await options.othersHold()) && options.valid()) {
    // In the trades' own time, as `until` is.
    const since = last.at + 1;
    const firstKept = after.length === 0 ? options.now() : timeOf(after[0], options.now());
    gap = await mark({ since, until: Math.max(since, Math.min(firstKept, options.now())), reason: 'UPSTREAM' });
  }
  const holes: Array<{ marker: GapMarker; outcome: GapOutcome }> = [];
  const { retry = [], stale = [] } = options.unsent ?? {};
  if (stale.length > 0 && options.valid()) {
    // Failed too long ago to send again (a copy the engine stored after all would be stored twice): may be missing.
    const times = stale.map((item) => timeOf(item, last.at));
    holes.push(await mark({ since: Math.min(...times), until: Math.max(...times), reason: 'UPSTREAM' }));
  }
  // What failed to publish goes again first, then what the memory has after the last trade stored; each with its
  // own time as the frame's: readers take these as trades from before (reader.ts).
  const publish = (items: readonly unknown[]) =>
    Promise.all(items.map((item) => publisher.publishEvents(topic, [item], idOf, timeOf(item, last.at))));
  await publish(retry);
  const retried = new Set(retry.map(idOf));
  const rest = fill.filter((item) => !retried.has(idOf(item)));
  // Only holes that began after the last trade stored: its upstream dropped while it was to feed the stream. (One that
  // began before, such as the time its own topic was closed, is a takeover's business: the reach-back above.) Each
  // ends where what it holds resumes, and goes in after the trades before it, so that the stream keeps time order.
  let next = 0;
  for (const hole of uncovered((await options.recentGaps?.(last.at)) ?? [], last.at, pool, options.batch)) {
    if ((await options.othersHold()) || !options.valid()) break;
    const upTo = rest.findIndex((item, i) => i >= next && timeOf(item, last.at) > hole.since);
    await publish(rest.slice(next, upTo < 0 ? rest.length : upTo));
    next = upTo < 0 ? rest.length : upTo;
    holes.push(await mark({ since: hole.since, until: hole.until, reason: 'UPSTREAM' }));
  }
  await publish(rest.slice(next));
  const filled = retry.length + rest.length;
  return gap === undefined ? { filled, holes } : { filled, gap, holes };
}

/**
 * The own upstream's holes that began after `storedAt`, oldest first. The batch about to be published (its
 * subscription's first: the exchange's recent trades, one run) covers a hole it reaches back across; else a hole
 * ends at the oldest trade held from after its start, where that run begins.
 */
function uncovered(
  gaps: ReadonlyArray<{ readonly since: number; readonly until: number }>,
  storedAt: number,
  held: readonly unknown[],
  batch: readonly unknown[],
): Array<{ since: number; until: number }> {
  const timesOf = (items: readonly unknown[]) => items.map((item) => timeOf(item, Number.NaN)).filter((t) => !Number.isNaN(t));
  const times = timesOf(held);
  const batchFrom = Math.min(...timesOf(batch));
  return gaps
    .filter((hole) => hole.since > storedAt && batchFrom > hole.since)
    .map((hole) => ({ since: hole.since, until: Math.min(hole.until, ...times.filter((t) => t > hole.since)) }))
    .sort((a, b) => a.since - b.since);
}
