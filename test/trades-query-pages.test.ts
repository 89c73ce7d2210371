/**
 * How the trades Query twin reads the resume window (`hub/trades-query.ts`),
 * on a memory window whose reads are counted: a page asks the window for
 * `limit` trades, never for everything after the cursor or the whole topic,
 * and reads on, `limit` at a time, only while the view (one `side`) left it
 * short; a gap right after a full read comes once, at its place.
 */
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { createMemoryWindow } from '../src/hub/memory-window.ts';
import type { ResumeWindow } from '../src/hub/resume-window.ts';
import { gapsOf, takeTrades } from '../src/hub/trades-query.ts';

const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const trade = (n: number, side: 'BUY' | 'SELL') => ({ id: `t${n}`, symbol: 'BTCUSD', price: String(n), side, timestamp: 1_000 + n });
/** A join whose topic is confirmed at once (the window is all a query reads here). */
const join = () => ({ last: undefined, confirmed: Promise.resolve(), snapshot: undefined, release: () => undefined });

/** A memory window holding `trades` (then a gap after the `gapAfter`-th, when given), and the limits each read asked for. */
function windowOf(trades: ReadonlyArray<ReturnType<typeof trade>>, gapAfter?: number) {
  const inner = createMemoryWindow({ maxTradesPerTopic: 20_000, windowMs: 60_000 });
  inner.retain(TOPIC, 0);
  const positions: number[] = [];
  trades.forEach((t, i) => {
    positions.push(...inner.append(TOPIC, [t], t.timestamp));
    if (i + 1 === gapAfter) inner.gap(TOPIC, 10, 20, 'UPSTREAM');
  });
  const asked: Array<number | undefined> = [];
  const window: ResumeWindow = {
    ...inner,
    epoch: inner.epoch,
    after: (topic, epoch, position, limit) => {
      asked.push(limit);
      return inner.after(topic, epoch, position, limit);
    },
    newest: (topic, limit) => {
      asked.push(limit);
      return inner.newest(topic, limit);
    },
  };
  const cursorAt = (i: number) => ({ topic: TOPIC, epoch: inner.epoch, position: positions[i] ?? 0, at: 0 });
  return { window, asked, cursorAt };
}

const ids = (page: unknown[]) => page.map((t) => (t as { id: string }).id);
const query = (
  window: ResumeWindow,
  args: Record<string, unknown>,
  cursor: ReturnType<ReturnType<typeof windowOf>['cursorAt']> | undefined,
  limit: number,
) => takeTrades(join, CHANNELS.futuresTrades, { symbol: 'BTCUSD', ...args }, { window, cursor, limit, timeoutMs: 1_000 });

describe('the trades Query twin reading the window', () => {
  const many = Array.from({ length: 5_000 }, (_, i) => trade(i + 1, i % 2 === 0 ? 'SELL' : 'BUY'));

  it('asks for `limit` trades after the cursor, and for the newest `limit`', async () => {
    const { window, asked, cursorAt } = windowOf(many);
    expect(ids(await query(window, {}, cursorAt(0), 5))).toEqual(['t2', 't3', 't4', 't5', 't6']);
    expect(ids(await query(window, {}, undefined, 3))).toEqual(['t5000', 't4999', 't4998']);
    // Each query also asks for the newest one (whether the topic holds trades yet).
    expect(asked).toEqual([1, 5, 1, 3]);
  });

  it('reads on, `limit` at a time, while the side left the page short', async () => {
    const { window, asked, cursorAt } = windowOf(many);
    expect(ids(await query(window, { side: 'BUY' }, cursorAt(0), 4))).toEqual(['t2', 't4', 't6', 't8']);
    expect(asked).toEqual([1, 4, 4]);
    asked.length = 0;
    expect(ids(await query(window, { side: 'SELL' }, undefined, 3))).toEqual(['t4999', 't4997', 't4995']);
    expect(asked).toEqual([1, 3, 12]);
  });

  it('reports a gap right after a full read once, at its place', async () => {
    const { window, cursorAt } = windowOf([trade(1, 'BUY'), trade(2, 'SELL'), trade(3, 'BUY'), trade(4, 'BUY')], 2);
    // The read after t1 is full at t2 (a sell, not in the view): the next read starts at the gap.
    const page = await query(window, { side: 'BUY' }, cursorAt(0), 1);
    expect(ids(page)).toEqual(['t3']);
    expect(gapsOf(page).map((g) => [g.since, g.until, g.reason])).toEqual([[10, 20, 'UPSTREAM']]);
  });
});
