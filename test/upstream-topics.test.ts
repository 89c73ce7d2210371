/**
 * The topic table and the frame router, in-process (no sockets): a topic is
 * opened by its first listener and shared by the rest, lingers after the last
 * one leaves, and is found by channel and key until it expires or fails; a frame is decoded once and its items handed,
 * grouped by key, to their topics, while frames nobody can serve are counted
 * and logged once per cause.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { parseFrame } from '../src/coincall/protocol.ts';
import type { Logger } from '../src/lib/logger.ts';
import { createFrameRouter } from '../src/sources/coincall/frame-router.ts';
import type { Listener } from '../src/hub/listener.ts';
import type { HubPort, SourceTopic } from '../src/hub/source-port.ts';
import { createTopicTable, DEFAULT_LINGER_MS } from '../src/hub/topic-table.ts';

const trades = CHANNELS.futuresTrades;
const price = CHANNELS.futuresIndexPrice;
const argsOf = (symbol: string) => trades.parseArgs({ symbol }, Date.now());

function recordingListener() {
  const events: unknown[] = [];
  const listener: Listener = { deliver: (e: unknown) => events.push(e), fail: () => undefined, end: () => undefined };
  return { listener, events };
}

function table(lingerMs?: number) {
  const opened: SourceTopic[] = [];
  const expired: SourceTopic[] = [];
  const idle: boolean[] = [];
  const t = createTopicTable({ ...(lingerMs === undefined ? {} : { lingerMs }), onIdleChange: (i) => idle.push(i) }, (hub: HubPort) => ({
    hub,
    subscribe: (topic: SourceTopic) => void opened.push(topic),
    unsubscribe: (topic: SourceTopic) => void expired.push(topic),
    close: () => undefined,
    status: () => undefined,
  }));
  const hub = t.source.hub;
  return { t, hub, opened, expired, idle };
}

function warnings() {
  const lines: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (obj) => lines.push(JSON.stringify(obj)),
    error: () => undefined,
    child: () => logger,
  };
  return { logger, lines };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('topic table', () => {
  it('opens a topic for its first listener only, and shares it with the next', () => {
    const { t, hub, opened, idle } = table();
    t.join(trades, argsOf('BTCUSD'), recordingListener().listener);
    t.join(trades, argsOf('BTCUSD'), recordingListener().listener);
    t.join(trades, argsOf('ETHUSD'), recordingListener().listener);
    expect(opened.map((o) => o.key)).toEqual(['BTCUSD', 'ETHUSD']);
    expect(hub.find(trades, 'BTCUSD')?.subscribers).toBe(2);
    expect(hub.find(price, 'BTCUSD')).toBeUndefined();
    expect(idle).toEqual([false]);
  });

  it('lingers after the last listener leaves, then removes the topic and reports it expired', () => {
    vi.useFakeTimers();
    const { t, expired, idle } = table();
    const first = t.join(trades, argsOf('BTCUSD'), recordingListener().listener);
    const second = t.join(trades, argsOf('BTCUSD'), recordingListener().listener);
    first.release();
    first.release();
    vi.advanceTimersByTime(DEFAULT_LINGER_MS * 2);
    expect(expired).toEqual([]);
    second.release();
    vi.advanceTimersByTime(DEFAULT_LINGER_MS - 1);
    expect(t.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(expired.map((e) => e.key)).toEqual(['BTCUSD']);
    expect(t.size).toBe(0);
    expect(idle).toEqual([false, true]);
  });

  it('keeps the topic when a listener comes back inside the linger', () => {
    vi.useFakeTimers();
    const { t, opened, expired } = table(50);
    t.join(trades, argsOf('BTCUSD'), recordingListener().listener).release();
    vi.advanceTimersByTime(49);
    t.join(trades, argsOf('BTCUSD'), recordingListener().listener);
    vi.advanceTimersByTime(1_000);
    expect(opened).toHaveLength(1);
    expect(expired).toEqual([]);
  });

  it('finds a topic by channel and key until the source fails it, and fails its listeners and their confirmation', async () => {
    const { t, hub, expired } = table();
    const failures: Error[] = [];
    const handle = t.join(trades, argsOf('BTCUSD'), { deliver: () => undefined, fail: (e) => failures.push(e), end: () => undefined });
    const topic = hub.find(trades, 'BTCUSD');
    expect(topic?.key).toBe('BTCUSD');
    if (topic !== undefined) hub.failed(topic, new Error('refused'));
    expect(failures.map((e) => e.message)).toEqual(['refused']);
    await expect(handle.confirmed).rejects.toThrow('refused');
    expect(hub.find(trades, 'BTCUSD')).toBeUndefined();
    expect(t.size).toBe(0);
    expect(expired).toEqual([]);
  });
});

describe('frame router', () => {
  const tradesFrame = (symbols: string[]) =>
    parseFrame(JSON.stringify({ dt: 33, c: 20, d: symbols.map((s, i) => ({ s, pr: '100.5', q: '1', sd: 1, ts: 1_700_000_000_000 + i })) }));

  function routed() {
    const { t, hub } = table();
    const { logger, lines } = warnings();
    const answered: SourceTopic[] = [];
    const router = createFrameRouter({ market: 'futures', hub, logger, answered: (topic) => void answered.push(topic) });
    const feed = (frame: ReturnType<typeof parseFrame>) => {
      if (frame.kind !== 'data') throw new Error(`not a data frame: ${frame.kind}`);
      router.route(frame.dt, frame.d, frame.ts, Date.now());
    };
    return { t, router, feed, lines, answered };
  }

  it('hands each topic only its own items, once per frame, and counts those nobody wants', () => {
    const { t, router, feed, answered } = routed();
    const btc = recordingListener();
    const eth = recordingListener();
    t.join(trades, argsOf('BTCUSD'), btc.listener);
    t.join(trades, argsOf('ETHUSD'), eth.listener);
    feed(tradesFrame(['BTCUSD', 'ETHUSD', 'BTCUSD', 'SOLUSD']));
    expect(btc.events).toHaveLength(1);
    expect((btc.events[0] as Array<{ symbol: string }>).map((e) => e.symbol)).toEqual(['BTCUSD', 'BTCUSD']);
    expect((eth.events[0] as Array<{ symbol: string }>).map((e) => e.symbol)).toEqual(['ETHUSD']);
    expect(answered.map((a) => a.key)).toEqual(['BTCUSD', 'ETHUSD']);
    expect(router.drops).toEqual({ unknownDt: 0, undecodable: 0, unrouted: 1, oversized: 0 });
  });

  it('hands the same event object to every listener of a topic (decoded once, not per listener)', () => {
    const { t, feed } = routed();
    const a = recordingListener();
    const b = recordingListener();
    t.join(trades, argsOf('BTCUSD'), a.listener);
    t.join(trades, argsOf('BTCUSD'), b.listener);
    feed(tradesFrame(['BTCUSD']));
    expect(a.events).toHaveLength(1);
    expect(b.events[0]).toBe(a.events[0]);
  });

  it('counts unknown dt codes and undecodable frames, and logs each cause once', () => {
    const { router, feed, lines } = routed();
    for (let i = 0; i < 3; i++) feed(parseFrame(JSON.stringify({ dt: 999, c: 20, d: {} })));
    for (let i = 0; i < 3; i++)
      feed(parseFrame(JSON.stringify({ dt: 33, c: 20, d: [{ s: 'BTCUSD', pr: 'not a number', q: '1', sd: 1, ts: 1 }] })));
    router.drop('undecodable', 'not JSON');
    router.drop('undecodable', 'not JSON');
    expect(router.drops).toEqual({ unknownDt: 3, undecodable: 5, unrouted: 0, oversized: 0 });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('unknown dt 999');
  });
});
