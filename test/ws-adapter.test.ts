/**
 * The graphql-ws adapter's own rules, without sockets: a reused operation id
 * waits for its previous operation to end (a `complete` meanwhile cancels it,
 * a second waiting `subscribe` is a duplicate, a closed socket drops it), and
 * only the upgrade headers that outlive the handshake are kept.
 */
import { describe, expect, it } from 'vitest';
import { IdOrdering, peekMessage } from '../src/server/graphql-ws/id-ordering.ts';
import { keptHeaders } from '../src/server/graphql-ws/ws-adapter.ts';

/** A stand-in for graphql-ws's handler: each `subscribe` runs until the test ends it. */
function harness() {
  const handled: string[] = [];
  const running = new Map<string, () => void>();
  /** The number of operations running, as the ordering reports it after each change. */
  const counts: number[] = [];
  let open = true;
  const ordering = new IdOrdering(
    (text) => {
      handled.push(text);
      const message = JSON.parse(text) as { type: string; id?: string };
      if (message.type !== 'subscribe' || message.id === undefined) return Promise.resolve();
      return new Promise<void>((resolve) => running.set(message.id as string, resolve));
    },
    { isOpen: () => open, failed: () => undefined, running: (n) => counts.push(n) },
  );
  const send = (message: object) => {
    const text = JSON.stringify(message);
    return ordering.dispatch(text, peekMessage(text));
  };
  /** Ends the running operation of `id` (as graphql-ws's handler does after `complete`). */
  const end = async (id: string) => {
    running.get(id)?.();
    running.delete(id);
    await new Promise((r) => setImmediate(r));
  };
  return { handled, counts, send, end, close: () => (open = false) };
}

const subscribe = (id: string, n: number) => ({ type: 'subscribe', id, payload: { query: `subscription { n${n} }` } });

describe('IdOrdering', () => {
  it('starts a subscribe that reuses a completed id only after the previous operation has ended', async () => {
    const h = harness();
    h.send(subscribe('1', 1));
    h.send({ type: 'complete', id: '1' });
    h.send(subscribe('1', 2));
    expect(h.handled.map((t) => JSON.parse(t).type)).toEqual(['subscribe', 'complete']);
    await h.end('1');
    expect(h.handled.at(-1)).toContain('n2');
  });

  it('drops a waiting subscribe that the client completes before its turn', async () => {
    const h = harness();
    h.send(subscribe('1', 1));
    h.send({ type: 'complete', id: '1' });
    h.send(subscribe('1', 2));
    h.send({ type: 'complete', id: '1' });
    await h.end('1');
    expect(h.handled.some((t) => t.includes('n2'))).toBe(false);
  });

  it('reports a second waiting subscribe for the same id as a duplicate', () => {
    const h = harness();
    h.send(subscribe('1', 1));
    h.send({ type: 'complete', id: '1' });
    expect(h.send(subscribe('1', 2))).toBe('handled');
    expect(h.send(subscribe('1', 3))).toBe('duplicate');
  });

  it('hands a subscribe for a live id to graphql-ws at once (which closes with 4409)', () => {
    const h = harness();
    h.send(subscribe('1', 1));
    expect(h.send(subscribe('1', 2))).toBe('handled');
    expect(h.handled.filter((t) => t.includes('"subscribe"'))).toHaveLength(2);
  });

  it('drops a waiting subscribe when the socket has closed by its turn', async () => {
    const h = harness();
    h.send(subscribe('1', 1));
    h.send({ type: 'complete', id: '1' });
    h.send(subscribe('1', 2));
    h.close();
    await h.end('1');
    expect(h.handled.some((t) => t.includes('n2'))).toBe(false);
  });

  it('keeps each id of a socket in order on its own, and counts the operations running', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.send(subscribe(id, 1));
    expect(h.counts).toEqual([1, 2, 3]);
    // The first id ends and is reused: nothing to wait for.
    await h.end('a');
    h.send(subscribe('a', 2));
    expect(h.handled.at(-1)).toContain('"a"');
    // "b" is completed and reused at once: its new subscribe waits for the old one to end.
    h.send({ type: 'complete', id: 'b' });
    h.send(subscribe('b', 2));
    const secondB = () => h.handled.filter((t) => t.includes('"b"') && t.includes('n2'));
    expect(secondB()).toEqual([]);
    await h.end('b');
    expect(secondB()).toHaveLength(1);
    for (const id of ['a', 'c', 'b']) await h.end(id);
    expect(h.counts.at(-1)).toBe(0);
  });

  it('passes every other message through at once, in order, garbage included', () => {
    const seen: string[] = [];
    const ordering = new IdOrdering(async (text) => void seen.push(text), { isOpen: () => true, failed: () => undefined });
    const texts = ['{"type":"connection_init"}', '{"type":"ping"}', 'not json', '[1]', '{"type":"subscribe","id":5}'];
    for (const text of texts) ordering.dispatch(text, peekMessage(text));
    expect(seen).toEqual(texts);
  });

  it("reports a failure of graphql-ws's handler to the socket, not to the process", async () => {
    const failures: unknown[] = [];
    const ordering = new IdOrdering(() => Promise.reject(new Error('boom')), { isOpen: () => true, failed: (e) => failures.push(e) });
    const text = JSON.stringify(subscribe('1', 1));
    ordering.dispatch(text, peekMessage(text));
    await new Promise((r) => setImmediate(r));
    expect(failures).toEqual([new Error('boom')]);
  });
});

describe('keptHeaders', () => {
  it('keeps what plugins may read and drops the rest: the handshake’s own headers, cookies, languages', () => {
    const kept = keptHeaders({
      host: 'gw.example',
      origin: 'https://app.example',
      authorization: 'Bearer x',
      cookie: `session=${'c'.repeat(2_000)}`,
      'accept-language': 'en-GB,en;q=0.9',
      'cache-control': 'no-cache',
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'abc==',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'graphql-transport-ws',
      'sec-websocket-extensions': 'permessage-deflate',
    });
    expect(kept).toEqual({ host: 'gw.example', origin: 'https://app.example', authorization: 'Bearer x' });
  });
});
