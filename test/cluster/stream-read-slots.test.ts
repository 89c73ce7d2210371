/**
 * A crowd resuming at once on one replica: its reads of the trades stream take
 * turns (`STREAM_READS_AT_ONCE` at a time), the rest wait, and every one of
 * them gets its page in full. Without turns, a hundred page reads at once on
 * the engine's one connection timed out (answered `ENGINE`) and starved the
 * replica's lease renewals.
 */
import pLimit from 'p-limit';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/channels/registry.ts';
import { clusterTopicOf } from '../../src/sources/cluster/cluster-topic.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import { createStreamWindow, STREAM_READS_AT_ONCE } from '../../src/sources/cluster/stream-window.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const TRADES = 400;
const READERS = 24;
const PAGE = 100;
/** A trade as the engine stores them (a valid record of its shape: the window reads through the boundary's check). */
const trade = (n: number) => ({
  id: `BTCUSD-${n}`,
  symbol: 'BTCUSD',
  price: String(n),
  volume: '1',
  side: 'BUY',
  timestamp: 1_700_000_000_000 + n,
});
const idOf = (item: unknown): string => (typeof item === 'object' && item !== null && 'id' in item ? String(item.id) : '');

describe('reads of the trades stream, many at once', () => {
  it('take turns, a few at a time, and each gets its whole page', async () => {
    const engine = await testEngine(engineSettings({ maxEventsPerTopic: 10_000 }));
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
    const topic = clusterTopicOf(CHANNELS.futuresTrades, 'BTCUSD');
    for (let n = 1; n <= TRADES; n += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => publisher.publishEvents(topic, [trade(n + i)], idOf, trade(n + i).timestamp)));
    }
    const slots = pLimit(STREAM_READS_AT_ONCE);
    let mostAtOnce = 0;
    let mostWaiting = 0;
    const window = createStreamWindow({ engine: () => engine, readSlots: slots });
    const watching = setInterval(() => {
      mostAtOnce = Math.max(mostAtOnce, slots.activeCount);
      mostWaiting = Math.max(mostWaiting, slots.pendingCount);
    }, 1);

    const reads = Array.from({ length: READERS }, (_, i) => window.after(TOPIC, window.epoch, (i * 10) % (TRADES - PAGE), PAGE));
    await new Promise((resolve) => setImmediate(resolve));
    mostWaiting = Math.max(mostWaiting, slots.pendingCount);
    const pages = await Promise.all(reads);
    clearInterval(watching);

    for (const [i, page] of pages.entries()) {
      const from = ((i * 10) % (TRADES - PAGE)) + 1;
      expect({ i, status: page.status, first: page.entries[0]?.kind === 'trade' ? idOf(page.entries[0].trade) : undefined }).toEqual({
        i,
        status: 'kept',
        first: `BTCUSD-${from}`,
      });
      expect(page.entries).toHaveLength(PAGE);
    }
    expect(mostAtOnce).toBeLessThanOrEqual(STREAM_READS_AT_ONCE);
    expect(mostWaiting).toBeGreaterThan(0);
  });
});
