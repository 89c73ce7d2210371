/**
 * Private channels act for the account whose key the client presents: one
 * upstream connection per market and per credential, signed with that
 * credential (never the server's key), shared by that credential's
 * subscriptions and closed after the last; two accounts served at once each
 * see only their own balance, orders and positions, over graphql-ws and SSE.
 * Without credentials nothing goes upstream; a refused key fails fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT, type SimulatorRequestLog } from '../src/simulator/index.ts';
import {
  ALICE,
  BOB,
  credentialHeaders,
  credentialOf,
  disposeAll,
  postGraphQL,
  sleep,
  sse,
  startTestGateway,
  take,
  waitFor,
  wsClient,
  type TestGateway,
} from './helpers/gateway.ts';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ simulator: { accounts: [DEMO_ACCOUNT, ALICE, BOB] } });
});
afterAll(disposeAll);

const requests = (): readonly SimulatorRequestLog[] => gateway.simulator?.requests ?? [];
const connections = (market?: 'options' | 'futures') => gateway.simulator?.connectionCount(market) ?? 0;
const PRIVATE_TYPES = new Set(['accountBalance', 'order', 'position', 'fillSignal']);

const balance = { query: 'subscription { accountBalance { userId equity availableBalance } }' };
const positions = { query: 'subscription { futuresPositions { userId symbol quantity } }' };
const optionPositions = { query: 'subscription { optionPositions { userId symbol quantity } }' };
const orders = { query: 'subscription { futuresOrders { userId orderId symbol } }' };

/** A futures order frame of `userId` (dt 35: futures order updates). */
function orderFrame(userId: string, orderId: string): string {
  return `{"dt":35,"c":20,"d":{"oid":${orderId},"coid":"iso-1","uid":"${userId}","s":"BTCUSD","q":"0.5","pr":"26000","si":1,"ty":5,"tif":3,"os":-2,"ro":false,"le":"10","ct":1685096551000,"ts":1685096551612}}`;
}

describe('two accounts at once see only their own data', () => {
  it('over graphql-ws: balance, positions and orders', async () => {
    const alice = wsClient(gateway.wsUrl, credentialOf(ALICE));
    const bob = wsClient(gateway.wsUrl, credentialOf(BOB));
    const [aliceBalances, bobBalances, alicePositions, bobPositions, aliceOptionPositions, bobOptionPositions] = await Promise.all([
      take(alice, balance, 2),
      take(bob, balance, 2),
      take(alice, positions, 1),
      take(bob, positions, 1),
      take(alice, optionPositions, 1),
      take(bob, optionPositions, 1),
    ]);
    for (const r of aliceBalances) expect(r.data?.['accountBalance']).toMatchObject({ userId: ALICE.userId });
    for (const r of bobBalances) expect(r.data?.['accountBalance']).toMatchObject({ userId: BOB.userId });
    expect(aliceBalances).toHaveLength(2);
    expect(bobBalances).toHaveLength(2);
    expect(alicePositions[0]?.data?.['futuresPositions']).toMatchObject({ userId: ALICE.userId });
    expect(bobPositions[0]?.data?.['futuresPositions']).toMatchObject({ userId: BOB.userId });
    expect(aliceOptionPositions[0]?.data?.['optionPositions']).toMatchObject({ userId: ALICE.userId });
    expect(bobOptionPositions[0]?.data?.['optionPositions']).toMatchObject({ userId: BOB.userId });
  });

  it('over graphql-ws: an order pushed on one account never reaches the other', async () => {
    const alice = wsClient(gateway.wsUrl, credentialOf(ALICE));
    const bob = wsClient(gateway.wsUrl, credentialOf(BOB));
    // The simulator also makes orders of its own for each account: Alice's are all hers, the pushed one among them.
    const aliceOrders = take(alice, orders, 50, 4_000);
    const bobOrders = take(bob, orders, 50, 1_500);
    await waitFor(
      () => gateway.simulator?.activeSubscriptions().filter((s) => s.dataType === 'order' && s.market === 'futures').length === 2,
      'both accounts subscribed upstream',
    );
    gateway.simulator?.sendRaw('futures', orderFrame(ALICE.userId, '1663004711982333953'), ALICE.apiKey);
    const seenByAlice = await aliceOrders;
    for (const r of seenByAlice) expect(r.data?.['futuresOrders']).toMatchObject({ userId: ALICE.userId });
    expect(seenByAlice.map((r) => r.data?.['futuresOrders'])).toContainEqual(expect.objectContaining({ orderId: '1663004711982333953' }));
    const seenByBob = await bobOrders;
    for (const r of seenByBob) expect(r.data?.['futuresOrders']).toMatchObject({ userId: BOB.userId });
    expect(JSON.stringify(seenByBob)).not.toContain('1663004711982333953');
  });

  it('over SSE with the credential headers', async () => {
    const [aliceEvents, bobEvents, alicePositions, bobPositions] = await Promise.all([
      sse(gateway.url, balance, 2, credentialHeaders(ALICE)),
      sse(gateway.url, balance, 2, credentialHeaders(BOB)),
      sse(gateway.url, positions, 1, credentialHeaders(ALICE)),
      sse(gateway.url, positions, 1, credentialHeaders(BOB)),
    ]);
    expect(aliceEvents).toHaveLength(2);
    expect(bobEvents).toHaveLength(2);
    for (const e of aliceEvents) expect(e).toMatchObject({ data: { accountBalance: { userId: ALICE.userId } } });
    for (const e of bobEvents) expect(e).toMatchObject({ data: { accountBalance: { userId: BOB.userId } } });
    expect(alicePositions[0]).toMatchObject({ data: { futuresPositions: { userId: ALICE.userId } } });
    expect(bobPositions[0]).toMatchObject({ data: { futuresPositions: { userId: BOB.userId } } });
  });
});

