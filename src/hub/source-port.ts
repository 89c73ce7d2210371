/**
 * The port between the hub and an event source (the exchange, the cluster's
 * engine, a test's in-memory feed): the only thing the hub knows of where
 * events come from.
 *
 * The contract, per topic table (`topic-table.ts` builds the hub side and
 * hands it to the source's factory):
 *
 * Hub → source (`TopicSource`):
 * - `admit(channel)` (optional): a join is about to open a new topic; throw
 *   (a GatewayError, e.g. LIMIT_EXCEEDED) to refuse it. Nothing is opened then.
 * - `subscribe(topic, client)`: the topic opened (its first listener joined).
 *   Start feeding it; `client` is who opened it, for fairness. It must not
 *   throw: refusals belong in `admit`, or later in `failed`.
 * - `unsubscribe(topic)`: the hub forgot the topic (its linger ran out, or the
 *   table closes). Stop feeding it; calls about it are ignored from now on.
 * - `close()`: the table closed (after an `unsubscribe` of every topic).
 * - `status()`: whatever the source reports of itself; its own shape.
 *
 * Source → hub (`HubPort`):
 * - `answered(topic, at)`: the source confirmed the topic (the exchange
 *   acknowledged it, the engine has it): the joins' `confirmed` resolve, and a
 *   topic that was interrupted resumes (its event listeners get one
 *   `StreamInterruption` first). Call it before the first `publish` of a
 *   subscribe, and again after each interruption once the stream is back.
 * - `publish(topic, items, receivedAt, frameTs, positions)`: one frame's decoded
 *   items; the hub turns them into events once and hands them to every
 *   listener. `positions` (aligned with `items`), when the source knows each
 *   item's place in its own stream (the engine's stream sequence), become the
 *   trades' positions in the resume window (their cursors).
 * - `failed(topic, error)`: the topic failed for good; its listeners get the
 *   error, the topic is removed, and no `unsubscribe` follows.
 * - `interrupted(at, topic?, reason?)`: the stream of every topic (or of one)
 *   was cut at `at` (a dropped connection, a resubscribe; `reason` ENGINE when
 *   the cluster's engine was away, UPSTREAM by default); it resumes at the next
 *   `answered`.
 * - `gap(topic, since, until, reason)`: a gap the source learned of with its
 *   exact times (a holder's gap marker read from the engine): every event
 *   listener gets it in order with the events, as a `StreamInterruption`.
 * - `probe(topic, report)` (optional): the source re-subscribes an event topic
 *   that went quiet, to tell a quiet market from a dead topic. After the next
 *   `answered`, the first frame (the exchange's batch of its recent items) is
 *   compared with what was delivered: items already delivered are dropped; if
 *   new ones remain they are delivered, after a `StreamInterruption` when the
 *   batch does not reach back to what was delivered (some may be missing), and
 *   `report` gets the verdict. A batch of nothing new is a quiet market: nothing
 *   is said.
 * - `find(channel, key)` and `topics()`: the live topics, for routing a frame
 *   and for walking them (reconnect, status).
 *
 * Acknowledgements, retries, pacing and reconnects are the source's business,
 * kept in its own state keyed by the `SourceTopic` object (identity is stable
 * from `subscribe` to `unsubscribe` or `failed`).
 */
import type { AnyChannel } from '../channels/channel.ts';
import type { GapReason } from './resume-window.ts';

/** What a source sees of a topic: what to subscribe, and how alive it is. */
export interface SourceTopic {
  readonly channel: AnyChannel;
  /** The routing key (e.g. the symbol); unique per channel within a table. */
  readonly key: string;
  /** The channel's subscribe payload for it; none for channels that take none. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  /** Listeners now (lingering topics have none). */
  readonly subscribers: number;
  /** When its latest data was published (undefined before any). */
  readonly lastEventAt: number | undefined;
  /** When it last showed life: its latest data, or the latest `answered`. */
  readonly activeAt: number | undefined;
}

/** What the hub asks of a source. */
export interface TopicSource<Status = unknown> {
  admit?(channel: AnyChannel): void;
  subscribe(topic: SourceTopic, client: string | undefined): void;
  unsubscribe(topic: SourceTopic): void;
  close(): void;
  status(): Status;
}

/** What a probe found (see `HubPort.probe`): a topic that was dead while its connection lived. */
export interface ProbeVerdict {
  /** Items of the probe's batch that had never been delivered (now delivered). */
  readonly missed: number;
  /** The batch did not reach back to what was delivered: some items may be lost (listeners were told). */
  readonly gap: boolean;
}

/** What a source tells the hub. */
export interface HubPort {
  answered(topic: SourceTopic, at: number): void;
  publish(
    topic: SourceTopic,
    items: readonly unknown[],
    receivedAt: number,
    frameTs: number | undefined,
    positions?: readonly number[],
  ): void;
  failed(topic: SourceTopic, error: Error): void;
  interrupted(at: number, topic?: SourceTopic, reason?: GapReason): void;
  gap(topic: SourceTopic, since: number, until: number, reason: GapReason): void;
  probe?(topic: SourceTopic, report: (verdict: ProbeVerdict) => void): void;
  find(channel: AnyChannel, key: string): SourceTopic | undefined;
  topics(): IterableIterator<SourceTopic>;
}
