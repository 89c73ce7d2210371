/**
 * The attacks of issue 10 on upstream fairness, through the whole gateway
 * and real sockets on loopback (a second client address, 127.0.0.2, via
 * `localAddress`):
 *
 * - a topic flood (20 sockets × 100 new topics on the futures connection)
 *   does not hold back another client's first event, nor does it after the
 *   attackers leave (their waiting subscribes are cancelled, not sent);
 * - a socket opening new topics faster than its budget is refused with
 *   LIMIT_EXCEEDED naming MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT;
 * - invented keys sprayed from one address neither lock out a real account
 *   from another nor cost the exchange more than that address's budget.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_SETTINGS } from '../src/lib/limits.ts';
import { REQUEST_BUDGET_PER_SECOND } from '../src/sources/coincall/pacer.ts';
import { SERVER_KEY, startFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';
import { startGatewayOn } from './helpers/gateway-on-fake.ts';
import { bookFrame } from './helpers/book-frame.ts';
import { DEMO_CREDENTIAL, disposeAll, onDispose, postGraphQL, startTestGateway, take, waitFor, wsClient } from './helpers/gateway.ts';

afterEach(disposeAll);

const ATTACKERS = 20;
const TOPICS_PER_ATTACKER = 100;
const PERIODS = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1', 'QUARTER'];
const FIRST_EVENT_WITHIN_MS = 3_000;
const noop = { next: () => undefined, error: () => undefined, complete: () => undefined };

/** A graphql-ws client whose socket comes from `localAddress`. */
function wsClientFrom(url: string, localAddress: string, connectionParams: Record<string, unknown>): Client {
  class FromAddress extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { localAddress });
    }
  }
  const client = createClient({ url, webSocketImpl: FromAddress, retryAttempts: 0, lazy: true, connectionParams });
  onDispose(() => client.dispose());
  return client;
}

/** Milliseconds from subscribing to the first event of `symbol`'s futures order book. */
async function firstBookEventMs(client: Client, symbol: string): Promise<number> {
  const started = Date.now();
  const [result] = await take(client, { query: `subscription { futuresOrderBook(symbol: "${symbol}") { symbol } }` }, 1, 10_000);
  expect(result?.data?.['futuresOrderBook']).toEqual({ symbol });
  return Date.now() - started;
}

/** Polls an async count until `done` holds, or fails naming what it waited for and the last count. */
async function until(count: () => Promise<number>, done: (n: number) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let n = await count(); !done(n); n = await count()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last count ${n})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const sentOf = (exchange: FakeExchange, action: string, dataType: string) =>
  exchange.requests.filter((r) => r.action === action && r.dataType === dataType).length;

describe('a topic flood', () => {
  it("lets another client's new futuresOrderBook get its first event within 3 s, during the flood and right after the attackers leave", async () => {
    // The stand-in exchange takes any symbol, and sends a book right after acknowledging one.
    const exchange: FakeExchange = await startFakeExchange({
      reply: (request) => {
        const symbol = (request.payload as { symbol?: unknown } | undefined)?.symbol;
        if (request.action === 'subscribe' && request.dataType === 'orderBook' && typeof symbol === 'string')
          setImmediate(() => exchange.connections[request.connection]?.socket.send(bookFrame(symbol)));
        return 'ack';
      },
    });
    onDispose(() => exchange.close());
    const gateway = await startGatewayOn(exchange, { serverKey: SERVER_KEY });
    const attackers = Array.from({ length: ATTACKERS }, (_, a) => {
      const client = wsClient(gateway.wsUrl);
      for (let i = 0; i < TOPICS_PER_ATTACKER; i++) {
        const symbol = `F${a}X${Math.floor(i / PERIODS.length)}USD`;
        client.subscribe(
          { query: `subscription { futuresKline(symbol: "${symbol}", period: ${PERIODS[i % PERIODS.length]}) { close } }` },
          noop,
        );
      }
      return client;
    });
    const openTopics = async () => {
      const { body } = await postGraphQL(`${gateway.url}/graphql`, { query: '{ status { topics { key } } }' });
      return ((body['data'] as { status: { topics: unknown[] } } | undefined)?.status.topics ?? []).length;
    };
    const flood = ATTACKERS * TOPICS_PER_ATTACKER;
    await until(openTopics, (n) => n >= flood, 'every topic of the flood open in the gateway', 60_000);

    // The flood queued more than FIRST_EVENT_WITHIN_MS of paced requests ahead of the newcomer: first come, first served would miss.
    const queuedAhead = flood - sentOf(exchange, 'subscribe', 'kline');
    expect(queuedAhead, 'subscribes of the flood still waiting').toBeGreaterThan(
      (REQUEST_BUDGET_PER_SECOND * FIRST_EVENT_WITHIN_MS) / 1_000,
    );
    expect(await firstBookEventMs(wsClient(gateway.wsUrl), 'BTCUSD')).toBeLessThan(FIRST_EVENT_WITHIN_MS);

    for (const client of attackers) await client.dispose();
    expect(await firstBookEventMs(wsClient(gateway.wsUrl), 'ETHUSD')).toBeLessThan(FIRST_EVENT_WITHIN_MS);

    // What never went out is cancelled: each subscribe sent gets its unsubscribe, and no other goes.
    // Once every topic is gone (its linger over), nothing more of the flood can go out.
    await until(openTopics, (n) => n === 0, 'every topic gone', 20_000);
    const sent = sentOf(exchange, 'subscribe', 'kline');
    expect(sent).toBeLessThan(flood);
    // Paced at most REQUEST_BUDGET_PER_SECOND: allow for half that pace on a busy machine.
    await waitFor(
      () => sentOf(exchange, 'unSubscribe', 'kline') === sent,
      'every sent kline unsubscribed',
      5_000 + (sent * 2_000) / REQUEST_BUDGET_PER_SECOND,
    );
    expect(sentOf(exchange, 'subscribe', 'kline')).toBe(sent);
  }, 180_000);
});

