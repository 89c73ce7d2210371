/**
 * The reading side of one hub topic on this replica: its clients are fed from
 * the engine (feed.ts: an ordered consumer; a state topic's latest value first)
 * while the engine is up, and from this replica's own Coincall source (a tap)
 * while it is not, as a single process would. Back to the engine, an event
 * topic's feed resumes after the last sequence it delivered, so the trades the
 * other holders stored meanwhile arrive; every trade id is delivered once,
 * and nothing of the own upstream from before the clients began (`trade-gate.ts`).
 *
 * `STREAM_INTERRUPTED` only where trades were really missed: going local, a
 * trades topic this replica was already running upstream (it holds it) goes on
 * without a gap (what its holder received lately goes first, in case the
 * engine lost it); for one it was not running, the own subscription's first
 * batch (the exchange's recent trades) must reach back to a trade delivered,
 * or its clients are interrupted (reason ENGINE) from the last trade on. Back
 * to the engine, the own upstream serves until the engine's first message.
 *
 * Trades from the engine reach the hub with their stream sequences (their
 * positions in the resume window, `stream-window.ts`); a holder's gap marker
 * reaches it as a gap with its own times, in order with the trades.
 *
 * Back from serving alone, a trades topic's reader asks for an ENGINE gap
 * marker over the time it was cut off (`reportEngineGap`: unless this replica
 * ran the topic upstream all along, judged once the holders had their chance to
 * catch up, `engine-gaps.ts`), so a replay from the stream across that time says
 * trades may be missing there where none stored them. Its own clients were told live
 * already; an ENGINE marker within the time it served alone (however late it comes) is not said again.
 *
 * A feed that fell behind the stream's retention (this replica was slow or
 * stalled: `feed-continuity.ts`) says so before the next message: its clients
 * get an ENGINE gap from the last trade delivered to the next, and a warn line.
 * A stream created again under the feed (`feed.ts`): the epoch is read again before its trades
 * reach the hub (their cursors name the new stream), a warn line says it, the gap is told as above.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { GapReason } from '../../hub/resume-window.ts';
import type { HubPort, SourceTopic } from '../../hub/source-port.ts';
import type { Logger } from '../../lib/logger.ts';
import { errorText } from '../../lib/errors.ts';
import { itemId } from './cluster-topic.ts';
import type { Engine } from './engine.ts';
import { contentTime } from './feed-continuity.ts';
import { openFeed, type Feed, type FeedMessage } from './feed.ts';
import { checkMessages, type ReportBadMessage } from './message-check.ts';
import { createTradeGate, type TradeGate } from './trade-gate.ts';
import type { ClusterTopic } from './subjects.ts';

export interface ReaderOptions {
  readonly hub: HubPort;
  readonly topic: SourceTopic;
  readonly cluster: ClusterTopic;
  readonly args: unknown;
  readonly tap: (channel: AnyChannel, args: unknown, listener: Listener) => TopicHandle;
  /** This replica runs the topic upstream already (it holds it): going local misses nothing. */
  readonly runningUpstream: () => boolean;
  /** What this replica's own upstream received lately of the topic, oldest first (the engine may have lost the last of it). */
  readonly recentUpstream?: () => Promise<readonly unknown[]>;
  readonly now: () => number;
  readonly logger: Logger;
  readonly feedExpiresMs?: number;
  /**
   * Back on the engine after serving alone from `since` until `until` (trades topics): mark the gap unless it was
   * covered. `ranUpstream`: this replica ran the topic upstream already when it went alone (its tap kept it since),
   * so its memory holds that time for a holder's catch-up.
   */
  readonly reportEngineGap?: (since: number, until: number, ranUpstream: boolean) => void;
  /** The feed fell behind the stream's retention and the clients were told (the operator's count). */
  readonly onBehind?: () => void;
  /** What of the engine's messages was not taken (`message-check.ts`: a bad item, a message that is no envelope): counted and logged. */
  readonly reportBad: ReportBadMessage;
  /** Each message from the engine, as it arrives (the engine hop is measured on it). */
  readonly onEngineMessage?: (message: FeedMessage) => void;
}

