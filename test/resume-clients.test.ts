/**
 * README's resume recipe, tested with the real graphql-ws client: its socket is
 * killed under a steady flow of trades; it reconnects by itself, resubscribes
 * with the last cursor once `connected`, and has every trade exactly once:
 * 0 lost, 0 repeated.
 */
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeExchange } from './helpers/fake-exchange.ts';
import { disposeAll, onDispose, startTestGateway, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const TRADES = 'subscription ($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { price timestamp cursor } }';

interface Row {
  readonly price: string;
  readonly timestamp: string;
  readonly cursor: string;
}

describe('graphql-ws createClient: resubscribe with the last cursor after a drop', () => {
  it('loses and repeats no trade when its socket is killed under a steady flow', async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const gateway = await startTestGateway({
      config: {
        upstream: 'coincall',
        optionsWsUrl: exchange.urls.options,
        futuresWsUrl: exchange.urls.futures,
        apiKey: 'server-key',
        apiSecret: 'server-secret',
      },
    });
    const sockets: WebSocket[] = [];
    class TrackedSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    const client = createClient({
      url: gateway.wsUrl,
      webSocketImpl: TrackedSocket,
      retryAttempts: 20,
      retryWait: () => Promise.resolve(),
    });
    onDispose(() => client.dispose());

    // The recipe (README, "Resume from a cursor").
    const seen: number[] = [];
    let last: Row | undefined;
    let stop = () => {};
    const start = () => {
      stop();
      stop = client.subscribe<{ futuresTrades: Row[] }>(
        { query: TRADES, variables: { after: last?.cursor ?? null } },
        {
          next: ({ data }) => {
            for (const t of data?.futuresTrades ?? []) {
              seen.push(Number(t.price));
              if (last === undefined || Date.parse(t.timestamp) >= Date.parse(last.timestamp)) last = t;
            }
          },
          error: () => {},
          complete: () => {},
        },
      );
    };
    client.on('connected', start);
    start();

    let seq = 0;
    let flowing = true;
    const flow = (async () => {
      await waitFor(
        () => exchange.connections.some((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY)),
        'the trades topic live upstream',
      );
      while (flowing) {
        const frame = [1, 2].map(() => {
          seq++;
          return { s: 'BTCUSD', pr: String(60_000 + seq), v: '0.1', sd: 1, ts: 1_700_000_000_000 + seq };
        });
        exchange.publish(TRADES_DT, 'lastTrade', BTC, frame.reverse());
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await waitFor(() => seen.length >= 30, 'trades before the drop');
    sockets.at(-1)?.terminate();
    const dropped = seen.length;
    await waitFor(() => sockets.length >= 2, 'the client reconnecting');
    await waitFor(() => seen.length >= dropped + 60, 'trades after the reconnect');
    flowing = false;
    await flow;
    await waitFor(() => seen.includes(60_000 + seq), 'the last trade');

    const sorted = [...seen].sort((a, b) => a - b);
    expect(new Set(seen).size, 'no trade repeated').toBe(seen.length);
    expect(sorted.at(-1)! - sorted[0]! + 1, 'no trade lost').toBe(seen.length);
  });
});
