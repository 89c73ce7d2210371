/**
 * The upstream's monotonic counters for metrics, across the life of its hubs:
 * reconnects by market and access, data frames by market and channel. A hub's
 * own counters go when it closes (a private connection after its last topic),
 * so what it counted is kept here when it retires; a snapshot adds the live
 * hubs' counts. Read at scrape time only: nothing here runs per frame.
 */
import type { MarketName } from '../../coincall/protocol.ts';

export type Access = 'public' | 'private';

/** What a hub shows of itself to the counters. */
export interface CountedHub {
  readonly market: MarketName;
  readonly access: Access;
  /** Reconnects of its connection so far. */
  reconnects(): number;
  /** Data frames by channel id so far. */
  readonly frames: Readonly<Record<string, number>>;
  /** Its live topics (private ones are counted per market, not named). */
  topicCount(): number;
}

export interface HubCountsSnapshot {
  readonly reconnects: readonly { readonly market: MarketName; readonly access: Access; readonly count: number }[];
  readonly frames: readonly { readonly market: MarketName; readonly channel: string; readonly count: number }[];
  readonly privateTopicsByMarket: Readonly<Partial<Record<MarketName, number>>>;
}

export interface HubCounters {
  /** Keeps a closing hub's counts. */
  retire(hub: CountedHub): void;
  /** Retired counts plus those of the live hubs. */
  snapshot(live: Iterable<CountedHub>): HubCountsSnapshot;
}

export function createHubCounters(): HubCounters {
  // Keyed by market, then access or channel.
  const reconnects = new Map<MarketName, Map<Access, number>>();
  const frames = new Map<MarketName, Map<string, number>>();
  const add = <K>(table: Map<MarketName, Map<K, number>>, market: MarketName, key: K, n: number) => {
    const inner = table.get(market) ?? new Map<K, number>();
    table.set(market, inner);
    inner.set(key, (inner.get(key) ?? 0) + n);
  };
  const copy = <K>(table: Map<MarketName, Map<K, number>>) => new Map([...table].map(([m, inner]) => [m, new Map(inner)]));
  const count = (r: Map<MarketName, Map<Access, number>>, f: Map<MarketName, Map<string, number>>, hub: CountedHub) => {
    add(r, hub.market, hub.access, hub.reconnects());
    for (const [channel, n] of Object.entries(hub.frames)) add(f, hub.market, channel, n);
  };

  return {
    retire: (hub) => count(reconnects, frames, hub),
    snapshot(live) {
      const r = copy(reconnects);
      const f = copy(frames);
      const privateTopicsByMarket: Partial<Record<MarketName, number>> = {};
      for (const hub of live) {
        count(r, f, hub);
        if (hub.access === 'private') privateTopicsByMarket[hub.market] = (privateTopicsByMarket[hub.market] ?? 0) + hub.topicCount();
      }
      return {
        reconnects: [...r].flatMap(([market, inner]) => [...inner].map(([access, n]) => ({ market, access, count: n }))),
        frames: [...f].flatMap(([market, inner]) => [...inner].map(([channel, n]) => ({ market, channel, count: n }))),
        privateTopicsByMarket,
      };
    },
  };
}
