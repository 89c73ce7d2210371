/**
 * One upstream topic: a (channel, routing key) pair shared by its listeners.
 *
 * A topic holds what every listener of it shares: the listeners themselves,
 * the latest event (state channels serve it to a late listener), the promise
 * that settles once the exchange answered the subscribe, and where its
 * upstream subscribe stands, as one explicit state:
 *
 *   sending ──written──> awaiting ──acknowledged, or data──> answered
 *      ▲                    │
 *      └──re-send── throttled <──"too many request"
 *
 * A reconnect sends every subscribe again: back to `sending` from anywhere. The topic table keeps the linger; the ack tracker moves the state;
 * the frame router hands a frame's decoded items to `publish`.
 *
 * Continuity: when the stream of a topic that had been answered is
 * interrupted (its connection dropped, or it is resubscribed), `interrupt`
 * notes since when; once the exchange answers again, every listener of an
 * event channel gets one `StreamInterruption` before any newer event. Event
 * channels that declare `dedupeReplays` remember their recent event ids, and
 * for a while after such a resume drop the items the exchange sends again.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { createReplayFilter, type ReplayFilter } from './replay-filter.ts';
import { StreamInterruption } from './signals.ts';
import { snapshotMemoryOf, type SnapshotMemory } from './snapshot.ts';

/** Receives a topic's events; one per subscriber (or per group of identical subscribers). */
export interface Listener {
  /** One event, from an exchange frame stamped `frameTs` (when the frame carried one). */
  deliver(event: unknown, frameTs: number | undefined): void;
  /** The topic's stream was interrupted and is back (event channels only); delivered in order with the events. */
  interrupted?(signal: StreamInterruption): void;
  fail(error: Error): void;
  /** The topic ended normally (shutdown). */
  end(): void;
}

/**
 * Where the topic's latest upstream subscribe stands. `retries` counts its
 * re-sends after "too many request" since the last answer (or reconnect).
 */
export type SubscribeState =
  /** Queued on the connection, not yet written to the socket. */
  | { readonly kind: 'sending'; readonly retries: number }
  /** Written at `since`, unanswered. */
  | { readonly kind: 'awaiting'; readonly since: number; readonly retries: number }
  /** Refused for "too many request"; `timer` re-sends it. */
  | { readonly kind: 'throttled'; readonly timer: NodeJS.Timeout; readonly retries: number }
  /** Acknowledged, or data arrived. */
  | { readonly kind: 'answered' };

const ANSWERED: SubscribeState = { kind: 'answered' };

/** Settles once: confirmed (the exchange answered) or refused. */
class Confirmation {
  readonly promise: Promise<void>;
  settled = false;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => undefined);
  }

  confirm(): void {
    if (this.settled) return;
    this.settled = true;
    this.#resolve();
  }

  refuse(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.#reject(error);
  }
}

export class Topic {
  readonly channel: AnyChannel;
  readonly key: string;
  /** The upstream subscribe payload; none for channels that take none. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  readonly listeners = new Set<Listener>();
  /** What the topic keeps for its Query twin (snapshot.ts). */
  readonly snapshot: SnapshotMemory | undefined;
  #last: unknown = undefined;
  #state: SubscribeState = { kind: 'sending', retries: 0 };
  readonly #confirmation = new Confirmation();
  /** When the latest data frame arrived. */
  #lastEventAt: number | undefined;
  /** Since when the stream is interrupted (set while it is, if it had been answered before). */
  #interruptedSince: number | undefined;
  #everAnswered = false;
  /** When the exchange last answered a subscribe of it. */
  #answeredAt: number | undefined;
  /** Times the topic was resubscribed because it went stale. */
  resubscribes = 0;
  readonly #replays: ReplayFilter | undefined;

  constructor(channel: AnyChannel, key: string, payload: Readonly<Record<string, unknown>> | undefined) {
    this.channel = channel;
    this.key = key;
    this.payload = payload;
    this.#replays = channel.dedupeReplays === true ? createReplayFilter() : undefined;
    this.snapshot = snapshotMemoryOf(channel);
  }

  /** When the latest data arrived (undefined before any). */
  get lastEventAt(): number | undefined {
    return this.#lastEventAt;
  }

  /** When the topic last showed life upstream: its latest data, or the latest answer to its subscribe. */
  get activeAt(): number | undefined {
    if (this.#lastEventAt === undefined) return this.#answeredAt;
    if (this.#answeredAt === undefined) return this.#lastEventAt;
    return Math.max(this.#lastEventAt, this.#answeredAt);
  }

  /**
   * The stream was cut at `at` (a drop, a resubscribe). Events from the last
   * data on may be missing; nothing to say if it never was answered.
   */
  interrupt(at: number): void {
    if (this.#everAnswered) this.#interruptedSince ??= this.#lastEventAt ?? at;
  }

  /** The latest event (state channels only), for a late listener. */
  get last(): unknown {
    return this.#last;
  }

  get state(): SubscribeState {
    return this.#state;
  }

  /** Resolves once the exchange answered the subscribe; rejects when the topic failed first. */
  get confirmation(): Promise<void> {
    return this.#confirmation.promise;
  }

  /** A subscribe is unanswered, or the topic is not confirmed yet. */
  get pending(): boolean {
    return this.#state.kind === 'awaiting' || this.#state.kind === 'throttled' || !this.#confirmation.settled;
  }

  /** A subscribe is queued (its `retries`-th re-send; 0 for a first or a reconnect's); a scheduled re-send is moot. */
  sending(retries: number): void {
    this.#cancelRetry();
    this.#state = { kind: 'sending', retries };
  }

  written(at: number): void {
    if (this.#state.kind === 'sending') this.#state = { kind: 'awaiting', since: at, retries: this.#state.retries };
  }

  /** The written subscribe was refused for "too many request"; `timer` will re-send it. */
  throttled(timer: NodeJS.Timeout): void {
    if (this.#state.kind === 'awaiting') this.#state = { kind: 'throttled', timer, retries: this.#state.retries };
    else clearTimeout(timer);
  }

  /** The exchange answered (an ack, or data) at `at`; an interruption then reaches every event listener. */
  answered(at: number): void {
    this.#cancelRetry();
    this.#state = ANSWERED;
    this.#everAnswered = true;
    this.#answeredAt = at;
    this.#confirmation.confirm();
    const since = this.#interruptedSince;
    if (since === undefined) return;
    this.#interruptedSince = undefined;
    if (this.channel.delivery !== 'event') return;
    this.#replays?.resumed(at);
    const signal = new StreamInterruption(since, Math.max(since, at));
    for (const listener of this.listeners) listener.interrupted?.(signal);
  }

  /** Turns one frame's items (received at `receivedAt`, stamped `frameTs` by the exchange) into events, once, and hands each to every listener. */
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

  /** Fails the topic and every listener (they are let go). */
  fail(error: Error): void {
    this.#cancelRetry();
    this.#confirmation.refuse(error);
    for (const listener of [...this.listeners]) listener.fail(error);
    this.listeners.clear();
  }

  /** Ends every listener normally (shutdown). */
  end(): void {
    this.#cancelRetry();
    for (const listener of this.listeners) listener.end();
    this.listeners.clear();
  }

  #cancelRetry(): void {
    if (this.#state.kind === 'throttled') clearTimeout(this.#state.timer);
  }
}
