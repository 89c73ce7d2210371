/**
 * A key narrowed in the keys file under a running gateway: one that loses a
 * scope, or whose limits drop below what its connections use, ends its open
 * connections as a revoked key does, with the reason "key changed:
 * reconnect" (graphql-ws: 4403; SSE and multipart: in band, a last
 * `UNAUTHENTICATED` event); they reconnect under the new entry, where a
 * private subscription is `FORBIDDEN`. A key that only gained, or another
 * key, goes on; a lowered limit its use stays within applies to the next
 * subscribe on a socket already open.
 */
import { writeFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_CHANGED } from '../src/server/access/access-control.ts';
import { KEY_CHANGED_MESSAGE } from '../src/server/access/stream-ending.ts';
import { bearer, keysFileText, keysGateway, type TestKey } from './helpers/access.ts';
import { DEMO_CREDENTIAL, disposeAll, onDispose, waitFor } from './helpers/gateway.ts';
import { closeRawClients, closedWithin, RawClient } from './helpers/graphql-ws-raw.ts';
import { openHttpStream, SSE_ACCEPT, sseEvents } from './helpers/http-stream.ts';

const KEY_A = 'kn_partner_a_0123456789abcdefghijk';
const KEY_B = 'kn_partner_b_0123456789abcdefghijk';
const PRICE = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';
const KLINE = 'subscription { futuresKline(symbol: "BTCUSD", period: M1) { close } }';
const BALANCE = 'subscription { accountBalance { userId } }';
/** A narrowed key's connections end within this (the bound for a revoked key). */
const END_WITHIN_MS = 5_000;

const FULL: readonly TestKey[] = [
  { id: 'partner-a', key: KEY_A, scopes: ['public', 'private'] },
  { id: 'partner-b', key: KEY_B, scopes: ['public', 'private'] },
];
const A_PUBLIC_ONLY: readonly TestKey[] = [{ id: 'partner-a', key: KEY_A, scopes: ['public'] }, FULL[1] as TestKey];

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

const params = (key: string) => ({ authorization: `Bearer ${key}`, ...DEMO_CREDENTIAL });

/** A socket of `key` with a running subscription of each query, each past its first `next`. */
async function running(url: string, key: string, queries: readonly string[]): Promise<RawClient> {
  const client = await RawClient.ready(url, params(key));
  for (const [i, query] of queries.entries()) client.subscribe(`s${i}`, query);
  for (const i of queries.keys()) await client.waitFor((m) => m.id === `s${i}` && m.type === 'next');
  return client;
}

/** Whether a socket still answers: a new subscription's first `next` arrives (a close sent before it would come first). */
async function stillServes(client: RawClient, id: string): Promise<void> {
  client.subscribe(id, PRICE);
  await client.waitFor((m) => m.id === id && m.type === 'next');
  expect(client.isOpen).toBe(true);
}