describe('upstream connections per credential', () => {
  it('signs private subscriptions with the client key only, and public ones with the server key only', async () => {
    const alice = wsClient(gateway.wsUrl, credentialOf(ALICE));
    await Promise.all([
      take(alice, balance, 1),
      take(alice, { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' }, 1),
    ]);
    const subscribes = requests().filter((r) => r.action === 'subscribe');
    const privateKeys = new Set(subscribes.filter((r) => PRIVATE_TYPES.has(r.dataType ?? '')).map((r) => r.apiKey));
    const publicKeys = new Set(subscribes.filter((r) => !PRIVATE_TYPES.has(r.dataType ?? '')).map((r) => r.apiKey));
    expect(privateKeys.size).toBeGreaterThan(0);
    expect(privateKeys.has(DEMO_ACCOUNT.apiKey)).toBe(false);
    for (const key of privateKeys) expect([ALICE.apiKey, BOB.apiKey]).toContain(key);
    expect([...publicKeys]).toEqual([DEMO_ACCOUNT.apiKey]);
  });

  it('shares one connection per market and credential, and closes it after the last subscription', async () => {
    await waitFor(() => connections('options') === 1 && connections('futures') === 1, 'earlier private connections to close');
    const first = wsClient(gateway.wsUrl, credentialOf(ALICE));
    const second = wsClient(gateway.wsUrl, credentialOf(ALICE));
    // Each stream runs until its 1.5 s timeout.
    const streams = [
      take(first, balance, 1_000, 1_500),
      take(second, balance, 1_000, 1_500),
      take(second, optionPositions, 1_000, 1_500),
      take(first, orders, 1_000, 1_500),
    ];
    await waitFor(() => connections('options') === 2 && connections('futures') === 2, 'one private connection per market');
    await sleep(200);
    expect(connections('options')).toBe(2);
    expect(connections('futures')).toBe(2);
    const { body } = await postGraphQL(gateway.url, { query: '{ status { connections { access } privateTopics } }' });
    const status = (body['data'] as { status: { connections: Array<{ access: string }>; privateTopics: number } }).status;
    expect(status.connections.filter((c) => c.access === 'PRIVATE')).toHaveLength(2);
    expect(status.privateTopics).toBe(3);
    await Promise.all(streams);
    await waitFor(
      () => connections('options') === 1 && connections('futures') === 1,
      'the private connections to close after the last subscription',
    );
  });
});

describe('credential failures', () => {
  it('refuses a private field without credentials with UNAUTHENTICATED before anything goes upstream (graphql-ws, SSE, half a credential)', async () => {
    await waitFor(() => connections() === 2, 'only the public connections');
    const before = requests().length;
    const [ws] = await take(wsClient(gateway.wsUrl), balance, 1);
    const [half] = await take(wsClient(gateway.wsUrl, { apiKey: ALICE.apiKey }), orders, 1);
    const [overSse] = await sse(gateway.url, balance, 1);
    expect(ws?.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(half?.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(overSse).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(requests().length).toBe(before);
    expect(connections()).toBe(2);
  });

  it('refuses a malformed key (a character that cannot go into the signed URL) with UNAUTHENTICATED, before anything goes upstream', async () => {
    await waitFor(() => connections() === 2, 'only the public connections');
    const before = requests().length;
    const malformed = { apiKey: 'abc#def?x=1', apiSecret: 'whatever-secret' };
    const [ws] = await take(wsClient(gateway.wsUrl, malformed), balance, 1);
    expect(ws?.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(ws?.errors?.[0]?.message).toContain('API key is malformed');
    expect(JSON.stringify(ws)).not.toContain(malformed.apiSecret);
    const [spaced] = await take(wsClient(gateway.wsUrl, { apiKey: ALICE.apiKey, apiSecret: 'has a space' }), balance, 1);
    expect(spaced?.errors?.[0]?.message).toContain('API secret is malformed');
    expect(requests().length).toBe(before);
    expect(connections()).toBe(2);
  });

  it('reports a refused key as FORBIDDEN, names the key only masked, and does not retry per attempt', async () => {
    const refused = { apiKey: 'mallory+KEY/9999==', apiSecret: 'mallory-wrong-secret' };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(...(await take(wsClient(gateway.wsUrl, refused), balance, 1)));
    for (const r of results) {
      expect(r.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(r.errors?.[0]?.message).toContain('refused the API key mall…');
      expect(JSON.stringify(r)).not.toContain(refused.apiKey);
      expect(JSON.stringify(r)).not.toContain(refused.apiSecret);
    }
    const refusals = gateway.logs.lines.filter((l) => l.msg === 'upstream refused the credential');
    expect(refusals).toHaveLength(1);
    expect(connections()).toBe(2);
  });
});
