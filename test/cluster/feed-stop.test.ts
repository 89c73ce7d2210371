/**
 * A feed stopped while it reopens (`feed.ts`, `openFeed`): its consumer ended
 * (the stream deleted and created again under it) and the new run's start,
 * the Direct Get of the book's latest value, is under way at the stop. What
 * that late start brings is not handed on (a value after the stop made the
 * reader release the tap it had just opened), and a start that fails is not
 * said as a reopen error. The engine and the client are real; the test only
 * holds the reopen's Direct Get at a gate (a thin wrapper over the manager)
 * so that the stop comes while it is pending.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type EngineSettings } from '../../src/sources/cluster/engine.ts';
import { openFeed, type Feed } from '../../src/sources/cluster/feed.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const BOOK: ClusterTopic = { id: 'options:optionOrderBook:{"symbol":"BTCUSD-1"}', kind: 'state', market: 'options' };
/** How long the feed may take to notice the new stream (the library recreates its consumer within a few seconds). */
const NOTICE_MS = 15_000;
const idOf = (item: unknown) => (item as { id: string }).id;

/** The real manager, whose Direct Gets wait at a gate once it is closed: `waiting()` while one does, `open()` lets it go to the engine, `settled` when the engine answered it. */
function gatedManager(jsm: JetStreamManager) {
  let closed = false;
  let waiting = false;
  let open = () => undefined as void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let answered = () => undefined as void;
  const settled = new Promise<void>((resolve) => (answered = resolve));
  const direct = new Proxy(jsm.direct, {
    get(target, property, receiver) {
      if (property !== 'getMessage') return Reflect.get(target, property, receiver);
      const real = target.getMessage.bind(target);
      return async (...args: Parameters<typeof real>) => {
        if (!closed) return real(...args);
        waiting = true;
        await gate;
        return real(...args).finally(answered);
      };
    },
  });
  const manager = new Proxy(jsm, {
    get: (target, property, receiver) => (property === 'direct' ? direct : Reflect.get(target, property, receiver)),
  });
  return { manager, close: () => void (closed = true), waiting: () => waiting, open, settled };
}

/** A feed of BOOK over the gated manager, its book values and reopen errors written down with whether the feed was stopped then. */
async function gatedFeed(settings: EngineSettings) {
  const engine = await testEngine(settings);
  const publisher = createPublisher({ js: engine.js, names: engine.names });
  await publisher.publishState(BOOK, [{ id: 'old' }], 1, 0);
  const gated = gatedManager(engine.jsm);
  const seen = { values: [] as string[], afterStop: [] as string[], reopened: 0, stopped: false };
  const feed: Feed = await openFeed({
    js: engine.js,
    jsm: gated.manager,
    names: engine.names,
    topic: BOOK,
    expiresMs: 1_000,
    onMessage: (m) => {
      const id = idOf(m.envelope?.items[0]);
      seen.values.push(id);
      if (seen.stopped) seen.afterStop.push(id);
    },
    onReopenError: (error) => {
      if (seen.stopped) seen.afterStop.push(`reopen error: ${error instanceof Error ? error.message : String(error)}`);
    },
    onCreatedAgain: async () => void (seen.reopened += 1),
  });
  onDispose(() => feed.stop());
  await waitFor(() => seen.values.length === 1, 'the latest book value');
  // The stream deleted and created again under the feed, holding a new value: the feed's consumer ends and it reopens.
  gated.close();
  await engine.jsm.streams.delete(settings.names.stateStream);
  await (await openEngine(settings)).close();
  await publisher.publishState(BOOK, [{ id: 'new' }], 2, 0);
  await waitFor(() => gated.waiting(), "the reopen's Direct Get under way", NOTICE_MS);
  seen.stopped = true;
  await feed.stop();
  return { engine, gated, seen };
}

describe('a feed stopped while it reopens', () => {
  it('hands on nothing its late start brings', { timeout: 60_000 }, async () => {
    const settings = engineSettings({ upkeepMs: 60_000 });
    const { gated, seen } = await gatedFeed(settings);
    gated.open();
    // The start's Direct Get answered (the new value), then the new run asked to go on (`onCreatedAgain`): past its hand-on.
    await gated.settled;
    await waitFor(() => seen.reopened === 1, 'the late start going past its hand-on');
    expect(seen.values).toEqual(['old']);
    expect(seen.afterStop).toEqual([]);
  });

  it('says no reopen error when its late start fails', { timeout: 60_000 }, async () => {
    const settings = engineSettings({ upkeepMs: 60_000 });
    const { engine, gated, seen } = await gatedFeed(settings);
    // The stream gone again before the pending Direct Get reaches it: the start fails (no stream answers it: a timeout).
    await engine.jsm.streams.delete(settings.names.stateStream);
    gated.open();
    await gated.settled;
    // The failure's way through the feed is promise callbacks only: done before the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.afterStop).toEqual([]);
    expect(seen.reopened).toBe(0);
  });
});
