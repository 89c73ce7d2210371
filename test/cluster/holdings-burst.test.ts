/**
 * A burst of subscribes (a client taking a whole option chain's topics at
 * once) asks the holdings for a round each: they join the round not started
 * yet, so the lease bucket is listed a few times, not once per topic (each
 * round lists it and visits every topic: one per subscribe made a burst of N
 * topics cost N listings and N² visits). Every topic is held all the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KV } from '@nats-io/kv';
import { createHoldings } from '../../src/sources/cluster/holdings.ts';
import { createPresence } from '../../src/sources/cluster/presence.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const TTL = 3_000;
const TOPICS = 40;
const book = (i: number): ClusterTopic => ({ id: `options:optionOrderBook:{"symbol":"X-${i}"}`, kind: 'state', market: 'options' });

/** `kv`, counting its key listings. */
function counting(kv: KV): { kv: KV; listings: () => number } {
  let listings = 0;
  const counted = new Proxy(kv, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === 'keys' && typeof value === 'function') return (...args: unknown[]) => (listings++, Reflect.apply(value, target, args));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { kv: counted, listings: () => listings };
}

describe('a burst of subscribes', () => {
  it('runs a few rounds, not one per topic, and holds every topic', async () => {
    const engine = await testEngine(engineSettings({ leaseTtlMs: TTL, node: 'a' }));
    const { kv, listings } = counting(engine.kv);
    const presence = createPresence({ kv: engine.kv, names: engine.names, node: 'a', ttlMs: TTL });
    const held: string[] = [];
    const holdings = createHoldings({
      kv,
      names: engine.names,
      node: 'a',
      ttlMs: TTL,
      eventPublishers: 2,
      presence,
      hold: (topic) => void held.push(topic.id),
      drop: () => undefined,
    });
    onDispose(async () => {
      await holdings.stop();
      await presence.stop();
    });

    for (let i = 0; i < TOPICS; i++) holdings.want(book(i));
    await waitFor(() => held.length === TOPICS, 'every topic held', 10_000);
    await holdings.round(); // after every round asked for so far

    expect(new Set(held).size).toBe(TOPICS);
    // The round they all joined and the last one asked for (a timed round may fall in between).
    expect(listings()).toBeLessThanOrEqual(4);
  });
});
