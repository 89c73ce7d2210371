/**
 * The hub's source port (src/hub/source-port.ts), proved with a tiny
 * in-memory source instead of the exchange: the hub asks it to subscribe and
 * unsubscribe, it answers, publishes, interrupts and fails, and subscribers
 * stream through the hub's own sinks. Nothing Coincall-specific is involved.
 */
import { describe, expect, it } from 'vitest';
import { decodeItems } from '../src/channels/channel.ts';
import { CHANNELS } from '../src/channels/registry.ts';
import { GatewayError } from '../src/lib/errors.ts';
import type { HubPort, SourceTopic, TopicSource } from '../src/hub/source-port.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { attachSubscriber } from '../src/hub/subscriber.ts';
import { createTopicTable } from '../src/hub/topic-table.ts';

const trades = CHANNELS.futuresTrades;
const price = CHANNELS.futuresIndexPrice;
const RECEIVED_AT = 1_700_000_000_000;

/** One trade item of `symbol`, decoded by the channel's own decoder (what any source hands the hub). */
const tradeItems = (symbol: string, ts: number) =>
  decodeItems(trades, [{ sd: 1, pr: '100.5', s: symbol, v: '1', ts }], { frameTs: ts, receivedAt: RECEIVED_AT });
const priceItems = (symbol: string, value: number, ts: number) =>
  decodeItems(
    price,
    { s: symbol, pr: value, mp: value, lp: value, ip: value, h: value, l: value, cp: 0, cr: 0, pr0: value, cv: '0', uv24: 1, v24: 1, ts },
    { frameTs: ts, receivedAt: RECEIVED_AT },
  );

interface MemoryStatus {
  readonly subscribed: number;
}

/** An in-memory source: records what the hub asks, and lets the test play the feed. */
function memorySource(hub: HubPort, refuse = false) {
  const live = new Set<SourceTopic>();
  const subscribed: Array<{ key: string; client: string | undefined }> = [];
  const unsubscribed: string[] = [];
  let onUnsubscribe: (() => void) | undefined;
  let closed = false;
  const source: TopicSource<MemoryStatus> & Record<string, unknown> = {
    admit(channel) {
      if (refuse) throw new GatewayError('LIMIT_EXCEEDED', `no room for ${channel.id}`);
    },
    subscribe(topic, client) {
      live.add(topic);
      subscribed.push({ key: topic.key, client });
    },
    unsubscribe(topic) {
      live.delete(topic);
      unsubscribed.push(topic.key);
      onUnsubscribe?.();
    },
    close() {
      closed = true;
    },
    status: () => ({ subscribed: live.size }),
  };
  return {
    source,
    subscribed,
    unsubscribed,
    get closed() {
      return closed;
    },
    /** Resolves at the next unsubscribe the hub asks for. */
    nextUnsubscribe: () => new Promise<void>((resolve) => (onUnsubscribe = resolve)),
    topic: (channel: typeof trades | typeof price, key: string) => {
      const topic = hub.find(channel, key);
      if (topic === undefined || !live.has(topic)) throw new Error(`no live topic ${channel.id}/${key}`);
      return topic;
    },
    hub,
  };
}

function hubOver({ refuse = false, lingerMs = 0 } = {}) {
  let feed: ReturnType<typeof memorySource> | undefined;
  const table = createTopicTable({ lingerMs }, (hub) => {
    feed = memorySource(hub, refuse);
    return feed.source;
  });
  if (feed === undefined) throw new Error('the table did not connect its source');
  const subscribe = (channel: typeof trades | typeof price, symbol: string, client?: string) => {
    const args = channel.parseArgs({ symbol }, RECEIVED_AT);
    return attachSubscriber(
      (listener) => table.join(channel, args, listener, client === undefined ? undefined : { client }),
      channel,
      args,
      {},
    );
  };
  return { table, feed, subscribe };
}

