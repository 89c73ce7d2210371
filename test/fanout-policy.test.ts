/**
 * The shared path's slow-subscriber policy, on the fan-out itself: a member
 * whose socket is backed up skips state updates (and gets the next one once it
 * drains) but is closed with 1013 on an event stream, while every other member
 * keeps receiving. Sockets here are stand-ins whose buffered amount the test
 * sets: a real kernel buffer cannot be filled to a chosen size reliably.
 */
import { parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../src/lib/errors.ts';
import { createFanout, SLOW_SOCKET_EVENT_BYTES, SLOW_SOCKET_STATE_BYTES, STALE_RETRY_MS, type Delivery } from '../src/server/fanout.ts';

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
    send: (text: string) => s.sent.push(text),
    close: (code: number) => {
      s.closedWith = code;
    },
  };
  return Object.assign(s, { socket: socket as unknown as WebSocket });
}

/** A source of results the test pushes one by one. */
function source() {
  const waiting: Array<(r: IteratorResult<ExecutionResult>) => void> = [];
  const iterable: AsyncIterableIterator<ExecutionResult> = {
    next: () => new Promise((resolve) => waiting.push(resolve)),
    return: async () => ({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => iterable,
  };
  return { iterable, push: (n: number) => waiting.shift()?.({ value: { data: { n } }, done: false }) };
}

const args = { schema: undefined, document: parse('subscription { futuresOrderBook(symbol: "BTCUSD") { symbol } }') } as unknown as ExecutionArgs;
const tick = () => new Promise((r) => setImmediate(r));

async function group(delivery: Delivery) {
  const fanout = createFanout();
  const upstream = source();
  const fast = standIn();
  const slow = standIn();
  await fanout.subscribe(args, 'k', delivery, { id: 'a', socket: fast.socket }, () => upstream.iterable);
  await fanout.subscribe(args, 'k', delivery, { id: 'b', socket: slow.socket }, () => upstream.iterable);
  await tick();
  return { fanout, upstream, fast, slow };
}

describe('a backed-up subscriber', () => {
  it('gets the latest state once its socket drains, even when no newer update comes', async () => {
    const { upstream, fast, slow } = await group('state');
    slow.bufferedAmount = SLOW_SOCKET_STATE_BYTES + 1;
    upstream.push(1);
    await tick();
    upstream.push(2);
    await tick();
    expect(slow.sent).toEqual([]);
    slow.bufferedAmount = 0;
    await new Promise((r) => setTimeout(r, STALE_RETRY_MS * 3));
    expect(slow.sent.map((t) => JSON.parse(t).payload.data.n)).toEqual([2]);
    expect(fast.sent).toHaveLength(2);
  });

  it('skips state updates while its socket is backed up, then gets the latest, without slowing the others', async () => {
    const { fanout, upstream, fast, slow } = await group('state');
    slow.bufferedAmount = SLOW_SOCKET_STATE_BYTES + 1;
    upstream.push(1);
    await tick();
    upstream.push(2);
    await tick();
    slow.bufferedAmount = 0;
    upstream.push(3);
    await tick();
    expect(fast.sent.map((t) => JSON.parse(t).payload.data.n)).toEqual([1, 2, 3]);
    expect(slow.sent.map((t) => JSON.parse(t).payload.data.n)).toEqual([3]);
    expect(slow.closedWith).toBeUndefined();
    expect(fanout.stats().conflated).toBe(2);
  });

  it('is closed with 1013 on an event stream once its buffer passes the bound', async () => {
    const { fanout, upstream, fast, slow } = await group('event');
    upstream.push(1);
    await tick();
    slow.bufferedAmount = SLOW_SOCKET_EVENT_BYTES + 1;
    upstream.push(2);
    await tick();
    expect(slow.closedWith).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    expect(slow.sent).toHaveLength(1);
    expect(fast.sent).toHaveLength(2);
    expect(fanout.stats().tooSlow).toBe(1);
  });

  it('frames each member\'s message with its own id around one shared payload', async () => {
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
    const a = await fanout.subscribe(args, 'k', 'state', { id: 'a', socket: standIn().socket }, () => upstream.iterable);
    const b = await fanout.subscribe(args, 'k', 'state', { id: 'b', socket: standIn().socket }, () => upstream.iterable);
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
