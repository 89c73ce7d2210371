/**
 * A resuming trades subscription replays page by page, as its client takes
 * them (`hub/resume-pages.ts`), in the hub alone over a memory window whose
 * reads are counted: the next page is read only once the last was taken
 * (never more than two pages ahead of the client), also while it looks for
 * the seam of a trade served while the engine was away, pages on (a page per
 * read, keeping only what a gap says); a client that leaves
 * mid-replay stops the reads; what goes live meanwhile is held within the
 * subscriber's queue limit (lists merge, then SUBSCRIBER_TOO_SLOW); the window
 * moving past the next page while the client was slow is said
 * (CURSOR_EXPIRED from where the replay stopped); a later page that cannot be
 * read is said in band; a gap at a page's end is said once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REPLAY_PAGE_TRADES } from '../src/hub/resume-pages.ts';
import { StreamInterruption } from '../src/hub/signals.ts';
import { GatewayError } from '../src/lib/errors.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';
import { numberOf, pagedHub, settle, trade, tradesOf } from './helpers/paged-hub.ts';

afterEach(disposeAll);

const PAGE = REPLAY_PAGE_TRADES;

describe('a resume replays page by page, as the client takes them', () => {
  it('reads the next page only once the client took the last: never more than two pages ahead, every trade once, in order', async () => {
    const setup = pagedHub();
    setup.publish(5_000, 100);
    const events = setup.resume(1);
    const got: number[] = [];
    let messages = 0;
    while (got.length < 4_999) {
      await settle();
      // What the window was read for and the client has not taken yet.
      expect(setup.reads.trades - got.length, `read ahead after ${messages} messages`).toBeLessThanOrEqual(2 * PAGE);
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      messages += 1;
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 4_999 }, (_, i) => i + 2));
    expect(messages).toBe(5);
    expect(setup.reads.count).toBeLessThanOrEqual(messages + 1);
    // Then live, after the seam.
    setup.publish(3);
    const { value } = await events.next();
    expect(tradesOf(value).map(numberOf)).toEqual([5_003, 5_002, 5_001]);
    expect(setup.counts).toMatchObject({ replayed: 1, expired: 0 });
  });

  it('stops reading when the client leaves mid-replay', async () => {
    const setup = pagedHub();
    setup.publish(5_000, 100);
    const events = setup.resume(1);
    await events.next();
    await waitFor(() => setup.reads.count === 2, 'the second page read once the first was taken');
    await events.return();
    // The replay ends once it sees the client gone (it counts the resume then).
    await waitFor(() => setup.counts.replayed === 1, 'the replay ending');
    await settle();
    expect(setup.reads.count).toBe(2);
  });

  it('finds the seam of a trade served while the engine was away further than a page on: nothing the client had comes again', async () => {
    const setup = pagedHub();
    setup.publish(3_000, 100);
    // The client had every trade up to 1,500; its cursor carries only position 1 (the last its replica saw on the engine).
    const events = setup.resume(1, undefined, 1_500);
    const got: number[] = [];
    while (got.length < 1_500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 1_500 }, (_, i) => i + 1_501));
  });

  it('looks for that seam a page per read, holding no more than two pages the client has not had', async () => {
    const setup = pagedHub();
    setup.publish(6_000, 100);
    // The client had every trade up to 2,500; its cursor carries only position 1.
    const events = setup.resume(1, undefined, 2_500);
    const got: number[] = [];
    while (got.length < 3_500) {
      await settle();
      // What was read, less what the client had (2..2,500) and what it took.
      expect(setup.reads.trades - 2_499 - got.length, `read ahead after ${got.length} trades`).toBeLessThanOrEqual(2 * PAGE);
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 3_500 }, (_, i) => i + 2_501));
    expect(setup.reads.largest).toBeLessThanOrEqual(PAGE);
  });

  it('says a gap of the pages it skipped looking for that seam when it reaches past the cursor’s trade, not one the client lived through', async () => {
    const setup = pagedHub();
    setup.publish(1_500, 100);
    setup.gap(trade(10).timestamp, trade(20).timestamp);
    setup.gap(trade(1_400).timestamp, trade(2_600).timestamp);
    setup.publish(1_500, 100);
    const events = setup.resume(1, undefined, 2_500);
    const first = (await events.next()).value;
    expect(first).toBeInstanceOf(StreamInterruption);
    expect((first as StreamInterruption).toError().details).toMatchObject({
      since: new Date(trade(1_400).timestamp).toISOString(),
      until: new Date(trade(2_600).timestamp).toISOString(),
    });
    expect(tradesOf((await events.next()).value).map(numberOf)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2_501));
  });

  it('replays from the cursor’s position, a page per read, when the cursor’s own trade never reached the window', async () => {
    const setup = pagedHub();
    setup.publish(3_500, 100);
    // Trade 4,000 was served while the engine was away and never stored: its cursor carries position 1.
    const events = setup.resume(1, undefined, 4_000);
    const got: number[] = [];
    while (got.length < 3_499) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the replay ended');
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(got).toEqual(Array.from({ length: 3_499 }, (_, i) => i + 2));
    expect(setup.reads.largest).toBeLessThanOrEqual(PAGE);
  });
});

describe('what goes live during a slow client’s replay', () => {
  it('is held, merged past the queue limit, and follows the replay at the seam: nothing lost, nothing repeated', async () => {
    const setup = pagedHub();
    setup.publish(2_500, 100);
    const events = setup.resume(0, 4);
    const first = await events.next();
    // While the client is slow, 30 live frames (more than the queue limit of 4).
    setup.publish(30, 1);
    const got = tradesOf(first.value).map(numberOf);
    while (got.length < 2_530) {
      const { value, done } = await events.next();
      if (done === true || value instanceof Error) throw new Error(`the stream ended: ${String(value)}`);
      got.push(...tradesOf(value).map(numberOf));
    }
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 2_530 }, (_, i) => i + 1));
  });

  it('drops the subscriber with SUBSCRIBER_TOO_SLOW past the queue limit when it cannot merge, never an unbounded hold', async () => {
    const setup = pagedHub();
    setup.publish(2_500, 100);
    const events = setup.resume(0, 4);
    await events.next();
    setup.publish(4, 1);
    // An interruption cannot merge into a list: the hold is full.
    setup.gap(1, 2);
    const values: unknown[] = [];
    for (;;) {
      const { value, done } = await events.next();
      if (done === true) break;
      values.push(value);
    }
    const last = values.at(-1);
    expect(last).toBeInstanceOf(GatewayError);
    expect((last as GatewayError).code).toBe('SUBSCRIBER_TOO_SLOW');
    // No live trade went out before the drop.
    expect(values.flatMap(tradesOf).every((t) => numberOf(t) <= 2_500)).toBe(true);
  });
});

describe('a later page', () => {
  it('says CURSOR_EXPIRED from where the replay stopped when the window moved past it while the client was slow, then what is retained, then live', async () => {
    const setup = pagedHub({ maxTrades: 2_500 });
    setup.publish(2_500, 100);
    const events = setup.resume(1);
    await waitFor(() => setup.reads.trades === PAGE, 'the first page read');
    // The client is slow to take it: 2 000 more trades push the window past its next page.
    setup.publish(2_000, 100);
    const first = await events.next();
    const values: unknown[] = [first.value];
    while (values.flatMap(tradesOf).length < 1_000 + 2_500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the stream ended');
      values.push(value);
    }
    const signal = values[1];
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect((signal as StreamInterruption).toError().details).toMatchObject({
      reason: 'CURSOR_EXPIRED',
      since: new Date(trade(1_001).timestamp).toISOString(),
      until: new Date(trade(2_001).timestamp).toISOString(),
    });
    const got = values.flatMap(tradesOf).map(numberOf);
    expect(got).toEqual([...Array.from({ length: 1_000 }, (_, i) => i + 2), ...Array.from({ length: 2_500 }, (_, i) => i + 2_001)]);
    setup.publish(1);
    const { value } = await events.next();
    expect(tradesOf(value).map(numberOf)).toEqual([4_501]);
    expect(setup.counts).toMatchObject({ replayed: 0, expired: 1 });
  });

  it('that cannot be read says STREAM_INTERRUPTED (ENGINE) from the last replayed trade, then goes live', async () => {
    const setup = pagedHub({
      wrap: (_inner, n) => (n === 2 ? Promise.resolve({ status: 'unavailable', reason: 'ENGINE', entries: [] }) : undefined),
    });
    setup.publish(2_500, 100);
    const events = setup.resume(0);
    const first = await events.next();
    expect(tradesOf(first.value)).toHaveLength(PAGE);
    const signal = (await events.next()).value;
    expect(signal).toBeInstanceOf(StreamInterruption);
    expect((signal as StreamInterruption).toError().details).toMatchObject({
      reason: 'ENGINE',
      since: new Date(trade(PAGE).timestamp).toISOString(),
    });
    setup.publish(1);
    expect(tradesOf((await events.next()).value).map(numberOf)).toEqual([2_501]);
  });

  it('whose read fails ends the subscription with that error, in band', async () => {
    const setup = pagedHub({ wrap: (_inner, n) => (n === 2 ? Promise.reject(new Error('the engine went away')) : undefined) });
    setup.publish(2_500, 100);
    const events = setup.resume(0);
    expect(tradesOf((await events.next()).value)).toHaveLength(PAGE);
    const failed = await events.next();
    expect(failed.value).toBeInstanceOf(Error);
    expect((failed.value as Error).message).toBe('the engine went away');
    expect((await events.next()).done).toBe(true);
  });

  it('says a gap right after a full page once', async () => {
    const setup = pagedHub();
    setup.publish(PAGE, 100);
    setup.gap(5, 6);
    setup.publish(500, 100);
    const events = setup.resume(0);
    const values: unknown[] = [];
    while (values.flatMap(tradesOf).length < PAGE + 500) {
      const { value, done } = await events.next();
      if (done === true) throw new Error('the stream ended');
      values.push(value);
    }
    expect(values.map((v) => (v instanceof StreamInterruption ? 'gap' : tradesOf(v).length))).toEqual([PAGE, 'gap', 500]);
  });
});
