/**
 * Per-key limits over all of a key's connections (graphql-ws sockets, SSE
 * and multipart streams): maxConnections, maxSubscriptions and the key's
 * share of new upstream topics per second, each `LIMIT_EXCEEDED` naming the
 * key id and never the key. The keys file changing under a running gateway:
 * a removed key ends its connections (4403 "key revoked"; streams in band,
 * see access-stream-end) within 5 s, a broken file keeps the keys in force
 * and says so; SIGHUP's reload (App.reloadAccess) applies at once.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { bearer, keysFileText, keysGateway, post, subscriptionBeyondTwo, writeKeysFile } from './helpers/access.ts';
import { disposeAll, startTestGateway, waitFor, wsClient } from './helpers/gateway.ts';
import { closeRawClients, closedWithin, RawClient, type Message } from './helpers/graphql-ws-raw.ts';
import { MULTIPART_ACCEPT, openHttpStream, SSE_ACCEPT } from './helpers/http-stream.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const KEY_A = 'kl_partner_a_0123456789abcdefghijk';
const KEY_B = 'kl_partner_b_0123456789abcdefghijk';
const PRICE = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';
const PERIODS = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1', 'QUARTER'];
/** A new upstream topic each: a kline of its own symbol and period. */
const klineTopic = (i: number) =>
  `subscription { futuresKline(symbol: "${i < PERIODS.length ? 'BTCUSD' : 'ETHUSD'}", period: ${PERIODS[i % PERIODS.length]}) { close } }`;

afterEach(async () => {
  await closeRawClients();
  await disposeAll();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('maxConnections of a key', () => {
  it('closes a socket beyond it with 1013 naming the key id, and counts SSE streams too', async () => {
    const { gateway } = await keysGateway([
      { id: 'partner-a', key: KEY_A, maxConnections: 2 },
      { id: 'partner-b', key: KEY_B },
    ]);
    const first = await RawClient.ready(gateway.wsUrl, auth(KEY_A));
    const stream = await openHttpStream(gateway.url, SSE_ACCEPT, { query: PRICE }, bearer(KEY_A));
    await waitFor(() => stream.text().includes('event: next'), 'the SSE stream');
    const third = await RawClient.connect(gateway.wsUrl);
    third.send({ type: 'connection_init', payload: auth(KEY_A) });
    const closed = await closedWithin(third);
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/^Too many connections for key partner-a: its limit is 2 \(maxConnections\)/);
    expect(closed.reason).not.toContain(KEY_A);
    // Another key is not affected.
    await RawClient.ready(gateway.wsUrl, auth(KEY_B));
    expect(first.isOpen).toBe(true);
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_client_connections', { client: 'partner-a' })).toBe(2);
    expect(sumOf(samples, 'coincall_gateway_client_connections', { client: 'partner-b' })).toBe(1);
    stream.close();
  });
});

describe('maxConnections of a key over HTTP streams', () => {
  it('refuses an SSE or multipart stream beyond it in band with LIMIT_EXCEEDED naming the key id', async () => {
    const { gateway } = await keysGateway([{ id: 'partner-a', key: KEY_A, maxConnections: 1 }]);
    const open = await openHttpStream(gateway.url, SSE_ACCEPT, { query: PRICE }, bearer(KEY_A));
    await waitFor(() => open.text().includes('event: next'), 'the SSE stream');
    const expected = {
      message: 'Too many connections for key partner-a: its limit is 1 (maxConnections). Close one before opening another.',
      extensions: { code: 'LIMIT_EXCEEDED' },
    };
    for (const accept of [SSE_ACCEPT, MULTIPART_ACCEPT]) {
      const refused = await openHttpStream(gateway.url, accept, { query: PRICE }, bearer(KEY_A));
      await waitFor(() => refused.ended(), `the refused ${accept} answer`);
      expect(refused.text()).toContain(JSON.stringify(expected));
      expect(refused.text()).not.toContain(KEY_A);
    }
    open.close();
  });
});

describe('maxSubscriptions of a key', () => {
  it('refuses a subscription beyond it, over all its sockets, in band and naming the key id', async () => {
    const { gateway } = await keysGateway([{ id: 'partner-a', key: KEY_A, maxSubscriptions: 2 }]);
    const { one, two, refused } = await subscriptionBeyondTwo(gateway.wsUrl, auth(KEY_A));
    expect(refused.payload).toEqual([
      {
        message: 'Too many subscriptions for key partner-a: its limit is 2 (maxSubscriptions). Complete one before starting another.',
        extensions: { code: 'LIMIT_EXCEEDED' },
      },
    ]);
    // Completing one makes room again.
    one.send({ id: '1', type: 'complete' });
    const from = two.messages.length;
    const retry = async (): Promise<boolean> => {
      two.subscribe('4', PRICE);
      const answer = await two.waitFor((m) => m.id === '4' && (m.type === 'next' || m.type === 'error'), from);
      return answer.type === 'next';
    };
    await expect.poll(retry, { timeout: 5_000, interval: 100 }).toBe(true);
  });
});

describe("a key's share of new upstream topics per second", () => {
  it('refuses key A over its share (over all its sockets) naming A, while key B opens a new topic in the same second', async () => {
    const keysFile = writeKeysFile([
      { id: 'partner-a', key: KEY_A },
      { id: 'partner-b', key: KEY_B },
    ]);
    // One new topic a second, five back to back: a key's share, whatever its connections.
    const limits = { ...DEFAULT_LIMITS, maxNewTopicsPerSecondPerClient: 1 };
    const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile }, limits } });
    const sockets = [await RawClient.ready(gateway.wsUrl, auth(KEY_A)), await RawClient.ready(gateway.wsUrl, auth(KEY_A))];
    const other = await RawClient.ready(gateway.wsUrl, auth(KEY_B));
    // Twelve new topics at once: more than the burst of five even if they took seven seconds to arrive.
    for (let i = 0; i < 12; i++) sockets[i % 2]?.subscribe(`a${i}`, klineTopic(i));
    // The refusal comes as an `error` message or a `next` with errors, whichever way the execution answered.
    const errorsOf = (m: Message): unknown =>
      m.type === 'error' ? m.payload : m.type === 'next' ? (m.payload as { errors?: unknown } | undefined)?.errors : undefined;
    const refusalOf = () => sockets.flatMap((socket) => socket.messages).find((m) => errorsOf(m) !== undefined);
    await waitFor(() => refusalOf() !== undefined, 'a refusal of key A');
    const refusal = refusalOf();
    other.subscribe('b', 'subscription { futuresKline(symbol: "ETHUSD", period: QUARTER) { close } }');
    const admitted = await other.waitFor((m) => m.id === 'b' && (m.type === 'next' || m.type === 'error'));
    expect(refusal === undefined ? undefined : errorsOf(refusal)).toMatchObject([
      {
        message:
          "Key partner-a opens new upstream subscriptions faster than its share of 1 per second (MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT, counted over all of the key's connections); wait a moment before subscribing to more.",
        extensions: { code: 'LIMIT_EXCEEDED' },
      },
    ]);
    expect(JSON.stringify(refusal)).not.toContain(KEY_A);
    expect(admitted.type).toBe('next');
    expect(errorsOf(admitted)).toBeUndefined();
    for (const socket of sockets) expect(socket.isOpen).toBe(true);
  });
});

