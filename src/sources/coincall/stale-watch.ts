/**
 * The stale-topic watch of one upstream connection: a topic of a streaming
 * channel (one that declares `staleAfterMs`: books, index prices, pricing,
 * chain) that has received nothing for that long, although its connection is
 * alive and its subscribe was answered, is resubscribed (unsubscribe, then
 * subscribe). The exchange then sends a fresh snapshot. Each resubscribe is
 * counted on the topic (`resubscribes`, shown in `status`) and logged.
 *
 * One timer per connection checks every topic at `checkEveryMs`; a sweep is
 * a walk over the connection's topics, no work per frame.
 */
import type { Logger } from '../../lib/logger.ts';
import type { MarketName } from '../../coincall/protocol.ts';
import type { Topic } from '../../hub/topic.ts';

/** How often the topics of one connection are checked for staleness. */
export const DEFAULT_STALE_CHECK_MS = 1_000;

export interface StaleWatchOptions {
  readonly market: MarketName;
  readonly topics: () => Iterable<Topic>;
  /** Whether the connection is alive (a dead one is the connection's business, not a stale topic). */
  readonly connected: () => boolean;
  /** Unsubscribes and subscribes the topic again. */
  readonly resubscribe: (topic: Topic) => void;
  readonly now: () => number;
  readonly logger: Logger;
  readonly checkEveryMs?: number;
}

export interface StaleWatch {
  /** Checks every topic once (the timer calls it; tests may too). */
  sweep(): void;
  stop(): void;
}

export function startStaleWatch(options: StaleWatchOptions): StaleWatch {
  const { market, now, logger } = options;
  const sweep = () => {
    if (!options.connected()) return;
    const at = now();
    for (const topic of [...options.topics()]) {
      const limit = topic.channel.staleAfterMs;
      const activeAt = topic.activeAt;
      if (limit === undefined || topic.state.kind !== 'answered' || activeAt === undefined || at - activeAt < limit) continue;
      topic.resubscribes++;
      logger.warn(
        { market, channel: topic.channel.id, silentMs: at - activeAt, resubscribes: topic.resubscribes },
        'upstream topic went silent on a live connection; resubscribing',
      );
      options.resubscribe(topic);
    }
  };
  const timer = setInterval(sweep, options.checkEveryMs ?? DEFAULT_STALE_CHECK_MS);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
