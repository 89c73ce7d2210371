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
 * replica's clients hear of it at its place. Taking a trades topic over, and
 * publishing again after a pause (lease lapsed, engine away), it first
 * catches up from its own upstream's memory (`catch-up.ts`); after a publish that
 * failed, that catch-up sends the failed trades again first (`unpublished.ts`).
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Engine } from './engine.ts';
import type { Lease } from './lease.ts';
import type { Publisher } from './publisher.ts';
import type { ClusterTopic } from './subjects.ts';
import { catchUp } from './catch-up.ts';
import { engineClock } from './engine-latency.ts';
import { reportGap } from './gap-report.ts';
import { checkMessages, type ReportBadMessage } from './message-check.ts';
import type { GapResult } from './gap-counts.ts';
import type { GapMarker } from './gap-marker.ts';
import { idOf, oldestFirst, withoutCursor } from './trade-items.ts';
import { createUnpublished, type Unsent } from './unpublished.ts';

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
  /** What this replica's own upstream received lately of the topic (trades, oldest first): a catch-up's source. */
  readonly recentUpstream?: () => Promise<readonly unknown[]>;
  /** The gaps this replica's own upstream had of the topic ending after `since`: a catch-up marks them. */
  readonly recentGaps?: (since: number) => Promise<ReadonlyArray<{ since: number; until: number }>>;
  /** Bad messages it reads back from the stream (catch-up, gap judgements): left out and said (`message-check.ts`). */
  readonly reportBad?: ReportBadMessage;
}

export interface Holder {
  readonly topic: ClusterTopic;
  /** Whether its Coincall subscription has been answered (its data flows). */
  readonly answered: boolean;
  stop(): void;
}

export function startHolder(options: HolderOptions): Holder {
  const { topic, channel, lease, logger } = options;
  const checked = options.reportBad === undefined ? {} : { check: checkMessages(channel, topic.id, options.reportBad) };
  let stopped = false;
  let answered = false;
  /** The subject's last sequence as this holder knows it; undefined: read it before the next write. */
  let expected: number | undefined;
  let pending: { items: readonly unknown[]; ts: number; heldAt: number } | undefined;
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
        const outcome = await link.publisher.publishState(topic, value.items, value.ts, expected, value.heldAt);
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
    if (stopped) return;
    const link = lease.valid() ? options.engine() : undefined;
    if (link === undefined) {
      // Not published: the next batch that is catches up first.
      catchingUp = topic.kind === 'event';
      return;
    }
    const heldAt = engineClock();
    const items = channel.itemsOf(event);
    if (items.length === 0) return;
    const ts = frameTs ?? options.now();
    if (topic.kind === 'event') {
      // Oldest first, so the stream (and a replay of it) keeps the trades in time order.
      // Without the own process's cursor: a trade's cursor in the cluster is its stream sequence, stamped where it is read.
      const ordered = oldestFirst(items, ts).map(withoutCursor);
      const send = () =>
        void link.publisher.publishEvents(topic, ordered, idOf, ts, heldAt).catch((error: unknown) => {
          // Not stored (the engine went away mid-publish): the next batch catches up first and sends these again
          // (a later batch may be stored already: the catch-up's fill would not reach back to them).
          unpublished.add(ordered, options.now());
          catchingUp = true;
          failed(error);
        });
      if (catchingUp) startCatchUp(link, ordered);
      if (judging === undefined) send();
      else void judging.then(send);
      return;
    }
    pending = { items, ts, heldAt };
    if (!busy) void drainState();
  };

  /** A trades topic's next batch catches up first: at the start (a takeover) and after a batch was not published. */
  let catchingUp = topic.kind === 'event';
  /** Trades whose publish failed, for that catch-up (`unpublished.ts`). */
  const unpublished = createUnpublished();

  /** The stream gets what it missed of this replica's own upstream before `batch` (`catch-up.ts`). */
  const startCatchUp = (link: { readonly engine: Engine; readonly publisher: Publisher }, batch: readonly unknown[]) => {
    catchingUp = false;
    let unsent: Unsent | undefined;
    const judged: Promise<void> = (judging ?? Promise.resolve())
      .then(async () => {
        const recent = ((await options.recentUpstream?.()) ?? []).map(withoutCursor);
        unsent = unpublished.take(options.now());
        const caught = await catchUp({
          engine: link.engine,
          publisher: link.publisher,
          topic,
          node: options.node,
          batch,
          recent,
          othersHold: options.othersHold ?? (() => Promise.resolve(false)),
          valid: () => lease.valid(),
          now: options.now,
          onGapFailed: (marker) => options.onGap?.('failed', marker),
          ...(options.recentGaps === undefined ? {} : { recentGaps: options.recentGaps }),
          unsent,
          ...checked,
        });
        unsent = undefined;
        if (caught.filled > 0) logger.info({ topic: topic.id, filled: caught.filled }, 'cluster holder: caught up from its own upstream');
        for (const { marker, outcome } of caught.holes) {
          logger.info({ topic: topic.id, since: marker.since, until: marker.until, outcome }, 'cluster holder: its upstream had a gap');
          options.onGap?.(outcome, marker);
        }
        if (caught.gap === undefined) return;
        const { marker, outcome } = caught.gap;
        logger.info(
          { topic: topic.id, since: marker.since, until: marker.until, outcome },
          'cluster holder: nothing it has reaches back to the last trade stored',
        );
        options.onGap?.(outcome, marker);
      })
      .catch((error: unknown) => {
        // Not caught up: the next batch tries again (with what failed to publish).
        if (unsent !== undefined) unpublished.putBack(unsent);
        unsent = undefined;
        catchingUp = topic.kind === 'event';
        failed(error);
      })
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
      .then(() => reportGap({ engine: link.engine, publisher: link.publisher, topic, node: options.node, gap, ...checked }))
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

  /**
   * A trades topic whose own upstream ran already (the engine came back, the lease was taken again): caught up at once,
   * not at its next trade (a quiet market may bring none for long, and the stream would lack meanwhile what this replica
   * served). With nothing in its memory yet (a fresh subscription), the first batch, the exchange's recent trades, does it.
   */
  const catchUpNow = async () => {
    const remembered = (await options.recentUpstream?.()) ?? [];
    const link = lease.valid() ? options.engine() : undefined;
    if (remembered.length === 0 || !catchingUp || stopped || link === undefined) return;
    startCatchUp(link, []);
  };

  const handle = options.tap(channel, options.args, {
    deliver: (event, frameTs) => {
      answered = true;
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
      if (topic.kind === 'event') void catchUpNow();
    },
    () => undefined,
  );
  // A state topic already live on this replica: its latest value goes out at once.
  if (handle.last !== undefined) publish(handle.last, undefined);

  return {
    topic,
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
