/**
 * The shared path's slow-subscriber policy, on the fan-out itself: a member
 * whose socket is backed up skips state updates (and gets the latest once it
 * drains), gets queued trades merged into fewer, larger messages, and is
 * ended alone with an in-band SUBSCRIBER_TOO_SLOW only when it is too far
 * behind in time; one large message never ends it; errors keep their order
 * among the data; every other member keeps receiving. Sockets here are stand-ins whose buffered amount the test
 * sets: a real kernel buffer cannot be filled to a chosen size reliably.
 */
import { GraphQLError, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { Backlog, outgoing } from '../src/server/fanout/backlog.ts';
import { createFanout, SLOW_SOCKET_BYTES } from '../src/server/fanout/fanout.ts';
import type { Delivery } from '../src/server/fanout/fanout-types.ts';
import { wsMember } from '../src/server/graphql-ws/ws-sink.ts';

interface StandIn {
  readonly socket: WebSocket;
  readonly sent: string[];
  closedWith: number | undefined;
  bufferedAmount: number;
}

function standIn(): StandIn {
  const s: StandIn = {
    sent: [],
    closedWith: undefined,
    bufferedAmount: 0,
    socket: undefined as unknown as WebSocket,
  };
  const socket = {
    OPEN: 1,
    get readyState() {
      return s.closedWith === undefined ? 1 : 3;
    },
    get bufferedAmount() {
      return s.bufferedAmount;
    },
    // Live writes come as shared bytes sent as text frames, held ones as strings: the test reads both as text.
    send: (data: string | Buffer, options?: { binary?: boolean }) => {
      if (typeof data !== 'string' && options?.binary !== false) throw new Error('a binary frame');
      s.sent.push(String(data));
    },
    close: (code: number) => {
      s.closedWith = code;
    },
  };
  return Object.assign(s, { socket: socket as unknown as WebSocket });
}

/** A source of results the test pushes one by one, and ends. */
function source() {
  const waiting: Array<(r: IteratorResult<ExecutionResult>) => void> = [];
  const iterable: AsyncIterableIterator<ExecutionResult> = {
    next: () => new Promise((resolve) => waiting.push(resolve)),
    return: async () => ({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => iterable,
  };
  return {
    iterable,
    push: (n: number) => waiting.shift()?.({ value: { data: { n } }, done: false }),
    result: (result: ExecutionResult) => waiting.shift()?.({ value: result, done: false }),
    end: () => waiting.shift()?.({ value: undefined, done: true }),
  };
}

const args = {
  schema: undefined,
  document: parse('subscription { futuresOrderBook(symbol: "BTCUSD") { symbol } }'),
} as unknown as ExecutionArgs;
const tick = () => new Promise((r) => setImmediate(r));
const DRAIN_CHECK_MS = 5;
const MAX_BEHIND_MS = 10_000;

async function group(delivery: Delivery) {
  const clock = { now: 1_000_000 };
  const fanout = createFanout({ maxBehindMs: MAX_BEHIND_MS, now: () => clock.now, drainCheckMs: DRAIN_CHECK_MS });
  const upstream = source();
  const fast = standIn();
  const slow = standIn();
  await fanout.subscribe(args, 'k', delivery, wsMember('a', fast.socket), () => upstream.iterable);
  const slowStream = await fanout.subscribe(args, 'k', delivery, wsMember('b', slow.socket), () => upstream.iterable);
  await tick();
  if (!(Symbol.asyncIterator in slowStream)) throw new Error('expected a stream');
  // What graphql-ws does with the member's stream: `complete` once it ends.
  let completed = false;
  void (async () => {
    for await (const _ of slowStream) void _;
    completed = true;
  })();
  return { fanout, upstream, fast, slow, clock, isCompleted: () => completed };
}

const payloads = (sent: string[]) => sent.map((t) => JSON.parse(t).payload);
const trades = (...ids: string[]): ExecutionResult => ({ data: { futuresTrades: ids.map((id) => ({ id })) } });
const waitUntil = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, DRAIN_CHECK_MS));
};

