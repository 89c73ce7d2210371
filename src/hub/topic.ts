/**
 * One topic: a (channel, routing key) pair shared by its listeners.
 *
 * A topic holds what every listener of it shares, whatever its source: the
 * listeners themselves, the latest event (state channels serve it to a late
 * listener), its snapshot memory (for the Query twin), and its continuity.
 * How its subscribe stands at the source is the source's business.
 *
 * Continuity: when the stream of a topic that had been answered is
 * interrupted (its connection dropped, or it is resubscribed), `interrupt`
 * notes since when; once the source answers again, every listener of an
 * event channel gets one `StreamInterruption` before any newer event. Event
 * channels that declare `dedupeReplays` remember their recent event ids, and
 * for a while after such a resume drop the items the source sends again.
 *
 * Probe (`probe`, those channels only): the source re-subscribed a quiet topic;
 * the first frame after its answer is judged by `probe.ts` (quiet market,
 * missed items recovered, or a gap to signal). A resumable topic opened again
 * while the window still holds its trades (it lingered out, and a subscriber
 * came back within the window) is judged so too, from the time it was closed:
 * the time nobody listened is a gap (in the window, and for the listeners
 * that resume from a cursor: a fresh one had no part in it) only when the
 * first batch does not reach back to what the window retained.
 * A drop before that batch leaves the judgement to the batch of the
 * resubscribe (no interruption said on top of it).
 *
 * Resumable channels (trades) keep their events in the resume window
 * (`resume-window.ts`) when the table has one: each trade is stamped with its
 * `cursor` before any listener sees it, and the topic's own gaps are recorded
 * there at their place. A source that knows each trade's place in its own
 * stream (the cluster's engine) hands the positions in with the items; the
 * window then uses them as they are (the same cursor on every replica).
 * Otherwise the window assigns them; a window whose positions for such trades
 * are stand-ins (`standInPositions`) has the stamp say so (`cursor.ts`).
 */
import type { AnyChannel } from '../channels/channel.ts';
import { isRecord } from '../lib/json.ts';
import { stampTrade, tradeIdOf } from './cursor.ts';
import type { Listener } from './listener.ts';
import { judgeProbe, PROBE_WINDOW_MS, type Probe } from './probe.ts';
import { createReplayFilter, REPLAY_MEMORY, type ReplayFilter } from './replay-filter.ts';
import type { GapReason, ResumeWindow, WindowTopic } from './resume-window.ts';
import { StreamInterruption } from './signals.ts';
import { snapshotMemoryOf, type SnapshotMemory } from './snapshot-memory.ts';

export class Topic {
  readonly channel: AnyChannel;
  readonly key: string;
  /** The subscribe payload; none for channels that take none. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  readonly listeners = new Set<Listener>();
  /** What the topic keeps for its Query twin (snapshot-memory.ts). */
  readonly snapshot: SnapshotMemory | undefined;
  #last: unknown = undefined;
  /** When the latest data arrived. */
  #lastEventAt: number | undefined;
  /** Since when the stream is interrupted (set while it is, if it had been answered before). */
  #interruptedSince: number | undefined;
  /** Why it is interrupted (UPSTREAM unless the source said otherwise). */
  #interruptedReason: GapReason = 'UPSTREAM';
  /** When the source last answered a subscribe of it (undefined: never yet). */
  #answeredAt: number | undefined;
  readonly #replays: ReplayFilter | undefined;
  /** A probe under way (see `probe`). */
  #probe: Probe | undefined;
  /** The resume window, for a resumable channel's topic in a table that has one. */
  readonly window: ResumeWindow | undefined;
  /** The topic as the window names it. */
  readonly windowTopic: WindowTopic;

