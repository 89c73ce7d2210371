/**
 * The publishing side of one topic this replica holds: it joins the topic on
 * its own Coincall source (a raw listener, `Upstream.tap`: the events as the
 * hub makes them, shared with any local subscriber of the same topic) and
 * publishes each event into the engine in item form (`channel.itemsOf`), while
 * its lease is valid and only then: a lost or expired lease stops it at once.
 *
 * Trades go one message each (`Nats-Msg-Id` = the trade's id: the copy of the
 * topic's other holder is dropped by the engine). A state value is fenced with
 * the subject's last sequence this holder knows: a write the engine refuses
 * means another replica wrote meanwhile; the holder reads the sequence again
 * and goes on only while its lease is still valid. State values are
 * conflated: while one publish is in flight, only the latest value waits.
 *
 * A trades topic's own upstream gap (its Coincall connection dropped; the
 * exchange's signal comes once it is back) goes into the stream as a gap
 * marker unless another publisher covered it (`gap-report.ts`), so every
 * replica's clients hear of it at its place.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Engine } from './engine.ts';
import type { Lease } from './lease.ts';
import type { Publisher } from './publisher.ts';
import type { ClusterTopic } from './subjects.ts';
import { isRecord } from '../../lib/json.ts';
import { itemId } from './cluster-topic.ts';
import { decodeEnvelope } from './envelope.ts';
import { reportGap } from './gap-report.ts';
import type { GapResult } from './gap-counts.ts';
import type { GapMarker } from './gap-marker.ts';

export interface HolderOptions {
  readonly topic: ClusterTopic;
  readonly channel: AnyChannel;
  readonly args: unknown;
  readonly lease: Lease;
  /** Joins the topic on this replica's own Coincall source. */
  readonly tap: (channel: AnyChannel, args: unknown, listener: Listener) => TopicHandle;
  /** The engine and its publisher, when the engine is up; undefined while it is unreachable. */
  readonly engine: () => { readonly engine: Engine; readonly publisher: Publisher } | undefined;
  readonly now: () => number;
  readonly logger: Logger;
  /** This replica's node id (whose gap markers are its own). */
  readonly node: string;
  /** A gap of its upstream was judged (published, covered by another publisher, or said already), or could not be marked (failed). */
  readonly onGap?: (outcome: GapResult, gap: GapMarker) => void;
  /** Whether another replica holds one of the topic's lease slots now (it publishes every trade too). */
  readonly othersHold?: () => Promise<boolean>;
}

/** Items a trades holder keeps of what it received lately: a reader going local replays them (the engine may have lost them). */
export const RECENT_UPSTREAM_ITEMS = 1_000;

export interface Holder {
  readonly topic: ClusterTopic;
  /** What it received lately from its upstream (trades topics; oldest frame first). */
  recent(): readonly unknown[];
  /** Whether its Coincall subscription has been answered (its data flows). */
  readonly answered: boolean;
  stop(): void;
}

const idOf = (item: unknown): string => itemId(item) ?? JSON.stringify(item);
const withoutCursor = (item: unknown): unknown => {
  if (!isRecord(item) || !('cursor' in item)) return item;
  const { cursor: _cursor, ...rest } = item;
  return rest;
};
const timeOf = (item: unknown, fallback: number): number =>
  typeof item === 'object' && item !== null && 'timestamp' in item && typeof item.timestamp === 'number' ? item.timestamp : fallback;