describe('a key that loses a scope in the keys file', () => {
  it('ends its open sockets with 4403 "key changed: reconnect"; a new one is FORBIDDEN the private field', async () => {
    const { gateway, keysFile } = await keysGateway(FULL);
    const narrowed = await running(gateway.wsUrl, KEY_A, [BALANCE, PRICE]);
    const other = await running(gateway.wsUrl, KEY_B, [BALANCE]);
    const started = Date.now();
    writeFileSync(keysFile, keysFileText(A_PUBLIC_ONLY));
    expect(await closedWithin(narrowed, END_WITHIN_MS)).toEqual({ code: 4403, reason: KEY_CHANGED });
    expect(Date.now() - started).toBeLessThan(END_WITHIN_MS);
    await stillServes(other, 'b2');

    const again = await RawClient.ready(gateway.wsUrl, params(KEY_A));
    again.subscribe('balance', BALANCE);
    const refused = await again.waitFor((m) => m.id === 'balance' && m.type === 'error');
    expect(refused.payload).toEqual([
      { message: 'accountBalance needs the "private" scope, which key partner-a does not have.', extensions: { code: 'FORBIDDEN' } },
    ]);
    await stillServes(again, 'price');
    expect(gateway.logs.lines).toContainEqual(
      expect.objectContaining({ level: 'info', obj: expect.objectContaining({ connections: 1, clients: ['partner-a'] }) as unknown }),
    );
  });

  it('ends a socket that used a scope granted after it connected, once that scope is taken back', async () => {
    const { gateway, keysFile } = await keysGateway(A_PUBLIC_ONLY);
    const socket = await running(gateway.wsUrl, KEY_A, [PRICE]);
    // Granted while the socket is open: its next subscribe may use it.
    writeFileSync(keysFile, keysFileText(FULL));
    gateway.reloadAccess();
    socket.subscribe('balance', BALANCE);
    await socket.waitFor((m) => m.id === 'balance' && m.type === 'next');
    // Taken back: the socket holds a private subscription it may no longer have.
    writeFileSync(keysFile, keysFileText(A_PUBLIC_ONLY));
    gateway.reloadAccess();
    expect(await closedWithin(socket, END_WITHIN_MS)).toEqual({ code: 4403, reason: KEY_CHANGED });
  });

  it("ends a graphql-ws client's private subscription with FORBIDDEN once it reconnects under the new scopes", async () => {
    const { gateway, keysFile } = await keysGateway(FULL);
    const closes: number[] = [];
    const client = createClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: params(KEY_A),
      retryAttempts: 3,
      retryWait: () => Promise.resolve(),
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    onDispose(() => client.dispose());
    let nexts = 0;
    const ended = new Promise<unknown>((resolve) =>
      client.subscribe({ query: BALANCE }, { next: () => void nexts++, error: resolve, complete: () => resolve('complete') }),
    );
    await waitFor(() => nexts > 0, 'the private subscription');
    writeFileSync(keysFile, keysFileText(A_PUBLIC_ONLY));
    expect(await ended).toEqual([
      { message: 'accountBalance needs the "private" scope, which key partner-a does not have.', extensions: { code: 'FORBIDDEN' } },
    ]);
    expect(closes).toContain(4403);
  });

  it('ends its SSE stream in band with UNAUTHENTICATED saying the key changed', async () => {
    const { gateway, keysFile } = await keysGateway(FULL);
    const stream = await openHttpStream(gateway.url, SSE_ACCEPT, { query: PRICE }, bearer(KEY_A));
    await waitFor(() => sseEvents(stream.text()).some((e) => e.event === 'next'), 'the SSE stream');
    writeFileSync(keysFile, keysFileText(A_PUBLIC_ONLY));
    await waitFor(() => stream.ended(), 'the SSE stream to end', END_WITHIN_MS);
    const events = sseEvents(stream.text());
    expect(events.at(-1)).toEqual({ event: 'complete', data: '' });
    expect(JSON.parse(events.at(-2)?.data ?? 'null')).toEqual({
      errors: [{ message: KEY_CHANGED_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('leaves the sockets of a key that only gained a scope open', async () => {
    const { gateway, keysFile } = await keysGateway([{ id: 'partner-a', key: KEY_A, scopes: ['public'] }]);
    const client = await running(gateway.wsUrl, KEY_A, [PRICE]);
    writeFileSync(keysFile, keysFileText([{ id: 'partner-a', key: KEY_A, scopes: ['public', 'private'] }]));
    gateway.reloadAccess();
    await stillServes(client, 'after');
  });
});

describe("a key's limits lowered in the keys file", () => {
  it('ends its sockets with 4403 "key changed: reconnect" when its use is above the new limit', async () => {
    const { gateway, keysFile } = await keysGateway([{ id: 'partner-a', key: KEY_A, maxConnections: 3 }]);
    const sockets = [await running(gateway.wsUrl, KEY_A, [PRICE]), await running(gateway.wsUrl, KEY_A, [KLINE])];
    writeFileSync(keysFile, keysFileText([{ id: 'partner-a', key: KEY_A, maxConnections: 1 }]));
    gateway.reloadAccess();
    for (const socket of sockets) expect(await closedWithin(socket, END_WITHIN_MS)).toEqual({ code: 4403, reason: KEY_CHANGED });
    await RawClient.ready(gateway.wsUrl, params(KEY_A));
    const beyond = await RawClient.connect(gateway.wsUrl);
    beyond.send({ type: 'connection_init', payload: params(KEY_A) });
    expect((await closedWithin(beyond)).code).toBe(1013);
  });

  it('keeps a socket within the new limit open, and applies the limit to its next subscribe', async () => {
    const { gateway, keysFile } = await keysGateway([{ id: 'partner-a', key: KEY_A, maxSubscriptions: 5 }]);
    const client = await running(gateway.wsUrl, KEY_A, [PRICE]);
    writeFileSync(keysFile, keysFileText([{ id: 'partner-a', key: KEY_A, maxSubscriptions: 1 }]));
    gateway.reloadAccess();
    client.subscribe('second', KLINE);
    const refused = await client.waitFor((m) => m.id === 'second' && m.type === 'error');
    expect(JSON.stringify(refused.payload)).toContain('its limit is 1 (maxSubscriptions)');
    expect(client.isOpen).toBe(true);
  });
});
