/**
 * Publishing into the engine and fanning out of it, against a real NATS 2.9:
 * a trade published by both holders is stored once; a stale state holder's
 * write is refused; a replica's ordered consumer delivers a state topic's
 * latest value first, then every new value; an event feed starts live, or
 * after a cursor; a foreign message is skipped and said.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openFeed, type FeedMessage } from '../../src/sources/cluster/feed.ts';
import { createPublisher, type PublishResult } from '../../src/sources/cluster/publisher.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TRADES: ClusterTopic = { id: 'options:optionTrades:{"symbol":"BTCUSD-1"}', kind: 'event', market: 'options' };
const BOOK: ClusterTopic = { id: 'options:optionOrderBook:{"symbol":"BTCUSD-1"}', kind: 'state', market: 'options' };
const idOf = (item: unknown) => (item as { id: string }).id;

describe('publisher', () => {
  it('stores a trade once when both holders publish it (Nats-Msg-Id = trade id)', async () => {
    const engine = await testEngine(engineSettings());
    const counted: PublishResult[] = [];
    const publisher = createPublisher({ js: engine.js, names: engine.names, count: (r) => counted.push(r) });
    const trades = [{ id: 't1|0' }, { id: 't2|0' }];
    expect(await publisher.publishEvents(TRADES, trades, idOf, 1)).toEqual(['stored', 'stored']);
    expect(await publisher.publishEvents(TRADES, [...trades, { id: 't3|0' }], idOf, 1)).toEqual(['duplicate', 'duplicate', 'stored']);
    const info = await engine.jsm.streams.info(engine.names.eventStream);
    expect(info.state.messages).toBe(3);
    expect(counted.filter((r) => r === 'duplicate')).toHaveLength(2);
  });

  it('refuses a state write that expected another last sequence (a stale holder)', async () => {
    const engine = await testEngine(engineSettings());
    const counted: PublishResult[] = [];
    const publisher = createPublisher({ js: engine.js, names: engine.names, count: (r) => counted.push(r) });
    const first = await publisher.publishState(BOOK, [{ v: 1 }], 1, 0);
    expect(first.result).toBe('stored');
    // the new holder writes after the first value
    const second = await publisher.publishState(BOOK, [{ v: 2 }], 2, first.seq);
    expect(second.result).toBe('stored');
    // the old holder still expects the first value's sequence: refused
    expect((await publisher.publishState(BOOK, [{ v: 'late' }], 3, first.seq)).result).toBe('refused');
    const latest = await engine.jsm.direct.getMessage(engine.names.stateStream, { last_by_subj: engine.names.subject(BOOK) });
    expect(latest?.json()).toEqual({ items: [{ v: 2 }], ts: 2 });
    expect(counted).toEqual(['stored', 'stored', 'refused']);
  });
});

async function collect(options: Omit<Parameters<typeof openFeed>[0], 'onMessage'>): Promise<FeedMessage[]> {
  const got: FeedMessage[] = [];
  const feed = await openFeed({ ...options, onMessage: (m) => got.push(m) });
  onDispose(() => feed.stop());
  return got;
}

describe('feed', () => {
  it('a state topic starts from its latest value, then follows', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    const a = await publisher.publishState(BOOK, [{ v: 1 }], 1, 0);
    const b = await publisher.publishState(BOOK, [{ v: 2 }], 2, a.seq);
    const got = await collect({ js: engine.js, jsm: engine.jsm, names: engine.names, topic: BOOK });
    expect(got.map((m) => m.envelope?.items)).toEqual([[{ v: 2 }]]);
    await publisher.publishState(BOOK, [{ v: 3 }], 3, b.seq);
    await waitFor(() => got.length === 2, 'the next value');
    expect(got[1]?.envelope).toEqual({ items: [{ v: 3 }], ts: 3 });
  });

  it('an event topic starts live, or after a cursor with every later trade once', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names });
    await publisher.publishEvents(TRADES, [{ id: 'a' }, { id: 'b' }], idOf, 1);
    const live = await collect({ js: engine.js, jsm: engine.jsm, names: engine.names, topic: TRADES });
    const info = await engine.jsm.streams.info(engine.names.eventStream);
    const fromFirst = await collect({ js: engine.js, jsm: engine.jsm, names: engine.names, topic: TRADES, after: info.state.first_seq });
    await publisher.publishEvents(TRADES, [{ id: 'c' }], idOf, 2);
    await waitFor(() => live.length === 1 && fromFirst.length === 2, 'trades');
    expect(live.map((m) => idOf(m.envelope?.items[0]))).toEqual(['c']);
    expect(fromFirst.map((m) => idOf(m.envelope?.items[0]))).toEqual(['b', 'c']);
    expect(fromFirst.map((m) => m.seq)).toEqual([info.state.first_seq + 1, info.state.first_seq + 2]);
  });

  it('skips and reports a message that is not an envelope', async () => {
    const engine = await testEngine(engineSettings());
    const bad: number[] = [];
    const got: FeedMessage[] = [];
    const feed = await openFeed({
      js: engine.js,
      jsm: engine.jsm,
      names: engine.names,
      topic: TRADES,
      onMessage: (m) => got.push(m),
      onBadMessage: (s) => bad.push(s),
    });
    onDispose(() => feed.stop());
    await engine.js.publish(engine.names.subject(TRADES), 'not json');
    await createPublisher({ js: engine.js, names: engine.names }).publishEvents(TRADES, [{ id: 'ok' }], idOf, 1);
    await waitFor(() => got.length === 1, 'the good trade');
    expect(bad).toHaveLength(1);
  });
});