export function startHolder(options: HolderOptions): Holder {
  const { topic, channel, lease, logger } = options;
  let stopped = false;
  let answered = false;
  /** The subject's last sequence as this holder knows it; undefined: read it before the next write. */
  let expected: number | undefined;
  let pending: { items: readonly unknown[]; ts: number } | undefined;
  let busy = false;
  /** A gap being judged: trades that come meanwhile are published after its marker, so it stays at its place. */
  let judging: Promise<void> | undefined;

  const failed = (error: unknown) => {
    logger.warn({ topic: topic.id, err: error instanceof Error ? error.message : String(error) }, 'cluster publish failed');
  };

  const lastSequence = async (engine: Engine): Promise<number> => {
    const latest = await engine.jsm.direct.getMessage(engine.names.stateStream, { last_by_subj: engine.names.subject(topic) });
    return latest?.seq ?? 0;
  };

  const drainState = async () => {
    busy = true;
    try {
      while (pending !== undefined && !stopped && lease.valid()) {
        const value = pending;
        pending = undefined;
        const link = options.engine();
        if (link === undefined) return;
        expected ??= await lastSequence(link.engine);
        if (!lease.valid()) return;
        const outcome = await link.publisher.publishState(topic, value.items, value.ts, expected);
        if (outcome.result === 'stored') expected = outcome.seq;
        else {
          // Someone wrote in between (a stale holder's late write): read again; the lease check above decides.
          expected = undefined;
          pending ??= value;
        }
      }
    } catch (error) {
      expected = undefined;
      failed(error);
    } finally {
      busy = false;
    }
  };

  const publish = (event: unknown, frameTs: number | undefined) => {
    if (stopped || !lease.valid()) return;
    const link = options.engine();
    if (link === undefined) return;
    const items = channel.itemsOf(event);
    if (items.length === 0) return;
    const ts = frameTs ?? options.now();
    if (topic.kind === 'event') {
      // Oldest first, so the stream (and a replay of it) keeps the trades in time order; a frame lists them newest first.
      // Without the own process's cursor: a trade's cursor in the cluster is its stream sequence, stamped where it is read.
      const ordered = [...items]
        .reverse()
        .sort((a, b) => timeOf(a, ts) - timeOf(b, ts))
        .map(withoutCursor);
      const send = () => void link.publisher.publishEvents(topic, ordered, idOf, ts).catch(failed);
      if (firstBatch) takeoverCheck(link, ordered);
      if (judging === undefined) send();
      else void judging.then(send);
      return;
    }
    pending = { items, ts };
    if (!busy) void drainState();
  };

  /** A trades topic's first batch is checked before it goes out (`takeoverCheck`). */
  let firstBatch = topic.kind === 'event';

  /**
   * The first batch (the exchange's recent trades, sent on subscribe) must
   * reach back to the last trade stored, unless another holder publishes the
   * topic: if not, the trades between (a dead sole holder's last ones) may be
   * lost, and a gap is marked unless another publisher covered it.
   */
  const takeoverCheck = (link: { readonly engine: Engine; readonly publisher: Publisher }, batch: readonly unknown[]) => {
    firstBatch = false;
    const { engine } = link;
    const judged: Promise<void> = (judging ?? Promise.resolve())
      .then(async () => {
        if ((await options.othersHold?.()) === true) return;
        const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: engine.names.subject(topic) });
        const stored = last === null ? undefined : decodeEnvelope(last.data);
        if (last === null || stored === undefined) return;
        const ids = new Set(batch.map(idOf));
        if (stored.items.some((item) => ids.has(idOf(item))) || !lease.valid()) return;
        const since = last.time.getTime() + 1;
        const gap: GapMarker = { since, until: Math.max(since, options.now()), reason: 'UPSTREAM' };
        const outcome = await reportGap({ engine, publisher: link.publisher, topic, node: options.node, gap }).catch((error: unknown) => {
          options.onGap?.('failed', gap);
          throw error;
        });
        logger.info({ topic: topic.id, since, outcome }, 'cluster holder: its first batch does not reach back to the last trade stored');
        options.onGap?.(outcome, gap);
      })
      .catch(failed)
      .finally(() => {
        if (judging === judged) judging = undefined;
      });
    judging = judged;
  };

  /** The upstream missed trades from `since` to `until`: marked in the stream unless another publisher covered it. */
  const upstreamGap = (since: number, until: number) => {
    const link = options.engine();
    if (topic.kind !== 'event' || stopped || !lease.valid() || link === undefined) return;
    const gap: GapMarker = { since, until, reason: 'UPSTREAM' };
    const judged: Promise<void> = (judging ?? Promise.resolve())
      .then(() => reportGap({ engine: link.engine, publisher: link.publisher, topic, node: options.node, gap }))
      .then(
        (outcome) => {
          logger.info({ topic: topic.id, since, until, outcome }, 'cluster holder: its upstream had a gap');
          options.onGap?.(outcome, gap);
        },
        (error: unknown) => {
          options.onGap?.('failed', gap);
          failed(error);
        },
      )
      .finally(() => {
        if (judging === judged) judging = undefined;
      });
    judging = judged;
  };

  const recent: unknown[] = [];
  const handle = options.tap(channel, options.args, {
    deliver: (event, frameTs) => {
      answered = true;
      if (topic.kind === 'event') {
        recent.push(...channel.itemsOf(event));
        recent.splice(0, Math.max(0, recent.length - RECENT_UPSTREAM_ITEMS));
      }
      publish(event, frameTs);
    },
    // A state topic's next value replaces what was missed; a trades topic's gap is judged (`gap-report.ts`).
    interrupted: (signal) => upstreamGap(signal.since, signal.until),
    fail: (error) => {
      logger.warn({ topic: topic.id, err: error.message }, 'cluster holder: the exchange failed the topic');
      stopped = true;
    },
    end: () => {
      stopped = true;
    },
  });
  handle.confirmed.then(
    () => {
      answered = true;
    },
    () => undefined,
  );
  // A state topic already live on this replica: its latest value goes out at once.
  if (handle.last !== undefined) publish(handle.last, undefined);

  return {
    topic,
    recent: () => recent,
    get answered() {
      return answered;
    },
    stop: () => {
      stopped = true;
      pending = undefined;
      handle.release();
    },
  };
}
