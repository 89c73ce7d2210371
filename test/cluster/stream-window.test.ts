/**
 * The cluster backend of the resume window on the file's own engine: positions
 * are stream sequences, a read after a position gives the topic's later trades
 * and gap markers oldest first, a position past what the stream keeps of the
 * topic or of another epoch is expired (with what is kept), a stream created
 * again names a new epoch, `newest` gives the last trades newest first, and an
 * unreachable engine is said (`unavailable`), never an empty read. Among
 * thousands of stored trades, a read with a limit (and `newest`) asks the
 * engine for no more than it returns; only a read without one goes to the end.
 * A message of several trades at a page's end is never split. A pull that
 * comes back empty while the topic holds more (an engine too slow to deliver
 * within it) does not end a read short: it pulls again, and fails the read
 * (`unavailable`) when the engine keeps delivering nothing (what it asked for
 * counted all the same).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/sources/cluster/engine.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import { clusterTopicOf } from '../../src/sources/cluster/cluster-topic.ts';
import { encodeEnvelope } from '../../src/sources/cluster/envelope.ts';
import { createStreamWindow } from '../../src/sources/cluster/stream-window.ts';
import { READ_BATCH, READ_EMPTY_PULLS } from '../../src/sources/cluster/stream-read.ts';
import { CHANNELS } from '../../src/channels/registry.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, onDispose } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const OTHER = { channel: 'futuresTrades', key: 'ETHUSD' } as const;
const clusterTopic = (key: string) => clusterTopicOf(CHANNELS.futuresTrades, key);
/** The time of the `n`th trade (and of its message). */
const at = (n: number) => 1_700_000_000_000 + n;
/** A trade as the engine stores them (a valid record of its shape: the window reads through the boundary's check). */
const trade = (key: string, n: number) => ({
  id: `${key}-${n}`,
  symbol: key,
  price: String(n),
  volume: '1',
  side: 'BUY',
  timestamp: at(n),
});
const idOf = (item: unknown): string => (typeof item === 'object' && item !== null && 'id' in item ? String(item.id) : '');

async function withTrades(): Promise<{ engine: Engine; seqs: number[] }> {
  const engine = await testEngine(engineSettings());
  const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
  const seqs: number[] = [];
  for (let n = 1; n <= 5; n++) {
    await publisher.publishEvents(clusterTopic('BTCUSD'), [trade('BTCUSD', n)], idOf, at(n));
    await publisher.publishEvents(clusterTopic('ETHUSD'), [trade('ETHUSD', n)], idOf, at(n));
    const last = await engine.jsm.direct.getMessage(engine.names.eventStream, {
      last_by_subj: engine.names.subject(clusterTopic('BTCUSD')),
    });
    seqs.push(last?.seq ?? 0);
  }
  return { engine, seqs };
}

/** Trades per publish of one topic, the two topics taking turns (their sequences interleave in runs). */
const RUN = 10;

/** `count` trades of BTCUSD and as many of ETHUSD, in runs of RUN each, on an engine that keeps them all. */
async function withManyTrades(count: number): Promise<Engine> {
  const engine = await testEngine(engineSettings({ maxEventsPerTopic: 10_000 }));
  const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
  const run = (key: string, from: number) => Array.from({ length: RUN }, (_, i) => trade(key, from + i));
  for (let n = 1; n <= count; n += RUN) {
    await publisher.publishEvents(clusterTopic('BTCUSD'), run('BTCUSD', n), idOf, at(n));
    await publisher.publishEvents(clusterTopic('ETHUSD'), run('ETHUSD', n), idOf, at(n));
  }
  return engine;
}