describe('a backed-up state subscriber', () => {
  it('gets the latest state once its socket drains, even when no newer update comes', async () => {
    const { upstream, fast, slow } = await group('state');
    slow.bufferedAmount = SLOW_SOCKET_BYTES + 1;
    upstream.push(1);
    await tick();
    upstream.push(2);
    await tick();
    expect(slow.sent).toEqual([]);
    slow.bufferedAmount = 0;
    await waitUntil(() => slow.sent.length > 0);
    expect(payloads(slow.sent)).toEqual([{ data: { n: 2 } }]);
    expect(fast.sent).toHaveLength(2);
  });

  it('skips state updates while backed up without slowing the others, and is never ended for it', async () => {
    const { fanout, upstream, fast, slow, clock, isCompleted } = await group('state');
    slow.bufferedAmount = SLOW_SOCKET_BYTES + 1;
    for (let n = 1; n <= 3; n++) {
      upstream.push(n);
      await tick();
    }
    clock.now += MAX_BEHIND_MS * 10;
    await new Promise((r) => setTimeout(r, DRAIN_CHECK_MS * 3));
    slow.bufferedAmount = 0;
    await waitUntil(() => slow.sent.length > 0);
    expect(payloads(fast.sent).map((p) => p.data.n)).toEqual([1, 2, 3]);
    expect(payloads(slow.sent).map((p) => p.data.n)).toEqual([3]);
    expect([slow.closedWith, isCompleted()]).toEqual([undefined, false]);
    expect(fanout.stats()).toMatchObject({ conflated: 2, tooSlow: 0 });
  });
});

describe('a backed-up event subscriber', () => {
  it('gets its queued trades merged into one larger message, newest first, once its socket drains', async () => {
    const { fanout, upstream, fast, slow } = await group('event');
    slow.bufferedAmount = SLOW_SOCKET_BYTES + 1;
    upstream.result(trades('2', '1'));
    await tick();
    upstream.result(trades('3'));
    await tick();
    upstream.result(trades('5', '4'));
    await tick();
    expect(slow.sent).toEqual([]);
    slow.bufferedAmount = 0;
    await waitUntil(() => slow.sent.length > 0);
    expect(payloads(slow.sent)).toEqual([trades('5', '4', '3', '2', '1')]);
    expect(payloads(fast.sent)).toEqual([trades('2', '1'), trades('3'), trades('5', '4')]);
    expect(slow.closedWith).toBeUndefined();
    expect(fanout.stats().merged).toBe(2);
  });

  it('keeps every other event, in order, while backed up', async () => {
    const { upstream, slow } = await group('event');
    slow.bufferedAmount = SLOW_SOCKET_BYTES + 1;
    for (let n = 1; n <= 3; n++) {
      upstream.push(n);
      await tick();
    }
    slow.bufferedAmount = 0;
    await waitUntil(() => slow.sent.length === 3);
    expect(payloads(slow.sent).map((p) => p.data.n)).toEqual([1, 2, 3]);
  });

  it('is ended alone with an in-band SUBSCRIBER_TOO_SLOW error once it is too far behind in time, its socket kept open', async () => {
    const { fanout, upstream, fast, slow, clock, isCompleted } = await group('event');
    upstream.push(1);
    await tick();
    slow.bufferedAmount = SLOW_SOCKET_BYTES + 1;
    upstream.push(2);
    await tick();
    clock.now += MAX_BEHIND_MS + 1;
    await waitUntil(isCompleted);
    expect(isCompleted()).toBe(true);
    expect(slow.closedWith).toBeUndefined();
    const last = JSON.parse(slow.sent.at(-1) ?? '{}');
    expect(last).toMatchObject({ id: 'b', type: 'next', payload: { errors: [{ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } }] } });
    upstream.push(3);
    await tick();
    expect(payloads(fast.sent).map((p) => p.data.n)).toEqual([1, 2, 3]);
    expect(fanout.stats()).toMatchObject({ tooSlow: 1, members: 1 });
  });

  it('is not ended for one large message that its socket then drains', async () => {
    const { upstream, slow, isCompleted } = await group('event');
    upstream.result(trades('big'));
    await tick();
    // The large message was written whole; the socket now holds megabytes it will drain.
    slow.bufferedAmount = 10 * 1024 * 1024;
    upstream.result(trades('next'));
    await tick();
    slow.bufferedAmount = 0;
    await waitUntil(() => slow.sent.length === 2);
    expect(payloads(slow.sent)).toEqual([trades('big'), trades('next')]);
    expect([slow.closedWith, isCompleted()]).toEqual([undefined, false]);
  });
});

