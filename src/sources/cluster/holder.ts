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
 * A trades topic's first batch (the exchange's recent trades, sent on
 * subscribe) is checked before it goes out: when no other holder publishes
 * the topic and the batch does not reach back to the last trade stored, the
 * trades in between may be lost, and a gap marker goes first (envelope.ts),
 * which each replica's reader turns into `STREAM_INTERRUPTED` for its clients.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Engine } from './engine.ts';
import type { Lease } from './lease.ts';
import type { Publisher } from './publisher.ts';
import type { ClusterTopic } from './subjects.ts';
import { itemId } from './cluster-topic.ts';
import { decodeEnvelope } from './envelope.ts';

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
  /** Whether another replica holds one of the topic's lease slots now (it publishes every trade too). */
  readonly othersHold: () => Promise<boolean>;
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

export function startHolder(options: HolderOptions): Holder {
  const { topic, channel, lease, logger } = options;
  let stopped = false;
  let answered = false;
  /** The subject's last sequence as this holder knows it; undefined: read it before the next write. */
  let expected: number | undefined;
  let pending: { items: readonly unknown[]; ts: number } | undefined;
  let busy = false;

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

  /**
   * Before the first batch of a trades topic: a gap marker unless another
   * holder publishes it, nothing is stored yet, or the batch holds the last
   * trade stored.
   */
  const markGap = async (link: { readonly engine: Engine; readonly publisher: Publisher }, batch: readonly unknown[]) => {
    if (await options.othersHold()) return;
    const { engine } = link;
    const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: engine.names.subject(topic) });
    const stored = last === null ? undefined : decodeEnvelope(last.data);
    if (last === null || stored === undefined) return;
    const ids = new Set(batch.map(idOf));
    if (stored.items.some((item) => ids.has(idOf(item)))) return;
    if (!lease.valid()) return;
    // Refused when a trade was stored since the read: another holder (just back too) publishes the topic.
    const result = await link.publisher.publishGap(topic, stored.gap ?? stored.ts, options.now(), last.seq);
    if (result === 'stored')
      logger.warn({ topic: topic.id, since: stored.ts }, 'cluster holder: trades since the last one stored may be lost (gap marked)');
  };
  /** Until the first batch was checked, the batches wait behind it (in order). */
  let checked: Promise<void> | undefined;

  const publishEvents = (link: { readonly engine: Engine; readonly publisher: Publisher }, items: readonly unknown[], ts: number) => {
    const send = () => {
      if (!stopped && lease.valid()) void link.publisher.publishEvents(topic, items, idOf, ts).catch(failed);
    };
    if (checked === undefined) {
      const first = markGap(link, items).catch(failed);
      checked = first;
      void first.then(() => {
        if (checked === first) checked = Promise.resolve();
      });
    }
    void checked.then(send);
  };

  const publish = (event: unknown, frameTs: number | undefined) => {
    if (stopped || !lease.valid()) return;
    const link = options.engine();
    if (link === undefined) return;
    const items = channel.itemsOf(event);
    if (items.length === 0) return;
    const ts = frameTs ?? options.now();
    if (topic.kind === 'event') return publishEvents(link, items, ts);
    pending = { items, ts };
    if (!busy) void drainState();
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
    // The other holder of a trades topic covers a gap of this one; a state topic's next value replaces what was missed.
    interrupted: () => undefined,
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