describe('the per-client budget of new topics', () => {
  it('refuses a socket its sixth new topic within a second at MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT=1, naming the variable', async () => {
    const gateway = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, maxNewTopicsPerSecondPerClient: 1 } } });
    const client = wsClient(gateway.wsUrl);
    // One a second, five seconds of it back to back.
    for (const period of PERIODS.slice(0, 5))
      client.subscribe({ query: `subscription { futuresKline(symbol: "BTCUSD", period: ${period}) { close } }` }, noop);
    const [result] = await take(client, { query: `subscription { futuresKline(symbol: "BTCUSD", period: ${PERIODS[5]}) { close } }` }, 1);
    expect(result?.errors?.[0]).toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED' } });
    expect(result?.errors?.[0]?.message).toContain(LIMIT_SETTINGS.maxNewTopicsPerSecondPerClient.env);
    // Another socket's budget is its own.
    const [other] = await take(
      wsClient(gateway.wsUrl),
      { query: `subscription { futuresKline(symbol: "ETHUSD", period: M1) { close } }` },
      1,
    );
    expect(other?.data?.['futuresKline']).toBeDefined();
  });
});

describe('invented credentials', () => {
  it('serves a real account from 127.0.0.2 every time while 127.0.0.1 sprays 20 random keys a second, and bounds the refused handshakes', async () => {
    const gateway = await startTestGateway();
    const balance = { query: 'subscription { accountBalance { equity } }' };
    const refusedHandshakes = () => gateway.logs.lines.filter((l) => l.msg === 'upstream refused the credential').length;
    let spraying = true;
    const sprayed: Array<Promise<unknown>> = [];
    const started = Date.now();
    const spray = (async () => {
      for (let i = 0; spraying; i++) {
        const key = { apiKey: `invented${i}KEY${Math.random().toString(36).slice(2)}==`, apiSecret: `invented-secret-${i}` };
        sprayed.push(take(wsClient(gateway.wsUrl, key), balance, 1, 3_000));
        await new Promise((r) => setTimeout(r, 1_000 / 20));
      }
    })();

    const served: boolean[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const client = wsClientFrom(gateway.wsUrl, '127.0.0.2', DEMO_CREDENTIAL);
      const [result] = await take(client, balance, 1);
      served.push(result?.data?.['accountBalance'] !== undefined);
      await client.dispose();
      // The account's private connection closes after its lingers, so each attempt handshakes again.
      await waitFor(() => gateway.simulator?.connectionCount('options') === 1, 'only the public options connection left');
    }
    spraying = false;
    await spray;
    await Promise.all(sprayed);
    const seconds = Math.ceil((Date.now() - started) / 1_000);

    expect(served).toEqual(Array(8).fill(true));
    // 127.0.0.1's budget: its rate a second, twice that back to back.
    const perAddress = LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecondPerAddress.fallback;
    expect(refusedHandshakes()).toBeGreaterThan(0);
    expect(refusedHandshakes()).toBeLessThanOrEqual(2 * perAddress + perAddress * seconds);
  }, 60_000);
});