describe('the keys file changing', () => {
  it('ends the sockets and streams of a removed key within 5 s with 4403 "key revoked"', async () => {
    const { gateway, keysFile } = await keysGateway([
      { id: 'partner-a', key: KEY_A },
      { id: 'partner-b', key: KEY_B },
    ]);
    const revoked = await RawClient.ready(gateway.wsUrl, auth(KEY_A));
    const kept = await RawClient.ready(gateway.wsUrl, auth(KEY_B));
    const stream = await openHttpStream(gateway.url, SSE_ACCEPT, { query: PRICE }, bearer(KEY_A));
    await waitFor(() => stream.text().includes('event: next'), 'the SSE stream');
    const started = Date.now();
    writeFileSync(keysFile, keysFileText([{ id: 'partner-b', key: KEY_B }]));
    const closed = await closedWithin(revoked, 5_000);
    expect(closed).toEqual({ code: 4403, reason: 'key revoked' });
    expect(Date.now() - started).toBeLessThan(5_000);
    // The stream has ended (in band: access-stream-end): it no longer counts as a connection of the key.
    const connectionsOfA = async () =>
      sumOf((await scrapeMetrics(gateway.port)).samples, 'coincall_gateway_client_connections', { client: 'partner-a' });
    await expect.poll(connectionsOfA, { timeout: 5_000 - (Date.now() - started), interval: 50 }).toBe(0);
    expect(kept.isOpen).toBe(true);
    expect((await post(gateway.url, { query: '{ status { mode } }' }, bearer(KEY_A))).status).toBe(401);
    stream.close();
  });

  it('keeps the keys in force when the file breaks, and says so in the log and the metrics', async () => {
    const { gateway, keysFile } = await keysGateway([{ id: 'partner-a', key: KEY_A }]);
    writeFileSync(keysFile, '{"keys": [ oops');
    gateway.reloadAccess();
    expect(gateway.logs.text()).toMatch(/the keys file is broken; the keys read before stay in force/);
    expect((await post(gateway.url, { query: '{ status { mode } }' }, bearer(KEY_A))).status).toBe(200);
    const { samples } = await scrapeMetrics(gateway.port);
    expect(sumOf(samples, 'coincall_gateway_auth_keys_file_valid')).toBe(0);
  });

  it('takes a new key at once on reload (SIGHUP)', async () => {
    const { gateway, keysFile } = await keysGateway([{ id: 'partner-a', key: KEY_A }]);
    expect((await post(gateway.url, { query: '{ status { mode } }' }, bearer(KEY_B))).status).toBe(401);
    writeFileSync(
      keysFile,
      keysFileText([
        { id: 'partner-a', key: KEY_A },
        { id: 'partner-b', key: KEY_B },
      ]),
    );
    gateway.reloadAccess();
    expect((await post(gateway.url, { query: '{ status { mode } }' }, bearer(KEY_B))).status).toBe(200);
    const client = wsClient(gateway.wsUrl, auth(KEY_B));
    await new Promise<void>((resolve) =>
      client.subscribe({ query: PRICE }, { next: () => resolve(), error: () => undefined, complete: () => undefined }),
    );
  });
});