/** The engine, but its next `n` pulls come back empty (as a pull does from an engine too slow to deliver within it). */
function slowPulls(engine: Engine, n: number): { engine: Engine; pulls: () => number } {
  let left = n;
  let pulls = 0;
  const bound = <T extends object>(target: T, prop: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, prop);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const empty = { [Symbol.asyncIterator]: async function* () {}, stop: () => undefined };
  const slow = <T extends object>(consumer: T): T =>
    new Proxy(consumer, {
      get: (target, prop) => {
        if (prop !== 'fetch') return bound(target, prop);
        return (...args: unknown[]) => {
          pulls += 1;
          if (left <= 0) return Reflect.apply(Reflect.get(target, prop) as (...a: unknown[]) => unknown, target, args);
          left -= 1;
          return Promise.resolve(empty);
        };
      },
    });
  const consumers = new Proxy(engine.js.consumers, {
    get: (target, prop) => {
      if (prop !== 'get') return bound(target, prop);
      return async (...args: Parameters<typeof target.get>) => slow(await target.get(...args));
    },
  });
  const js = new Proxy(engine.js, { get: (target, prop) => (prop === 'consumers' ? consumers : bound(target, prop)) });
  return { engine: { ...engine, js }, pulls: () => pulls };
}

const ids = (entries: readonly { kind: string; trade?: unknown }[]) => entries.map((e) => (e.kind === 'trade' ? idOf(e.trade) : 'gap'));

