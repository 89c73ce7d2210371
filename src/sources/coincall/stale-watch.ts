/**
 * The stale-topic watch of one upstream connection: a topic of a streaming
 * channel (one that declares `staleAfterMs`: books, index prices, pricing,
 * chain) that has received nothing for that long, although its connection is
 * alive and its subscribe was answered, is resubscribed (unsubscribe, then
 * subscribe). The exchange then sends a fresh snapshot. Each resubscribe is
 * counted per topic (`resubscribesOf`, shown in `status`) and logged.
 *
 * A trades topic (an event channel whose first frame after a subscribe is a
 * batch of recent items: `dedupeReplays`) may be quiet because the market is:
 * after `probeAfterMs` of silence it is probed instead (re-subscribed with no
 * interruption said; the hub compares the batch that comes back with what was
 * delivered, `hub/probe.ts`), so a quiet market costs two requests and says
 * nothing, and a dead topic's missed trades are delivered.
 *
 * One timer per connection checks every topic at `checkEveryMs`; a sweep is
 * a walk over the connection's topics, no work per frame.
 */
import type { Logger } from '../../lib/logger.ts';
import type { SourceTopic } from '../../hub/source-port.ts';

/** How often the topics of one connection are checked for staleness. */
export const DEFAULT_STALE_CHECK_MS = 1_000;
/** A trades topic silent this long on a live connection is probed (as books are resubscribed after STREAMING_STALE_AFTER_MS). */
export const DEFAULT_PROBE_AFTER_MS = 30_000;

export interface StaleWatchOptions {
  readonly topics: () => Iterable<SourceTopic>;
  /** Whether the exchange answered the topic's latest subscribe (one being re-sent is not stale). */
  readonly answered: (topic: SourceTopic) => boolean;
  /** Whether the connection is alive (a dead one is the connection's business, not a stale topic). */
  readonly connected: () => boolean;
  /** Unsubscribes and subscribes the topic again. */
  readonly resubscribe: (topic: SourceTopic) => void;
  /** Re-subscribes a quiet trades topic to compare what comes back (no interruption said). */
  readonly probe: (topic: SourceTopic) => void;
  /** Silence before a trades topic is probed (default DEFAULT_PROBE_AFTER_MS). */
  readonly probeAfterMs?: number;
  readonly now: () => number;
  /** Bound to the connection's market (and access). */
  readonly logger: Logger;
  readonly checkEveryMs?: number;
}

export interface StaleWatch {
  /** Checks every topic once (the timer calls it; tests may too). */
  sweep(): void;
  /** Times the topic was resubscribed because it went silent. */
  resubscribesOf(topic: SourceTopic): number;
  stop(): void;
}

export function startStaleWatch(options: StaleWatchOptions): StaleWatch {
  const { now, logger } = options;
  const resubscribes = new WeakMap<SourceTopic, number>();
  const probeAfterMs = options.probeAfterMs ?? DEFAULT_PROBE_AFTER_MS;
  const sweep = () => {
    if (!options.connected()) return;
    const at = now();
    for (const topic of [...options.topics()]) {
      const probed = topic.channel.dedupeReplays === true;
      const limit = probed ? probeAfterMs : topic.channel.staleAfterMs;
      const activeAt = topic.activeAt;
      if (limit === undefined || activeAt === undefined || at - activeAt < limit || !options.answered(topic)) continue;
      if (probed) {
        logger.debug({ channel: topic.channel.id, silentMs: at - activeAt }, 'upstream trades topic quiet; probing it');
        options.probe(topic);
        continue;
      }
      const count = (resubscribes.get(topic) ?? 0) + 1;
      resubscribes.set(topic, count);
      logger.warn(
        { channel: topic.channel.id, silentMs: at - activeAt, resubscribes: count },
        'upstream topic went silent on a live connection; resubscribing',
      );
      options.resubscribe(topic);
    }
  };
  const timer = setInterval(sweep, options.checkEveryMs ?? DEFAULT_STALE_CHECK_MS);
  timer.unref();
  return { sweep, resubscribesOf: (topic) => resubscribes.get(topic) ?? 0, stop: () => clearInterval(timer) };
}
