/**
 * Whether the upstream serves, for `/ready`, and why not: every public
 * connection must be available, and no live public topic may be unanswered
 * past its ack deadline (UPSTREAM_ACK_TIMEOUT_MS): a connection that is open
 * but whose subscribes go unanswered serves nobody; and no public connection
 * may read further behind the exchange than `maxLagMs` (`lag-tracker.ts`). Each reason is one short
 * line naming what is wrong (a market, a topic), never a credential.
 */
import type { MarketName } from '../../coincall/protocol.ts';
import type { UpstreamConnection } from './connection-api.ts';
import { DEFAULT_UPSTREAM_MAX_LAG_MS } from './lag-tracker.ts';
import type { Multiplexer } from './multiplexer.ts';
import type { UpstreamReadiness } from './upstream-api.ts';

/** Overdue topics named in `/ready`'s body at most (the rest are counted). */
export const MAX_NAMED_TOPICS = 10;

/** What readiness reads of one public connection and its topics. */
export interface ReadinessHub {
  readonly market: MarketName;
  readonly connection: Pick<UpstreamConnection, 'available' | 'stats'>;
  readonly mux: Pick<Multiplexer, 'overdue'>;
}

export function readinessOf(
  hubs: readonly (ReadinessHub | undefined)[],
  now: number = Date.now(),
  maxLagMs: number = DEFAULT_UPSTREAM_MAX_LAG_MS,
): UpstreamReadiness {
  const down = hubs.filter((h) => h?.connection.available() !== true);
  if (down.length > 0)
    return {
      ready: false,
      status: 'upstream not connected',
      reasons: down.map((h) =>
        h === undefined ? 'a public connection is missing' : `${h.market} connection ${h.connection.stats().state}`,
      ),
    };
  const behind = hubs.flatMap((h) => {
    const lag = h?.connection.stats().lagMs;
    return h === undefined || lag === undefined || lag <= maxLagMs
      ? []
      : [`${h.market} reads ${lag} ms behind the exchange (past ${maxLagMs} ms)`];
  });
  const overdue = hubs.flatMap((h) => (h === undefined ? [] : h.mux.overdue()));
  if (overdue.length === 0 && behind.length === 0) return { ready: true, status: 'ready', reasons: [] };
  const reasons = behind;
  reasons.push(
    ...overdue
      .slice(0, MAX_NAMED_TOPICS)
      .map(
        ({ topic, since }) =>
          `${topic.channel.id} ${topic.key}: subscribe unanswered for ${Math.max(0, now - since)} ms (past UPSTREAM_ACK_TIMEOUT_MS)`,
      ),
  );
  if (overdue.length > MAX_NAMED_TOPICS) reasons.push(`and ${overdue.length - MAX_NAMED_TOPICS} more topics unanswered`);
  return { ready: false, status: 'upstream degraded', reasons };
}
