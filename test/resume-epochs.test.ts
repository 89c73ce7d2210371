/**
 * A resuming subscription across a stream created again (a new epoch, whose
 * positions count anew), in the hub alone over a memory window whose epoch
 * the test switches: where the replay ended in the old stream never hides a
 * trade of the new one, whether the new stream turns up on a later page of
 * the replay or once the client is live.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REPLAY_PAGE_TRADES } from '../src/hub/resume-pages.ts';
import type { WindowEntry } from '../src/hub/resume-window.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { disposeAll } from './helpers/gateway.ts';
import { numberOf, pagedHub, trade, tradesOf } from './helpers/paged-hub.ts';

afterEach(disposeAll);

const PAGE = REPLAY_PAGE_TRADES;
const RECREATED = 'stream-created-again';

/** Trade number `n` as a window holds it at `position`. */
const held = (n: number, position: number): WindowEntry => ({ kind: 'trade', position, at: trade(n).timestamp, trade: trade(n) });

/** What the client gets until trade number `last`: trade numbers, and `expired` for a CURSOR_EXPIRED. */
async function until(events: AsyncIterator<unknown>, last: number): Promise<Array<number | 'expired'>> {
  const got: Array<number | 'expired'> = [];
  while (!got.includes(last)) {
    const { value, done } = await events.next();
    if (done === true) throw new Error(`the stream ended after ${got.length} items`);
    if (value instanceof StreamInterruption) got.push('expired');
    else got.push(...tradesOf(value).map(numberOf));
  }
  return got;
}

describe('a stream created again', () => {
  it('on a later page of the replay: live trades of the new stream follow its replayed ones, whatever the old stream’s positions', async () => {
    let epoch: string | undefined;
    const setup = pagedHub({
      epoch: () => epoch,
      wrap: (_inner, n) => {
        if (n !== 2) return undefined;
        // While the client took page 1 (positions up to 1,001), the stream was created again: it holds two trades, at 1 and 2.
        epoch = RECREATED;
        return Promise.resolve({
          status: 'expired',
          oldestAt: trade(5_001).timestamp,
          epoch: RECREATED,
          entries: [held(5_001, 1), held(5_002, 2)],
        });
      },
    });
    setup.publish(2_500, 100);
    const events = setup.resume(1);
    const replayed = await until(events, 5_002);
    expect(replayed).toEqual([...Array.from({ length: PAGE }, (_, i) => i + 2), 'expired', 5_001, 5_002]);
    // Live, on the new stream: its positions 3 and 4, then one past anything the old stream had.
    const live = [setup.publishAt(3), setup.publishAt(4), setup.publishAt(5_000)];
    expect(await until(events, live[2] ?? 0)).toEqual(live);
  });

  it('while the client is live: the new stream’s trades all go out, though their positions are ones the replay had', async () => {
    let epoch: string | undefined;
    const setup = pagedHub({ epoch: () => epoch });
    setup.publish(10);
    const events = setup.resume(0);
    expect(await until(events, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    setup.publish(1);
    expect(await until(events, 11)).toEqual([11]);
    epoch = RECREATED;
    const live = [setup.publishAt(1), setup.publishAt(2), setup.publishAt(50)];
    expect(await until(events, live[2] ?? 0)).toEqual(live);
  });
});
