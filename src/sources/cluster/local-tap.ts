/**
 * A reader's clients served from this replica's own Coincall source (a tap),
 * while the engine cannot serve them (`reader.ts`: the engine away, or the
 * topic's stream gone). `STREAM_INTERRUPTED` only where trades were really
 * missed: a trades topic this replica was already running upstream (it holds
 * it) goes on without a gap (what its holder received lately goes first, in
 * case the engine lost it); for one it was not running, the own
 * subscription's first batch (the exchange's recent trades) must reach back
 * to a trade delivered, or its clients are interrupted (reason ENGINE) from
 * the last trade on. A state topic gets the own upstream's values.
 */
import type { AnyChannel } from '../../channels/channel.ts';
import type { Listener, TopicHandle } from '../../hub/listener.ts';
import type { HubPort, SourceTopic } from '../../hub/source-port.ts';
import { itemId } from './cluster-topic.ts';
import type { TradeGate } from './trade-gate.ts';

export interface LocalTapOptions {
  readonly hub: HubPort;
  readonly topic: SourceTopic;
  readonly args: unknown;
  readonly tap: (channel: AnyChannel, args: unknown, listener: Listener) => TopicHandle;
  /** A trades topic: what was handed on (the first batch must reach back to it). */
  readonly seen: TradeGate | undefined;
  /** The clients had data (or an answer) already: there is something to miss. */
  readonly answered: boolean;
  /** This replica runs the topic upstream already (it holds it): nothing is missed. */
  readonly running: boolean;
  /** What the own upstream received lately of the topic, oldest first (the engine may have lost the last of it). */
  readonly recentUpstream?: (() => Promise<readonly unknown[]>) | undefined;
  /** Hands one frame's items of the own upstream on (through the reader's trade gate). */
  readonly deliver: (items: readonly unknown[], frameTs: number | undefined) => void;
  readonly now: () => number;
}

export interface LocalTap {
  /** Leaves the own upstream (nothing of it is handed on after). */
  release(): void;
}

export function openLocalTap(options: LocalTapOptions): LocalTap {
  const { hub, topic, seen, answered, running, deliver } = options;
  let released = false;
  // What the own upstream received last may have died with the engine: it goes first (each trade once), then the live frames.
  let held: Array<{ items: readonly unknown[]; frameTs: number | undefined }> | undefined;
  if (seen !== undefined && running && answered && options.recentUpstream !== undefined) {
    const waiting: NonNullable<typeof held> = [];
    held = waiting;
    const release = (recent: readonly unknown[]) => {
      if (held !== waiting) return;
      held = undefined;
      if (released) return;
      // One batch, newest first, as a frame lists them (the channel's description).
      deliver([...recent].reverse(), undefined);
      for (const frame of waiting) deliver(frame.items, frame.frameTs);
    };
    options.recentUpstream().then(release, () => release([]));
  }

  /** Since when trades may be missing (gone local without running the topic upstream), until the first batch says. */
  let judging = seen !== undefined && answered && !running ? options.now() : undefined;
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

  const handle = options.tap(topic.channel, options.args, {
    deliver: (event, frameTs) => {
      if (released) return;
      const items = topic.channel.itemsOf(event);
      judge(items);
      if (held !== undefined) held.push({ items, frameTs });
      else deliver(items, frameTs);
    },
    interrupted: (signal) => {
      if (released) return;
      hub.interrupted(signal.since, topic);
      hub.answered(topic, signal.until);
    },
    fail: (error) => {
      if (!released) hub.failed(topic, error);
    },
    end: () => undefined,
  });
  handle.confirmed.then(
    () => {
      if (!released) hub.answered(topic, options.now());
    },
    () => undefined,
  );
  return {
    release() {
      if (released) return;
      released = true;
      handle.release();
    },
  };
}