  constructor(channel: AnyChannel, key: string, payload: Readonly<Record<string, unknown>> | undefined, window?: ResumeWindow) {
    this.channel = channel;
    this.key = key;
    this.payload = payload;
    this.#replays = channel.dedupeReplays === true ? createReplayFilter() : undefined;
    this.snapshot = snapshotMemoryOf(channel);
    this.window = channel.resumable === true ? window : undefined;
    this.windowTopic = { channel: channel.id, key };
    // A topic reopened within the window: what the window holds was delivered already.
    const closedAt = this.window?.closedAt?.(this.windowTopic);
    const retained = this.window?.retain(this.windowTopic, REPLAY_MEMORY);
    if (retained !== undefined) this.#replays?.seed(retained);
    // Whether the time it was closed lost trades: its first batch says (`probe.ts`); without a replay filter to judge by, it may have.
    if (closedAt === undefined || retained === undefined || retained.length === 0) return;
    if (this.#replays !== undefined) this.#probe = { report: () => undefined, openedAt: undefined, since: closedAt, reopened: true };
    else this.window?.gap(this.windowTopic, closedAt, Date.now(), 'UPSTREAM');
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** When the latest data arrived (undefined before any). */
  get lastEventAt(): number | undefined {
    return this.#lastEventAt;
  }

  /** When the topic last showed life at its source: its latest data, or the latest answer to its subscribe. */
  get activeAt(): number | undefined {
    if (this.#lastEventAt === undefined) return this.#answeredAt;
    if (this.#answeredAt === undefined) return this.#lastEventAt;
    return Math.max(this.#lastEventAt, this.#answeredAt);
  }

  /** The latest event (state channels only), for a late listener. */
  get last(): unknown {
    return this.#last;
  }

  /**
   * The stream was cut at `at` (a drop, a resubscribe). Events from the last
   * data on may be missing; nothing to say if it never was answered.
   */
  interrupt(at: number, reason: GapReason = 'UPSTREAM'): void {
    if (this.#answeredAt === undefined || this.#interruptedSince !== undefined) return;
    this.snapshot?.interrupted?.();
    this.#interruptedSince = this.#lastEventAt ?? at;
    this.#interruptedReason = reason;
  }

  /** A gap the source knows the times of (event channels): every listener hears of it in order, and the window keeps it. */
  gap(since: number, until: number, reason: GapReason): void {
    if (this.channel.delivery === 'event') this.#signal(new StreamInterruption(since, Math.max(since, until), reason), reason);
  }

  /** The source answered (an ack, or data) at `at`; an interruption then reaches every event listener. */
  answered(at: number): void {
    const before = this.#answeredAt;
    this.#answeredAt = at;
    // Before any listener hears of it: a query waiting on the memory reads it then.
    this.snapshot?.answered?.(at);
    const since = this.#interruptedSince;
    if (since === undefined) {
      if (this.#probe !== undefined && this.#probe.openedAt === undefined) {
        this.#probe = { ...this.#probe, openedAt: at, since: this.#probe.since ?? this.#lastEventAt ?? before ?? at };
        this.#replays?.resumed(at);
      }
      return;
    }
    this.#interruptedSince = undefined;
    const reopened = this.#probe?.reopened === true ? this.#probe : undefined;
    if (reopened !== undefined) {
      // Reopened and cut before its first batch: the resubscribe's batch judges the whole time since it was closed.
      this.#probe = { ...reopened, openedAt: at, droppedAt: reopened.droppedAt ?? since };
      this.#interruptedReason = 'UPSTREAM';
      this.#replays?.resumed(at);
      return;
    }
    // The interruption says it all: no probe verdict on top of it.
    this.#probe = undefined;
    if (this.channel.delivery !== 'event') return;
    this.#replays?.resumed(at);
    const reason = this.#interruptedReason;
    this.#interruptedReason = 'UPSTREAM';
    this.#signal(new StreamInterruption(since, Math.max(since, at), reason), reason);
  }

  /** Records a gap in the window at its place and tells every listener (only those that resume, for a gap from before they joined). */
  #signal(signal: StreamInterruption, reason: GapReason = 'UPSTREAM', beforeJoin = false): void {
    this.window?.gap(this.windowTopic, signal.since, signal.until, reason);
    for (const listener of this.listeners) if (!beforeJoin || listener.resumes === true) listener.interrupted?.(signal);
  }

  /** A reopened topic cut before its batch, which did not answer for its time: the listeners not resuming lived through the cut. */
  #droppedWhileReopened(probe: Probe, until: number): void {
    const since = probe.droppedAt;
    if (since === undefined) return;
    const signal = new StreamInterruption(since, Math.max(since, until), 'UPSTREAM');
    for (const listener of this.listeners) if (listener.resumes !== true) listener.interrupted?.(signal);
  }

  /**
   * The source re-subscribes this quiet topic to check it: the first frame
   * after the answer is judged against what was delivered (event channels that
   * dedupe replays only); `report` hears of missed items.
   */
  probe(report: Probe['report']): void {
    if (this.#replays !== undefined) this.#probe = { report, openedAt: undefined, since: undefined };
  }

  /** Turns one frame's items (received at `receivedAt`, stamped `frameTs` by the source) into events, once, and hands each to every listener. */
  publish(items: readonly unknown[], receivedAt: number, frameTs: number | undefined, positions?: readonly number[]): void {
    const channel = this.channel;
    const probe = this.#probe;
    if (probe?.openedAt !== undefined) this.#probe = undefined;
    this.#lastEventAt = receivedAt;
    const raw = channel.toEvents(items, this.#last);
    const probed = probe?.openedAt !== undefined && receivedAt - probe.openedAt <= PROBE_WINDOW_MS && this.#replays !== undefined;
    let passed: unknown[] = [];
    if (probed) {
      const judged = judgeProbe(probe, raw, this.#replays, receivedAt);
      // A reopened topic's gap predates its listeners: only those resuming from a cursor had a part in it.
      if (judged.signal !== undefined) {
        this.#signal(judged.signal, 'UPSTREAM', probe.reopened === true);
        this.#droppedWhileReopened(probe, judged.signal.until);
      }
      passed = judged.events;
    } else {
      // A reopened topic whose first frame came too late to be the exchange's batch: its closed time cannot be judged.
      if (probe?.reopened === true && probe.openedAt !== undefined && this.#replays !== undefined) {
        const since = probe.since ?? probe.openedAt;
        this.#signal(new StreamInterruption(since, Math.max(since, probe.openedAt), 'UPSTREAM'), 'UPSTREAM', true);
        this.#droppedWhileReopened(probe, probe.openedAt);
      }
      for (const event of raw) {
        const kept = this.#replays === undefined ? event : this.#replays.pass(event, receivedAt);
        if (kept !== null) passed.push(kept);
      }
    }
    for (const kept of passed) {
      const event = this.window === undefined ? kept : this.#retain(this.window, kept, receivedAt, knownPositions(items, positions));
      if (channel.delivery === 'state') this.#last = event;
      this.snapshot?.record(event);
      for (const listener of this.listeners) listener.deliver(event, frameTs);
    }
  }

  /**
   * Records a list of trades in the window, oldest first (a frame lists them
   * newest first), and returns the list as it came, each trade stamped with its cursor.
   */
  #retain(window: ResumeWindow, event: unknown, receivedAt: number, known: ((trade: unknown) => number | undefined) | undefined): unknown {
    if (!Array.isArray(event)) return event;
    const trades: unknown[] = event;
    const timeOf = (trade: unknown) => (isRecord(trade) && typeof trade['timestamp'] === 'number' ? trade['timestamp'] : receivedAt);
    // The source's own positions when it knows every trade's; else by time, and for equal times from the end of the list (the older).
    const given = known === undefined ? undefined : trades.map((trade) => known(trade));
    const sourced = given !== undefined && given.every((p): p is number => p !== undefined) ? given : undefined;
    const order = trades
      .map((_, i) => i)
      .sort(
        sourced === undefined ? (a, b) => timeOf(trades[a]) - timeOf(trades[b]) || b - a : (a, b) => (sourced[a] ?? 0) - (sourced[b] ?? 0),
      );
    const positions = window.append(
      this.windowTopic,
      order.map((i) => trades[i]),
      receivedAt,
      sourced === undefined ? undefined : order.map((i) => sourced[i] ?? 0),
    );
    // Positions the source gave, or a window's own, are the trades' places; a window's stand-ins are not.
    const exact = sourced !== undefined || window.standInPositions !== true;
    const stamped = trades.slice();
    order.forEach((i, n) => {
      const trade = trades[i];
      const position = positions[n];
      if (!isRecord(trade) || position === undefined) return;
      const cursor = { topic: this.windowTopic, epoch: window.epoch, position, at: timeOf(trade), id: tradeIdOf(trade) };
      stamped[i] = stampTrade(trade, cursor, exact);
    });
    return stamped;
  }

  /** Fails every listener (they are let go). */
  fail(error: Error): void {
    for (const listener of [...this.listeners]) listener.fail(error);
    this.listeners.clear();
  }

  /** Ends every listener normally (shutdown). */
  end(): void {
    for (const listener of this.listeners) listener.end();
    this.listeners.clear();
  }
}

/** Each item's position as the source gave it (by the item itself, or by its trade id when the hub made a new record of it). */
function knownPositions(
  items: readonly unknown[],
  positions: readonly number[] | undefined,
): ((trade: unknown) => number | undefined) | undefined {
  if (positions === undefined) return undefined;
  const byItem = new Map<unknown, number>();
  const byId = new Map<string, number>();
  items.forEach((item, i) => {
    const position = positions[i];
    if (position === undefined) return;
    byItem.set(item, position);
    if (isRecord(item) && typeof item['id'] === 'string') byId.set(item['id'], position);
  });
  return (trade) => byItem.get(trade) ?? (isRecord(trade) && typeof trade['id'] === 'string' ? byId.get(trade['id']) : undefined);
}