describe('the hub over an in-memory source', () => {
  it('asks the source to subscribe once per topic, streams what it publishes, and unsubscribes after the last subscriber leaves', async () => {
    const { table, feed, subscribe } = hubOver();
    const first = subscribe(trades, 'BTCUSD', 'client-1');
    const second = subscribe(trades, 'BTCUSD', 'client-2');
    expect(feed.subscribed).toEqual([{ key: 'BTCUSD', client: 'client-1' }]);

    const topic = feed.topic(trades, 'BTCUSD');
    feed.hub.answered(topic, RECEIVED_AT);
    await expect(first.ready).resolves.toBeUndefined();
    feed.hub.publish(topic, tradeItems('BTCUSD', RECEIVED_AT), RECEIVED_AT, RECEIVED_AT);
    const [a, b] = await Promise.all([first.events.next(), second.events.next()]);
    expect(a.value).toEqual([expect.objectContaining({ symbol: 'BTCUSD', price: '100.5' })]);
    expect(b.value).toEqual(a.value);
    expect(table.source.status()).toEqual({ subscribed: 1 });

    await first.events.return();
    expect(feed.unsubscribed).toEqual([]);
    const gone = feed.nextUnsubscribe();
    await second.events.return();
    await gone;
    expect(feed.unsubscribed).toEqual(['BTCUSD']);
    expect(table.size).toBe(0);
  });

  it('tells event subscribers of an interruption once the source answers again, before newer events', async () => {
    const { feed, subscribe } = hubOver();
    const subscription = subscribe(trades, 'ETHUSD');
    const topic = feed.topic(trades, 'ETHUSD');
    feed.hub.answered(topic, RECEIVED_AT);
    feed.hub.publish(topic, tradeItems('ETHUSD', RECEIVED_AT), RECEIVED_AT, RECEIVED_AT);
    feed.hub.interrupted(RECEIVED_AT + 1_000);
    feed.hub.answered(topic, RECEIVED_AT + 5_000);
    feed.hub.publish(topic, tradeItems('ETHUSD', RECEIVED_AT + 6_000), RECEIVED_AT + 6_000, RECEIVED_AT + 6_000);
    const values = [await subscription.events.next(), await subscription.events.next(), await subscription.events.next()].map(
      (r) => r.value,
    );
    expect(values[1]).toBeInstanceOf(StreamInterruption);
    expect(values[1]).toMatchObject({ since: RECEIVED_AT, until: RECEIVED_AT + 5_000 });
    expect(values[2]).toEqual([expect.objectContaining({ timestamp: RECEIVED_AT + 6_000 })]);
    await subscription.events.return();
  });

  it('gives a late subscriber of a state topic the latest value at once', async () => {
    const { feed, subscribe } = hubOver();
    const early = subscribe(price, 'BTCUSD');
    const topic = feed.topic(price, 'BTCUSD');
    feed.hub.answered(topic, RECEIVED_AT);
    feed.hub.publish(topic, priceItems('BTCUSD', 42000, RECEIVED_AT), RECEIVED_AT, RECEIVED_AT);
    const late = subscribe(price, 'BTCUSD');
    await expect(late.ready).resolves.toBeUndefined();
    expect((await late.events.next()).value).toMatchObject({ symbol: 'BTCUSD' });
    await Promise.all([early.events.return(), late.events.return()]);
  });

  it('fails every subscriber of a topic the source fails, and asks no unsubscribe of it', async () => {
    const { table, feed, subscribe } = hubOver();
    const subscription = subscribe(trades, 'SOLUSD');
    feed.hub.failed(feed.topic(trades, 'SOLUSD'), new GatewayError('UPSTREAM_REJECTED', 'no such symbol'));
    await expect(subscription.ready).rejects.toMatchObject({ code: 'UPSTREAM_REJECTED' });
    await expect(subscription.events.next()).rejects.toMatchObject({ code: 'UPSTREAM_REJECTED' });
    expect(table.size).toBe(0);
    expect(feed.unsubscribed).toEqual([]);
  });

  it('opens nothing when the source refuses a new topic', () => {
    const { table, feed, subscribe } = hubOver({ refuse: true });
    expect(() => subscribe(trades, 'BTCUSD')).toThrow(/no room for futuresTrades/);
    expect(feed.subscribed).toEqual([]);
    expect(table.size).toBe(0);
  });

  it('ends every subscriber and unsubscribes every topic at close, then closes the source', async () => {
    const { table, feed, subscribe } = hubOver({ lingerMs: 60_000 });
    const subscription = subscribe(trades, 'BTCUSD');
    table.close();
    expect(await subscription.events.next()).toEqual({ value: undefined, done: true });
    expect(feed.unsubscribed).toEqual(['BTCUSD']);
    expect(feed.closed).toBe(true);
  });
});
