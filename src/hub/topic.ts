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
 */
import type { AnyChannel } from '../channels/channel.ts';
import type { Listener } from './listener.ts';
import { createReplayFilter, type ReplayFilter } from './replay-filter.ts';
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
  /** When the source last answered a subscribe of it (undefined: never yet). */
  #answeredAt: number | undefined;
  readonly #replays: ReplayFilter | undefined;

  constructor(channel: AnyChannel, key: string, payload: Readonly<Record<string, unknown>> | undefined) {
    this.channel = channel;
    this.key = key;
    this.payload = payload;
    this.#replays = channel.dedupeReplays === true ? createReplayFilter() : undefined;
    this.snapshot = snapshotMemoryOf(channel);
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
  interrupt(at: number): void {
    if (this.#answeredAt !== undefined) this.#interruptedSince ??= this.#lastEventAt ?? at;
  }

  /** The source answered (an ack, or data) at `at`; an interruption then reaches every event listener. */
  answered(at: number): void {
    this.#answeredAt = at;
    const since = this.#interruptedSince;
    if (since === undefined) return;
    this.#interruptedSince = undefined;
    if (this.channel.delivery !== 'event') return;
    this.#replays?.resumed(at);
    const signal = new StreamInterruption(since, Math.max(since, at));
    for (const listener of this.listeners) listener.interrupted?.(signal);
  }

  /** Turns one frame's items (received at `receivedAt`, stamped `frameTs` by the source) into events, once, and hands each to every listener. */
  publish(items: readonly unknown[], receivedAt: number, frameTs: number | undefined): void {
    const channel = this.channel;
    this.#lastEventAt = receivedAt;
    const events = channel.toEvents(items, this.#last);
    for (const raw of events) {
      const event = this.#replays === undefined ? raw : this.#replays.pass(raw, receivedAt);
      if (event === null) continue;
      if (channel.delivery === 'state') this.#last = event;
      this.snapshot?.record(event);
      for (const listener of this.listeners) listener.deliver(event, frameTs);
    }
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
