/**
 * A trades topic opened again while the resume window still holds its trades
 * (its last listener left and it lingered out), with a scripted source in
 * place of the exchange (the hub's source port, `hub/source-port.ts`): the
 * first frame after the answer (the exchange's batch of recent trades) is
 * judged against what the window retained. A batch that reaches back gives
 * the new trades and no signal; one that does not gives STREAM_INTERRUPTED
 * (UPSTREAM) since the topic was closed, to the listeners that resume from a
 * cursor (a fresh one had no part in that time); a drop before the batch
 * leaves the judgement to the batch of the resubscribe (no interruption said
 * on top); a first frame too late to be the batch cannot judge the closed
 * time, so that time is said (UPSTREAM) as well.
 */
import { describe, expect, it } from 'vitest';
import { decodeItems } from '../src/channels/channel.ts';
import { CHANNELS } from '../src/channels/registry.ts';
import type { Listener } from '../src/hub/listener.ts';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import type { HubPort, SourceTopic, TopicSource } from '../src/hub/source-port.ts';
import { PROBE_WINDOW_MS } from '../src/hub/probe.ts';
import type { StreamInterruption } from '../src/hub/signals.ts';
import { createTopicTable } from '../src/hub/topic-table.ts';

const trades = CHANNELS.futuresTrades;
const ARGS = trades.parseArgs({ symbol: 'BTCUSD' }, Date.now());
const T0 = 1_700_000_000_000;

/** Trade items numbered `from`..`to` (a frame lists them newest first), decoded as any source hands them over. */
const items = (from: number, to: number) =>
  decodeItems(
    trades,
    Array.from({ length: to - from + 1 }, (_, i) => ({ sd: 1, pr: String(100 + to - i), s: 'BTCUSD', v: '1', ts: T0 + to - i })),
    { frameTs: T0, receivedAt: T0 },
  );

/** The hub over a scripted source that subscribes at once; the test plays the source's side through `hub`. */
function reopenable() {
  let hub: HubPort | undefined;
  const live: SourceTopic[] = [];
  const unsubscribed: Array<() => void> = [];
  const window = createMemoryWindow({ maxTradesPerTopic: 100, windowMs: 60_000 });
  const table = createTopicTable({ lingerMs: 0, window }, (port) => {
    hub = port;
    const source: TopicSource = {
      subscribe: (topic) => void live.push(topic),
      unsubscribe: () => unsubscribed.shift()?.(),
      close: () => undefined,
      status: () => ({}),
    };
    return source;
  });
  const port = hub as HubPort;
  /** A listener of the topic: one that resumes from a cursor unless `resumes` is false. */
  const join = (resumes = true) => {
    const got: { prices: number[]; signals: StreamInterruption[] } = { prices: [], signals: [] };
    const listener: Listener = {
      deliver: (event) => void got.prices.push(...(event as Array<{ price: string }>).map((t) => Number(t.price))),
      interrupted: (signal) => void got.signals.push(signal),
      resumes,
      fail: () => undefined,
      end: () => undefined,
    };
    const handle = table.join(trades, ARGS, listener);
    const topic = live.at(-1) as SourceTopic;
    return { got, handle, topic };
  };
  /** The first listener takes trades 1..3 and leaves; resolves once the topic lingered out. */
  const openThenClose = async () => {
    const first = join();
    port.answered(first.topic, Date.now());
    port.publish(first.topic, items(1, 3), Date.now(), T0);
    const closed = new Promise<void>((resolve) => unsubscribed.push(resolve));
    first.handle.release();
    await closed;
  };
  return { port, join, openThenClose, window };
}

describe('a trades topic opened again within the window', () => {
  it('gives the new trades of a batch that reaches back, once each, with no signal', async () => {
    const { port, join, openThenClose } = reopenable();
    await openThenClose();
    const again = join();
    port.answered(again.topic, Date.now());
    port.publish(again.topic, items(2, 6), Date.now(), T0);
    expect(again.got).toEqual({ prices: [106, 105, 104], signals: [] });
  });

  it('says STREAM_INTERRUPTED (UPSTREAM) since it was closed when the batch does not reach back', async () => {
    const { port, join, openThenClose } = reopenable();
    await openThenClose();
    const closedBy = Date.now();
    const again = join();
    const fresh = join(false);
    port.answered(again.topic, Date.now());
    port.publish(again.topic, items(8, 9), Date.now(), T0);
    expect(again.got.prices).toEqual([109, 108]);
    expect(again.got.signals.map((s) => s.reason)).toEqual(['UPSTREAM']);
    expect(again.got.signals[0]?.since).toBeLessThanOrEqual(closedBy);
    // A listener that does not resume had no part in the time before it joined: the trades, no signal.
    expect(fresh.got).toEqual({ prices: [109, 108], signals: [] });
  });

  it('says STREAM_INTERRUPTED (UPSTREAM) since it was closed when its first frame comes too late to be the batch', async () => {
    const { port, join, openThenClose } = reopenable();
    await openThenClose();
    const closedBy = Date.now();
    const again = join();
    const answeredAt = Date.now();
    port.answered(again.topic, answeredAt);
    // Past the probe window: a live frame, not the exchange's batch; whether it reaches back says nothing.
    port.publish(again.topic, items(8, 9), answeredAt + PROBE_WINDOW_MS + 1, T0);
    expect(again.got.prices).toEqual([109, 108]);
    expect(again.got.signals.map((s) => [s.reason, s.since <= closedBy, s.until])).toEqual([['UPSTREAM', true, answeredAt]]);
  });

  it('cut before its batch: judges the batch of the resubscribe from the time it was closed, with no interruption on top', async () => {
    const { port, join, openThenClose } = reopenable();
    await openThenClose();
    const again = join();
    port.answered(again.topic, Date.now());
    port.interrupted(Date.now(), again.topic);
    port.answered(again.topic, Date.now());
    expect(again.got.signals).toEqual([]);
    port.publish(again.topic, items(3, 5), Date.now(), T0);
    expect(again.got).toEqual({ prices: [105, 104], signals: [] });
  });

  it('cut before its batch, which then does not reach back: a listener that joined fresh is told from the cut', async () => {
    const { port, join, openThenClose } = reopenable();
    await openThenClose();
    const again = join();
    const fresh = join(false);
    port.answered(again.topic, Date.now());
    const cutAt = Date.now();
    port.interrupted(cutAt, again.topic);
    port.answered(again.topic, Date.now());
    port.publish(again.topic, items(8, 9), Date.now(), T0);
    // The resuming one from the close (the window marks that), the fresh one from the cut it lived through.
    expect(again.got.signals.map((s) => s.reason)).toEqual(['UPSTREAM']);
    expect(fresh.got.signals.map((s) => [s.reason, s.since])).toEqual([['UPSTREAM', cutAt]]);
    expect(fresh.got.prices).toEqual([109, 108]);
  });
});
