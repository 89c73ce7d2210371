/**
 * The upstream's counters for metrics stay monotonic when hubs come and go:
 * what a closed private connection counted (reconnects, frames) is kept, and
 * private topics are counted per market, never named.
 */
import { describe, expect, it } from 'vitest';
import { createHubCounters, type CountedHub } from '../src/sources/coincall/connection-counters.ts';

const hub = (access: 'public' | 'private', reconnects: number, frames: Record<string, number>, topics = 0): CountedHub => ({
  market: 'futures',
  access,
  reconnects: () => reconnects,
  frames,
  topicCount: () => topics,
});

describe('hub counters', () => {
  it('keep what a retired hub counted and add the live ones', () => {
    const counters = createHubCounters();
    const publicHub = hub('public', 1, { futuresTrades: 10 });
    const privateHub = hub('private', 2, { futuresOrders: 5 }, 3);
    expect(counters.snapshot([publicHub, privateHub])).toEqual({
      reconnects: [
        { market: 'futures', access: 'public', count: 1 },
        { market: 'futures', access: 'private', count: 2 },
      ],
      frames: [
        { market: 'futures', channel: 'futuresTrades', count: 10 },
        { market: 'futures', channel: 'futuresOrders', count: 5 },
      ],
      privateTopicsByMarket: { futures: 3 },
    });
    // The private connection closes after its last topic; a new one opens later and reconnects once.
    counters.retire(privateHub);
    const later = counters.snapshot([publicHub, hub('private', 1, { futuresOrders: 1 })]);
    expect(later.reconnects).toContainEqual({ market: 'futures', access: 'private', count: 3 });
    expect(later.frames).toContainEqual({ market: 'futures', channel: 'futuresOrders', count: 6 });
    // Snapshots do not add up into the retired counts.
    expect(counters.snapshot([]).reconnects).toEqual([{ market: 'futures', access: 'private', count: 2 }]);
  });
});