describe('order on the shared path', () => {
  it('writes results with errors on the same path as data, so an in-band error is never reordered', async () => {
    const { upstream, slow, isCompleted } = await group('event');
    slow.bufferedAmount = SLOW_SOCKET_BYTES + 1;
    upstream.result(trades('1'));
    await tick();
    upstream.result({ errors: [new GraphQLError('stream interrupted', { extensions: { code: 'STREAM_INTERRUPTED' } })] });
    await tick();
    upstream.result(trades('2'));
    await tick();
    upstream.end();
    await tick();
    // The member has not completed: its messages are still held.
    expect(isCompleted()).toBe(false);
    slow.bufferedAmount = 0;
    await waitUntil(isCompleted);
    expect(payloads(slow.sent)).toEqual([
      trades('1'),
      { errors: [{ message: 'stream interrupted', extensions: { code: 'STREAM_INTERRUPTED' } }] },
      trades('2'),
    ]);
    expect(isCompleted()).toBe(true);
  });

  it("frames each member's message with its own id around one shared payload", async () => {
    const { upstream, fast, slow } = await group('state');
    upstream.push(7);
    await tick();
    expect(fast.sent[0]).toBe('{"id":"a","type":"next","payload":{"data":{"n":7}}}');
    expect(slow.sent[0]).toBe('{"id":"b","type":"next","payload":{"data":{"n":7}}}');
  });
});

describe('draining at shutdown', () => {
  /** Ends one member's subscription, as graphql-ws does on `complete`. */
  const leave = async (result: ExecutionResult | AsyncIterable<ExecutionResult>) => {
    if (Symbol.asyncIterator in result) await result[Symbol.asyncIterator]().return?.();
  };

  it('resolves drained() once the last member has left, and at once when there is none', async () => {
    const fanout = createFanout();
    await fanout.drained();
    const upstream = source();
    const a = await fanout.subscribe(args, 'k', 'state', wsMember('a', standIn().socket), () => upstream.iterable);
    const b = await fanout.subscribe(args, 'k', 'state', wsMember('b', standIn().socket), () => upstream.iterable);
    let drained = false;
    void fanout.drained().then(() => {
      drained = true;
    });
    await leave(a);
    await tick();
    expect([drained, fanout.stats().members]).toEqual([false, 1]);
    await leave(b);
    await tick();
    expect([drained, fanout.stats().members]).toEqual([true, 0]);
  });
});

describe('a held message\u2019s frame time (delivery latency)', () => {
  const list = (field: string, items: number[], frameTs: number) => outgoing({ data: { [field]: items.map((n) => ({ n })) } }, frameTs);

  it('is the latest update\u2019s for conflated state, and the oldest list\u2019s for merged lists', () => {
    const state = new Backlog();
    state.add(outgoing({ data: { book: { n: 1 } } }, 100), true, 0);
    state.add(outgoing({ data: { book: { n: 2 } } }, 200), true, 1);
    expect(state.shift()?.frameTs).toBe(200);

    const trades = new Backlog();
    trades.add(list('trades', [1], 100), false, 0);
    trades.add(list('trades', [2], 200), false, 1);
    expect(trades.shift()).toEqual({ payload: '{"data":{"trades":[{"n":2},{"n":1}]}}', frameTs: 100 });
  });
});