describe('the stream window', () => {
  it('reads the trades after a position, oldest first, with their stream sequences, and the gap markers at their place', async () => {
    const { engine, seqs } = await withTrades();
    const window = createStreamWindow({ engine: () => engine });
    expect(window.epoch).toBe(engine.eventEpoch);
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
    await publisher.publishGap(clusterTopic('BTCUSD'), { since: at(10), until: at(20), reason: 'UPSTREAM' }, 'gap-1');
    await publisher.publishEvents(clusterTopic('BTCUSD'), [trade('BTCUSD', 6)], idOf, at(6));

    const read = await window.after(TOPIC, window.epoch, seqs[1] ?? 0);
    expect(read.status).toBe('kept');
    if (read.status !== 'kept') return;
    expect(ids(read.entries)).toEqual(['BTCUSD-3', 'BTCUSD-4', 'BTCUSD-5', 'gap', 'BTCUSD-6']);
    expect(read.entries.slice(0, 3).map((e) => e.position)).toEqual(seqs.slice(2));
    expect(read.entries[3]).toMatchObject({ kind: 'gap', since: at(10), until: at(20), reason: 'UPSTREAM' });

    const page = await window.after(TOPIC, window.epoch, seqs[0] ?? 0, 2);
    expect(page.status === 'kept' ? ids(page.entries) : page.status).toEqual(['BTCUSD-2', 'BTCUSD-3']);
    const other = await window.after(OTHER, window.epoch, 0);
    expect(other.status === 'kept' ? ids(other.entries) : other.status).toEqual([
      'ETHUSD-1',
      'ETHUSD-2',
      'ETHUSD-3',
      'ETHUSD-4',
      'ETHUSD-5',
    ]);

    const newest = await window.newest(TOPIC, 2);
    expect(newest.map((t) => idOf(t.trade))).toEqual(['BTCUSD-6', 'BTCUSD-5']);
  });

  it('answers a position past what the stream keeps of the topic, or of another epoch, as expired with what is kept', async () => {
    const engine = await testEngine(engineSettings({ maxEventsPerTopic: 3 }));
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'a' });
    const seqs: number[] = [];
    for (let n = 1; n <= 5; n++) {
      await publisher.publishEvents(clusterTopic('BTCUSD'), [trade('BTCUSD', n)], idOf, at(n));
      const last = await engine.jsm.direct.getMessage(engine.names.eventStream, {
        last_by_subj: engine.names.subject(clusterTopic('BTCUSD')),
      });
      seqs.push(last?.seq ?? 0);
    }
    const window = createStreamWindow({ engine: () => engine });
    const gone = await window.after(TOPIC, window.epoch, seqs[0] ?? 0);
    expect(gone).toMatchObject({ status: 'expired', oldestAt: 1_700_000_000_003 });
    expect(ids(gone.status === 'expired' ? gone.entries : [])).toEqual(['BTCUSD-3', 'BTCUSD-4', 'BTCUSD-5']);
    const kept = await window.after(TOPIC, window.epoch, seqs[2] ?? 0);
    expect(kept.status === 'kept' ? ids(kept.entries) : kept.status).toEqual(['BTCUSD-4', 'BTCUSD-5']);
    const foreign = await window.after(TOPIC, 'another-stream.1', seqs[3] ?? 0);
    expect(foreign.status).toBe('expired');
  });

  it('names a new epoch when the stream is created again', async () => {
    const settings = engineSettings();
    const first = await testEngine(settings);
    const before = first.eventEpoch;
    await first.jsm.streams.delete(settings.names.eventStream);
    const again = await openEngine(settings);
    onDispose(() => again.close());
    expect(again.eventEpoch).not.toBe(before);
    expect(again.eventEpoch.startsWith(settings.names.eventStream)).toBe(true);
  });

  it('expires an old cursor, with the new stream’s trades and epoch, when the stream is created again under a running engine', async () => {
    const settings = engineSettings();
    const { engine, seqs } = await withTrades();
    const window = createStreamWindow({ engine: () => engine });
    const oldEpoch = window.epoch;
    const cursor = seqs.at(-1) ?? 0;
    // Another replica (its own engine) finds the stream gone and creates it again; its first trade is sequence 1.
    await engine.jsm.streams.delete(engine.names.eventStream);
    const other = await openEngine({ ...settings, names: engine.names });
    onDispose(() => other.close());
    const publisher = createPublisher({ js: other.js, names: other.names, node: 'b' });
    await publisher.publishEvents(clusterTopic('BTCUSD'), [trade('BTCUSD', 100)], idOf, at(100));
    expect(other.eventEpoch).not.toBe(oldEpoch);

    const read = await window.after(TOPIC, oldEpoch, cursor, 10);
    expect(read).toMatchObject({ status: 'expired', oldestAt: trade('BTCUSD', 100).timestamp, epoch: other.eventEpoch });
    expect(ids(read.entries)).toEqual(['BTCUSD-100']);
    expect(read.entries[0]?.position).toBe(1);
    // Live trades from now on are stamped with the new epoch (a resumed subscription's seam does not cut them).
    expect(window.epoch).toBe(other.eventEpoch);
    // A cursor of the new stream is kept on the engine that read the old epoch.
    expect(await window.after(TOPIC, other.eventEpoch, 1)).toEqual({ status: 'kept', entries: [] });
  });

  it('asks the engine for no more messages than a read with a limit returns, among thousands of trades', async () => {
    const engine = await withManyTrades(3_000);
    const reads: number[] = [];
    const window = createStreamWindow({ engine: () => engine, onRead: (_topic, messages) => reads.push(messages) });
    const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `BTCUSD-${from + i}`);

    const head = await window.after(TOPIC, window.epoch, 0, 3);
    expect(ids(head.entries)).toEqual(names(1, 3));
    expect(reads.at(-1)).toBe(3);
    const first = head.entries[0]?.position ?? 0;
    const page = await window.after(TOPIC, window.epoch, first, 7);
    expect(ids(page.entries)).toEqual(names(2, 8));
    expect(reads.at(-1)).toBe(7);
    // Expired (another epoch): the oldest kept trades, as many as asked.
    const expired = await window.after(TOPIC, 'another-stream.1', first, 7);
    expect(expired.status).toBe('expired');
    expect(ids(expired.entries)).toEqual(names(1, 7));
    expect(reads.at(-1)).toBe(7);
    const newest = await window.newest(TOPIC, 7);
    expect(newest.map((t) => idOf(t.trade))).toEqual(names(2_994, 3_000).reverse());
    expect(reads.at(-1)).toBe(7);
    expect((await window.newest(TOPIC, 1)).map((t) => idOf(t.trade))).toEqual(['BTCUSD-3000']);
    expect(reads.at(-1)).toBe(1);
    // Without a limit (a resuming subscription): everything after the position.
    const all = await window.after(TOPIC, window.epoch, first);
    expect(ids(all.entries)).toEqual(names(2, 3_000));
    expect(reads.at(-1)).toBeLessThanOrEqual(2_999 + READ_BATCH);
  });

  it('never splits a message of several trades at a page’s end: pages read one after another give every trade once', async () => {
    const { engine, seqs } = await withTrades();
    const subject = engine.names.subject(clusterTopic('BTCUSD'));
    // One message holding three trades (one frame of the exchange), then one more trade.
    await engine.js.publish(subject, encodeEnvelope([trade('BTCUSD', 6), trade('BTCUSD', 7), trade('BTCUSD', 8)], at(6)));
    await engine.js.publish(subject, encodeEnvelope([trade('BTCUSD', 9)], at(9)));
    const window = createStreamWindow({ engine: () => engine });
    const pages: string[][] = [];
    // Pages of 2 after trade 4: trade 5 and the message of three cross the page's end.
    for (let position = seqs[3] ?? 0; ;) {
      const page = await window.after(TOPIC, window.epoch, position, 2);
      if (page.status !== 'kept') throw new Error(`the read was ${page.status}`);
      if (page.entries.length === 0) break;
      pages.push(ids(page.entries));
      position = page.entries.at(-1)?.position ?? position;
    }
    expect(pages).toEqual([['BTCUSD-5', 'BTCUSD-6', 'BTCUSD-7', 'BTCUSD-8'], ['BTCUSD-9']]);
  });

  it('pulls again when a pull comes back empty while the topic holds more, rather than ending the read short', async () => {
    const { engine } = await withTrades();
    const slow = slowPulls(engine, 1);
    const window = createStreamWindow({ engine: () => slow.engine });
    const read = await window.after(TOPIC, window.epoch, 0);
    expect(read.status === 'kept' ? ids(read.entries) : read.status).toEqual(['BTCUSD-1', 'BTCUSD-2', 'BTCUSD-3', 'BTCUSD-4', 'BTCUSD-5']);
    expect(slow.pulls()).toBeGreaterThan(1);
  });

  it('fails the read (unavailable) when the engine keeps delivering nothing of what the topic holds', async () => {
    const { engine } = await withTrades();
    const slow = slowPulls(engine, Number.POSITIVE_INFINITY);
    const errors: unknown[] = [];
    const reads: number[] = [];
    const window = createStreamWindow({
      engine: () => slow.engine,
      onReadError: (error) => errors.push(error),
      onRead: (_topic, messages) => reads.push(messages),
    });
    expect(await window.after(TOPIC, window.epoch, 0, 2)).toEqual({ status: 'unavailable', reason: 'ENGINE', entries: [] });
    expect(slow.pulls()).toBe(READ_EMPTY_PULLS);
    expect(String(errors[0])).toContain('delivered nothing');
    // What the failed read asked the engine for is counted all the same: two trades a pull.
    expect(reads).toEqual([READ_EMPTY_PULLS * 2]);
  });

  it('says the engine is unreachable rather than answering an empty read', async () => {
    const window = createStreamWindow({ engine: () => undefined });
    expect(await window.after(TOPIC, 'x', 1)).toEqual({ status: 'unavailable', reason: 'ENGINE', entries: [] });
    // Said as a query's answer (no trades), not as a subscription's signal.
    await expect(window.newest(TOPIC, 5)).rejects.toMatchObject({
      code: 'STREAM_INTERRUPTED',
      details: { reason: 'ENGINE' },
      message: expect.stringContaining('The query answers no trades'),
    });
    expect(window.append(TOPIC, [{}, {}], 0, [7, 8])).toEqual([7, 8]);
    expect(window.append(TOPIC, [{}], 0)).toEqual([8]);
    // The stream created again numbers from 1: a stand-in takes the new stream's last position, not the old one's.
    expect(window.append(TOPIC, [{}], 0, [3])).toEqual([3]);
    expect(window.append(TOPIC, [{}], 0)).toEqual([3]);
  });
});
