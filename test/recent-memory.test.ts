/**
 * What the own upstream received lately of a trades topic, as a cluster
 * holder's catch-up reads it from the process's resume window: the trades,
 * oldest first, and the upstream's gaps among them that end after a time.
 */
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import { recentMemory } from '../src/sources/coincall/recent-memory.ts';

const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const trade = (n: number) => ({ id: `t${n}`, timestamp: 1_000 + n });

describe('the own upstream’s recent memory of a trades topic', () => {
  it('gives the trades oldest first and the gaps ending after the time asked', async () => {
    const window = createMemoryWindow({ now: () => 2_000, maxTradesPerTopic: 100, windowMs: 60_000 });
    window.retain(TOPIC, 0);
    window.append(TOPIC, [trade(1), trade(2)], 1_002);
    window.gap(TOPIC, 1_002, 1_004, 'UPSTREAM');
    window.append(TOPIC, [trade(5)], 1_005);
    window.gap(TOPIC, 1_005, 1_007, 'UPSTREAM');
    window.append(TOPIC, [trade(8)], 1_008);
    const memory = recentMemory(window);
    expect(await memory.recentTrades(CHANNELS.futuresTrades, 'BTCUSD', 10)).toEqual([trade(1), trade(2), trade(5), trade(8)]);
    expect(await memory.recentGaps(CHANNELS.futuresTrades, 'BTCUSD', 1_004)).toEqual([{ since: 1_005, until: 1_007 }]);
    expect(await memory.recentGaps(CHANNELS.futuresOrderBook, 'BTCUSD', 0)).toEqual([]);
  });
});
