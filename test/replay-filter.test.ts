/**
 * The replay filter of an event topic: after a resume it drops the items the
 * exchange sends again (same content id), and only then: outside the window
 * after a resume, identical items are new trades and pass.
 */
import { describe, expect, it } from 'vitest';
import { createReplayFilter } from '../src/hub/replay-filter.ts';

const trade = (id: string) => ({ id, price: '1' });

describe('replay filter', () => {
  it('drops already delivered items inside the window after a resume, keeps the new ones', () => {
    const filter = createReplayFilter(100, 1_000);
    expect(filter.pass([trade('a'), trade('b')], 0)).toHaveLength(2);
    filter.resumed(5_000);
    expect(filter.pass([trade('a'), trade('b')], 5_010)).toBeNull();
    expect(filter.pass([trade('b'), trade('c')], 5_020)).toEqual([trade('c')]);
  });

  it('lets identical items pass outside the window (they are new trades)', () => {
    const filter = createReplayFilter(100, 1_000);
    filter.pass([trade('a')], 0);
    expect(filter.pass([trade('a')], 10)).toEqual([trade('a')]);
    filter.resumed(100);
    expect(filter.pass([trade('a')], 1_101)).toEqual([trade('a')]);
  });

  it('remembers a bounded number of ids, forgetting the oldest', () => {
    const filter = createReplayFilter(2, 1_000);
    filter.pass([trade('a'), trade('b'), trade('c')], 0);
    filter.resumed(0);
    expect(filter.pass([trade('c')], 1)).toBeNull();
    expect(filter.pass([trade('a')], 2)).toEqual([trade('a')]);
  });

  it('passes single records and items without an id', () => {
    const filter = createReplayFilter(10, 1_000);
    expect(filter.pass(trade('x'), 0)).toEqual(trade('x'));
    filter.resumed(0);
    expect(filter.pass(trade('x'), 1)).toBeNull();
    expect(filter.pass({ price: '1' }, 2)).toEqual({ price: '1' });
  });
});
