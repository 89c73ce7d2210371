/**
 * Issue 22, hole 3: Query twins open upstream topics within the same
 * per-client budget (MAX_NEW_TOPICS_PER_SECOND_PER_CLIENT) and the same fair
 * queue as subscriptions. HTTP requests of one address are one client: a
 * flood of concurrent twins from 127.0.0.1, each with 15 aliases, is refused
 * LIMIT_EXCEEDED past that address's budget, while twins from 127.0.0.2 wait
 * in a lane of their own and get their answers (never UPSTREAM_TIMEOUT).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIMIT_SETTINGS } from '../src/lib/limits.ts';
import { NEW_TOPIC_BURST_SECONDS } from '../src/sources/coincall/admission.ts';
import { httpFrom } from './helpers/address-clients.ts';
import { SERVER_KEY, startFakeExchange, type FakeExchange } from './helpers/fake-exchange.ts';
import { startGatewayOn } from './helpers/gateway-on-fake.ts';
import { bookFrame } from './helpers/book-frame.ts';
import { disposeAll, onDispose, postGraphQL, waitFor } from './helpers/gateway.ts';

afterEach(disposeAll);

const FLOOD_REQUESTS = 150;
const ALIASES = 15;
const PERIODS = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1', 'W1', 'MN1', 'QUARTER'];
const OTHER_TWINS = 6;

/** One query of 15 aliased kline twins, each a topic of its own (the exchange never answers them with data). */
function floodQuery(request: number): string {
  const fields = Array.from(
    { length: ALIASES },
    (_, i) =>
      `k${i}: futuresKline(symbol: "F${request}X${Math.floor(i / PERIODS.length)}USD", period: ${PERIODS[i % PERIODS.length]}) { close }`,
  );
  return `{ ${fields.join(' ')} }`;
}

interface Answer {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: ReadonlyArray<{ readonly message: string; readonly extensions?: { readonly code?: string } }>;
}

describe('Query twins under the per-client topic budget and the fair queue', () => {
  it('refuses a twin flood from 127.0.0.1 past its budget with LIMIT_EXCEEDED while twins from 127.0.0.2 get their answers', async () => {
    // The stand-in exchange acknowledges everything, and sends a book right after an order book subscribe.
    const exchange: FakeExchange = await startFakeExchange({
      reply: (request) => {
        const symbol = (request.payload as { symbol?: unknown } | undefined)?.symbol;
        const symbols = Array.isArray(symbol) ? symbol : [symbol];
        if (request.action === 'subscribe' && request.dataType === 'orderBook')
          for (const s of symbols)
            if (typeof s === 'string') setImmediate(() => exchange.connections[request.connection]?.socket.send(bookFrame(s)));
        return 'ack';
      },
    });
    onDispose(() => exchange.close());
    const gateway = await startGatewayOn(exchange, { serverKey: SERVER_KEY });
    const started = Date.now();
    const flood = Array.from({ length: FLOOD_REQUESTS }, (_, r) =>
      postGraphQL(`${gateway.url}/graphql`, { query: floodQuery(r) }).then(({ body }) => body as Answer),
    );
    // The flood is queued upstream before the other address asks.
    const klineSubscribes = () => exchange.requests.filter((r) => r.action === 'subscribe' && r.dataType === 'kline').length;
    await waitFor(() => klineSubscribes() > 0, 'the flood reaching the exchange', 10_000);

    const port = Number(new URL(gateway.url).port);
    const others = await Promise.all(
      Array.from({ length: OTHER_TWINS }, async (_, i) => {
        const symbol = `O${i}USD`;
        const { body } = await httpFrom(port, '127.0.0.2', {
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query: `{ futuresOrderBook(symbol: "${symbol}") { symbol } }` }),
        });
        return JSON.parse(body) as Answer;
      }),
    );
    for (const [i, answer] of others.entries()) {
      expect(answer.errors, `twin ${i} from 127.0.0.2`).toBeUndefined();
      expect(answer.data?.['futuresOrderBook']).toEqual({ symbol: `O${i}USD` });
    }

    const answers = await Promise.all(flood);
    const elapsedSeconds = (Date.now() - started) / 1_000;
    const firstErrors = answers.map((a) => a.errors?.[0]);
    // Its fields are non-null: the first error of a request (the refusal) stands for the whole answer.
    const refusals = firstErrors.filter((e) => e?.extensions?.code === 'LIMIT_EXCEEDED');
    const codes = new Set(firstErrors.map((e) => e?.extensions?.code));
    expect(refusals.length, `error codes: ${[...codes].join(', ')}`).toBeGreaterThan(FLOOD_REQUESTS / 2);
    expect(refusals[0]?.message).toContain(LIMIT_SETTINGS.maxNewTopicsPerSecondPerClient.env);
    // What reached the exchange stayed within the address's budget: its burst, then its rate.
    const rate = LIMIT_SETTINGS.maxNewTopicsPerSecondPerClient.fallback;
    expect(klineSubscribes()).toBeLessThanOrEqual(rate * NEW_TOPIC_BURST_SECONDS + rate * Math.ceil(elapsedSeconds));
  }, 60_000);
});
