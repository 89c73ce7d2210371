/**
 * The hub's side facing its subscribers: a `Listener` receives a topic's
 * events, a `TopicHandle` is what joining a topic gives back, and an `Opener`
 * says who opens a topic when a join opens one.
 */
import type { SnapshotMemory } from './snapshot-memory.ts';
import type { StreamInterruption } from './signals.ts';

/** Receives a topic's events; one per subscriber (or per group of identical subscribers). */
export interface Listener {
  /** One event, from a source frame stamped `frameTs` (when the frame carried one). */
  deliver(event: unknown, frameTs: number | undefined): void;
  /** The topic's stream was interrupted and is back (event channels only); delivered in order with the events. */
  interrupted?(signal: StreamInterruption): void;
  /**
   * The listener resumes from a cursor (`after`): it also hears of a gap from before it joined (the time a
   * topic reopened within the resume window was closed), which a fresh listener had no part in.
   */
  readonly resumes?: boolean;
  fail(error: Error): void;
  /** The topic ended normally (shutdown). */
  end(): void;
}

export interface TopicHandle {
  /** The topic's latest event (state channels), for a late listener. */
  readonly last: unknown;
  /** Resolves once the source answered the topic's subscribe (acknowledged it, or sent data); rejects when it failed the topic. */
  readonly confirmed: Promise<void>;
  /** What the topic keeps for its Query twin. */
  readonly snapshot: SnapshotMemory | undefined;
  /** Leaves the topic. */
  release(): void;
}

/** Who opens a topic, if the join opens one (a join of a live topic ignores it). */
export interface Opener {
  /** The client's id (a socket, an HTTP request): a source may queue its subscribes in that client's lane. */
  readonly client?: string;
  /** Asked before a new topic opens (after the source's own `admit`); throws to refuse it. */
  readonly admit?: () => void;
}