export interface Reader {
  /** The engine is up (`engine`) or not (undefined): feed from it, or from the own upstream. */
  follow(engine: Engine | undefined): void;
  /** Whether the clients are served from the own upstream now. */
  readonly local: boolean;
  /** The last engine sequence delivered (0 before any). */
  readonly lastSeq: number;
  stop(): void;
}

export function startReader(options: ReaderOptions): Reader {
  const { hub, topic, cluster, logger } = options;
  const seen: TradeGate | undefined = cluster.kind === 'event' ? createTradeGate() : undefined;
  let stopped = false;
  let feed: Feed | undefined;
  let opening: Engine | undefined;
  let engine: Engine | undefined;
  /** The last engine sequence delivered, and the creation time of its stream (a feed reopened on another starts over). */
  let lastSeq = 0;
  let created: string | undefined;
  /** The newest time the last engine message spoke of (where a gap found after it begins). */
  let lastTime: number | undefined;
  let tap: TopicHandle | undefined;
  let answered = false;
  /** Since when this reader serves alone (trades topics that had been answered), and its last time alone. */
  let aloneSince: number | undefined;
  /** Whether the own upstream already ran the topic when this reader went alone. */
  let aloneRanUpstream = false;
  let alone: { since: number; until: number } | undefined;

  /** Hands one frame's items to the hub (through the trade gate); `seq`: the engine message they came in; `own`: from the own upstream. */
  const deliver = (items: readonly unknown[], ts: number | undefined, seq?: number, own = false) => {
    const fresh = seen === undefined ? items : seen.pass(items, own);
    if (fresh.length === 0) return;
    if (!answered) {
      answered = true;
      hub.answered(topic, options.now());
    }
    hub.publish(topic, fresh, options.now(), ts, seq === undefined ? undefined : fresh.map(() => seq));
  };

  /** Still served from the own upstream, or an ENGINE gap within the time served alone: the clients got those trades, or were told. */
  const told = (since: number, until: number, reason: GapReason) =>
    tap !== undefined || (reason === 'ENGINE' && alone !== undefined && since <= alone.until && until >= alone.since);

  const fromEngine = (message: FeedMessage) => {
    if (stopped) return;
    options.onEngineMessage?.(message);
    lastSeq = message.seq;
    if (cluster.kind === 'event') lastTime = contentTime(message, lastTime ?? options.now());
    if (message.gap !== undefined) {
      const { since, until, reason } = message.gap;
      if (!told(since, until, reason)) hub.gap(topic, since, until, reason);
      return;
    }
    // The engine is fed trades again (a holder publishes, not a trade stored before it went): the own upstream may go.
    if (backAt === undefined || message.envelope.ts >= backAt) leaveLocal();
    deliver(message.envelope.items, message.envelope.ts, message.seq);
  };

  /** When the engine came back after this reader served alone: trades of frames older than that may have been stored before it went. */
  let backAt: number | undefined;

  /** Gone local without running the topic upstream: since when trades may be missing, until the own upstream's first batch says. */
  let judging: number | undefined;

  /** The own upstream's first batch (the exchange's recent trades) reaches back to a trade delivered, or trades were missed. */
  const judge = (items: readonly unknown[]) => {
    const since = judging;
    if (since === undefined) return;
    judging = undefined;
    const reachesBack = items.some((item) => {
      const id = itemId(item);
      return id !== undefined && seen?.has(id) === true;
    });
    if (reachesBack) return;
    hub.interrupted(since, topic, 'ENGINE');
    hub.answered(topic, options.now());
  };

  const leaveLocal = () => {
    judging = undefined;
    backAt = undefined;
    tap?.release();
    tap = undefined;
  };

  const goLocal = () => {
    if (tap !== undefined || stopped) return;
    const running = options.runningUpstream();
    if (cluster.kind === 'event' && answered && aloneSince === undefined) {
      aloneSince = options.now();
      aloneRanUpstream = running;
    }
    // What the own upstream received last may have died with the engine: it goes first (each trade once), then the live frames.
    let held: Array<{ items: readonly unknown[]; frameTs: number | undefined }> | undefined;
    if (cluster.kind === 'event' && running && answered && options.recentUpstream !== undefined) {
      const waiting: NonNullable<typeof held> = [];
      held = waiting;
      const release = (recent: readonly unknown[]) => {
        if (held !== waiting) return;
        held = undefined;
        if (tap === undefined) return;
        // One batch, newest first, as a frame lists them (the channel's description).
        deliver([...recent].reverse(), undefined, undefined, true);
        for (const frame of waiting) deliver(frame.items, frame.frameTs, undefined, true);
      };
      options.recentUpstream().then(release, () => release([]));
    }
    judging = cluster.kind === 'event' && answered && !running ? options.now() : undefined;
    tap = options.tap(topic.channel, options.args, {
      deliver: (event, frameTs) => {
        const items = topic.channel.itemsOf(event);
        judge(items);
        if (held !== undefined) held.push({ items, frameTs });
        else deliver(items, frameTs, undefined, true);
      },
      interrupted: (signal) => {
        hub.interrupted(signal.since, topic);
        hub.answered(topic, signal.until);
      },
      fail: (error) => hub.failed(topic, error),
      end: () => undefined,
    });
    const handle = tap;
    handle.confirmed.then(
      () => {
        if (tap === handle) hub.answered(topic, options.now());
      },
      () => undefined,
    );
  };

  /** The feed skipped messages the stream may have discarded before it got them: trades may be missing there. */
  const behind = (gap: { since: number; until: number }, at: { after: number; next: number }) => {
    if (stopped) return;
    logger.warn({ topic: cluster.id, ...at, ...gap }, 'cluster feed fell behind the stream: trades may be missing');
    if (told(gap.since, gap.until, 'ENGINE')) return;
    hub.gap(topic, gap.since, gap.until, 'ENGINE');
    options.onBehind?.();
  };

  /** The feed's stream was deleted and created again under it: the trades epoch is read again first (new trades' cursors carry it). */
  const createdAgain = async (target: Engine) => {
    const { eventStream, stateStream } = target.names;
    const said =
      cluster.kind === 'event'
        ? { stream: eventStream, before: target.eventEpoch, epoch: await target.refreshEpoch() }
        : { stream: stateStream };
    logger.warn({ topic: cluster.id, ...said }, 'cluster stream was created again: the feed starts over on the new one');
  };

  const openFrom = async (target: Engine) => {
    opening = target;
    if (tap !== undefined) backAt ??= options.now();
    try {
      const opened = await openFeed({
        js: target.js,
        jsm: target.jsm,
        names: target.names,
        topic: cluster,
        ...(cluster.kind === 'event' && lastSeq > 0 ? { after: lastSeq, afterTime: lastTime ?? 0, afterCreated: created } : {}),
        ...(options.feedExpiresMs === undefined ? {} : { expiresMs: options.feedExpiresMs }),
        onMessage: fromEngine,
        check: checkMessages(topic.channel, cluster.id, options.reportBad),
        onBehind: behind,
        onCheckError: (error) =>
          logger.warn(
            { topic: cluster.id, err: error instanceof Error ? error.message : String(error) },
            'cluster feed: continuity check failed',
          ),
        onCreatedAgain: () => createdAgain(target),
        onReopenError: (error) => logger.warn({ topic: cluster.id, err: errorText(error) }, 'cluster feed lost its consumer; reopening'),
      });
      if (stopped || engine !== target) return void (await opened.stop());
      feed = opened;
      if (aloneSince !== undefined) {
        alone = { since: aloneSince, until: options.now() };
        aloneSince = undefined;
        options.reportEngineGap?.(alone.since, alone.until, aloneRanUpstream);
      }
      if (!answered) {
        answered = true;
        hub.answered(topic, options.now());
      }
      // Served locally meanwhile: that goes on until the engine's first message (its holders may not publish yet).
    } catch (error) {
      logger.warn(
        { topic: cluster.id, err: error instanceof Error ? error.message : String(error) },
        'cluster feed not opened; serving alone',
      );
      goLocal();
    } finally {
      if (opening === target) opening = undefined;
    }
  };

  return {
    follow(next) {
      if (stopped) return;
      engine = next;
      if (next === undefined) {
        created = feed?.created ?? created;
        void feed?.stop();
        feed = undefined;
        goLocal();
        return;
      }
      if (feed === undefined && opening === undefined) void openFrom(next);
    },
    get local() {
      return tap !== undefined;
    },
    get lastSeq() {
      return lastSeq;
    },
    stop() {
      stopped = true;
      leaveLocal();
      void feed?.stop();
      feed = undefined;
    },
  };
}
