/**
 * A resume on a cluster replica that serves its topic alone (the engine
 * unreachable, or back but its first message not in yet): the trades it
 * serves from its own upstream carry a stand-in position (the last sequence
 * it saw), not their place in the stream. The hub alone over the real stream
 * window: a resume whose replay cannot be read (cursor at or past that
 * stand-in) gets STREAM_INTERRUPTED (ENGINE), then every trade served alone;
 * once the engine is back, a trade served alone that the replay already gave
 * (the same id) does not come twice, and the others all come. The replayed
 * ids are kept only that long (until the engine's first message passed the
 * seam), and never over a window whose positions are the trades' own (memory).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import { replayPages } from '../src/hub/resume-pages.ts';
import type { ResumeWindow, WindowEntry } from '../src/hub/resume-window.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { createStreamWindow } from '../src/sources/cluster/stream-window.ts';
import { disposeAll } from './helpers/gateway.ts';
import { numberOf, pagedHub, trade, tradesOf } from './helpers/paged-hub.ts';

afterEach(disposeAll);

/** The sequence the replica saw last of the topic before it served it alone. */
const LAST_SEEN = 7;

/** The stream window of a replica whose engine is unreachable. */
const alone = (): ResumeWindow => createStreamWindow({ engine: () => undefined });

/** Trade number `n` as the stream holds it at sequence `position`. */
const stored = (n: number, position: number): WindowEntry => ({ kind: 'trade', position, at: trade(n).timestamp, trade: trade(n) });

/** What the client gets until trade number `last`: trade numbers, and the reason of each STREAM_INTERRUPTED. */
async function until(events: AsyncIterator<unknown>, last: number): Promise<Array<number | string>> {
  const got: Array<number | string> = [];
  while (!got.includes(last)) {
    const { value, done } = await events.next();
    if (done === true) throw new Error(`the stream ended after ${got.length} items`);
    if (value instanceof StreamInterruption) got.push(value.reason);
    else got.push(...tradesOf(value).map(numberOf));
  }
  return got;
}

/**
 * A client of a replica serving alone resumes from its trade 1, with the engine back for the read: the holder had
 * stored trades 2 and 3 after it, and the replay gives them.
 */
async function replayedAfterReturn() {
  const setup = pagedHub({
    over: alone(),
    wrap: (_inner, n) => (n === 1 ? Promise.resolve({ status: 'kept', entries: [stored(2, 8), stored(3, 9)] }) : undefined),
  });
  setup.publishAt(LAST_SEEN);
  const events = setup.resume(LAST_SEEN, undefined, 1);
  expect(await until(events, 3)).toEqual([2, 3]);
  return { setup, events };
}

describe('a resume on a replica serving its topic alone', () => {
  it('cannot read its replay: STREAM_INTERRUPTED (ENGINE), then every trade it serves alone, then the engine’s', async () => {
    const setup = pagedHub({ over: alone() });
    // Trade 1 is the last the replica saw on the engine; the client resumes from it (its cursor's position is that sequence).
    expect(setup.publishAt(LAST_SEEN)).toBe(1);
    const events = setup.resume(LAST_SEEN, undefined, 1);
    const first = await events.next();
    expect(first.value).toBeInstanceOf(StreamInterruption);
    expect(first.value).toMatchObject({ reason: 'ENGINE' });
    // Served from the replica's own upstream: each at the stand-in position LAST_SEEN; then the engine's next message.
    setup.publish(3);
    setup.publish(1);
    const back = setup.publishAt(LAST_SEEN + 1);
    expect(await until(events, back)).toEqual([4, 3, 2, 5, back]);
  });

  it('the same with a cursor of a trade another replica served alone (it carries that same sequence)', async () => {
    const setup = pagedHub({ over: alone() });
    setup.publishAt(LAST_SEEN);
    const events = setup.resume(LAST_SEEN, undefined, 40);
    expect((await events.next()).value).toMatchObject({ reason: 'ENGINE' });
    setup.publish(2);
    const back = setup.publishAt(LAST_SEEN + 1);
    expect(await until(events, back)).toEqual([3, 2, back]);
  });

  it('once the engine is back: a trade served alone that the replay gave does not come twice, the others come', async () => {
    const { setup, events } = await replayedAfterReturn();
    // The replica still serves alone (the engine's first message not in yet): trades 2 and 3 again, and 4, at LAST_SEEN.
    setup.publish(3);
    const back = setup.publishAt(10);
    expect(await until(events, back)).toEqual([4, back]);
  });

  it('once the engine’s first message passed the seam, cuts nothing by the replay’s ids: trades served alone later are new', async () => {
    const { setup, events } = await replayedAfterReturn();
    // The engine's message past the seam, then (the engine gone again) a trade served alone at a stand-in position.
    expect(setup.publishAt(10)).toBe(2);
    setup.publish(1);
    const back = setup.publishAt(11);
    expect(await until(events, back)).toEqual([2, 3, back]);
  });

  it('keeps no replayed ids over a window whose positions are the trades’ own (the memory window)', async () => {
    const window = createMemoryWindow({ maxTradesPerTopic: 100, windowMs: 600_000 });
    const topic = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
    const positions = window.append(topic, [trade(1), trade(2), trade(3)], Date.now());
    const cursor = { topic, epoch: window.epoch, position: positions[0] ?? 0, at: trade(1).timestamp, id: trade(1).id };
    const given: unknown[] = [];
    const end = await replayPages({ window, topic, cursor, give: (item) => given.push(item), taken: async () => true });
    expect(given.flatMap(tradesOf).map(numberOf)).toEqual([2, 3]);
    expect(end.ids.size).toBe(0);
    // A window of stand-in positions keeps them (its live trades are cut by id).
    const standIns = await replayPages({
      window: { ...window, standInPositions: true },
      topic,
      cursor,
      give: () => undefined,
      taken: async () => true,
    });
    expect([...standIns.ids]).toEqual([trade(2).id, trade(3).id]);
  });
});
