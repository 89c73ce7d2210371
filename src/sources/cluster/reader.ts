/**
 * The reading side of one hub topic on this replica: its clients are fed from
 * the engine (feed.ts: an ordered consumer; a state topic's latest value first)
 * while the engine is up, and from this replica's own Coincall source (a tap)
 * while it is not, as a single process would. Back to the engine, an event
 * topic's feed resumes after the last sequence it delivered, so the trades the
 * other holders stored meanwhile arrive; every trade id is delivered once,
 * and nothing of the own upstream from before the clients began (`trade-gate.ts`).
 *
 * `STREAM_INTERRUPTED` only where trades were really missed (`local-tap.ts`:
 * the own subscription's first batch must reach back to a trade delivered,
 * unless this replica ran the topic upstream already). Back to the engine,
 * the own upstream serves until the engine's first message.
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
import type { Engine } from './engine.ts';
import { contentTime } from './feed-continuity.ts';
import { openFeed, type Feed, type FeedMessage, type FeedTimings } from './feed.ts';
import { checkMessages, type ReportBadMessage } from './message-check.ts';
import { openLocalTap, type LocalTap } from './local-tap.ts';
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
  /** The feeds' timings (tests shorten them). */
  readonly feed?: FeedTimings | undefined;
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
  /** Its feed cannot read its stream, NATS up (gone, not created again: `feed-gone.ts`; or not opened): served from the own upstream. */
  readonly streamGone: boolean;
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
  let local: LocalTap | undefined;
  let answered = false;
  /** Since when this reader serves alone (trades topics that had been answered), and its last time alone. */
  let aloneSince: number | undefined;
  /** Whether the own upstream already ran the topic when this reader went alone. */
  let aloneRanUpstream = false;
  let alone: { since: number; until: number } | undefined;
  /** The feed's stream is gone and not created again (`feed-gone.ts`): served from the own upstream until the feed reads again. */
  let streamGone = false;
  /** The feed failed to open (said once until it opens). */
  let notOpened = false;

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
    local !== undefined || (reason === 'ENGINE' && alone !== undefined && since <= alone.until && until >= alone.since);

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
    if (backAt === undefined || message.envelope.ts >= backAt) backOnEngine();
    deliver(message.envelope.items, message.envelope.ts, message.seq);
  };

  /** When the engine came back after this reader served alone: trades of frames older than that may have been stored before it went. */
  let backAt: number | undefined;

  const leaveLocal = () => {
    backAt = undefined;
    local?.release();
    local = undefined;
  };

  /** The time alone ends (the engine is back, or the feed reads its stream again): reported once, kept for `told`. */
  const endAlone = () => {
    if (aloneSince === undefined) return;
    alone = { since: aloneSince, until: options.now() };
    aloneSince = undefined;
    options.reportEngineGap?.(alone.since, alone.until, aloneRanUpstream);
  };

  /** The engine's trades serve the clients again: the own upstream goes, and a time alone still open (its stream was gone) ends. */
  const backOnEngine = () => {
    if (local === undefined) return;
    streamGone = false;
    endAlone();
    leaveLocal();
  };

  /** The feed could not read its stream for its grace, NATS up (`feed-gone.ts`): served from the own upstream as with the engine away. */
  const gone = (target: Engine, error: unknown) => {
    if (stopped || engine !== target || streamGone) return;
    streamGone = true;
    logger.warn(
      { topic: cluster.id, err: errorText(error) },
      'cluster feed cannot read its stream (gone, not created again): serving from the own upstream until it is back',
    );
    goLocal();
  };

  const goLocal = () => {
    if (local !== undefined || stopped) return;
    const running = options.runningUpstream();
    if (cluster.kind === 'event' && answered && aloneSince === undefined) {
      aloneSince = options.now();
      aloneRanUpstream = running;
    }
    const own = (items: readonly unknown[], frameTs: number | undefined) => deliver(items, frameTs, undefined, true);
    local = openLocalTap({ ...options, seen, answered, running, deliver: own });
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
    if (local !== undefined) backAt ??= options.now();
    try {
      const opened = await openFeed({
        js: target.js,
        jsm: target.jsm,
        names: target.names,
        topic: cluster,
        ...(cluster.kind === 'event' && lastSeq > 0 ? { after: lastSeq, afterTime: lastTime ?? 0, afterCreated: created } : {}),
        ...options.feed,
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
        onGone: (error) => gone(target, error),
        onBack: () => {
          if (stopped || engine !== target || !streamGone) return;
          streamGone = false;
          logger.info({ topic: cluster.id }, 'cluster feed reads its stream again: serving from the engine from its first message');
        },
      });
      if (stopped || engine !== target) return void (await opened.stop());
      feed = opened;
      notOpened = false;
      endAlone();
      if (!answered) {
        answered = true;
        hub.answered(topic, options.now());
      }
      // Served locally meanwhile: that goes on until the engine's first message (its holders may not publish yet).
    } catch (error) {
      // Tried again each lease round: said once until it opens (its stream may be gone for long).
      if (!notOpened) logger.warn({ topic: cluster.id, err: errorText(error) }, 'cluster feed not opened; serving alone');
      notOpened = true;
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
        // The feed's own cursor (bad messages count too) with its stream: one of a stream created again may have only bad ones.
        if (feed !== undefined && feed.lastSeq > 0) ({ lastSeq, created } = feed);
        else created = feed?.created ?? created;
        void feed?.stop();
        feed = undefined;
        goLocal();
        return;
      }
      if (feed === undefined && opening === undefined) void openFrom(next);
    },
    get local() {
      return local !== undefined;
    },
    get streamGone() {
      return streamGone || (notOpened && engine !== undefined);
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
