/**
 * Client connections, subscriptions and refusals are logged at debug (issue
 * 21): the transport, the client's address, the operation's name and root
 * fields, the refusal's code; never a key or secret. Over the whole gateway
 * with a captured logger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import {
  DEMO_CREDENTIAL,
  disposeAll,
  postGraphQL,
  sse,
  startTestGateway,
  take,
  waitFor,
  wsClient,
  type TestGateway,
} from './helpers/gateway.ts';

afterEach(disposeAll);

const index = { query: 'subscription IndexWatch { futuresIndexPrice(symbol: "BTCUSD") { price } }' };

/** The debug lines with this message, less the logger's own binding (`component`). */
const linesOf = (gateway: TestGateway, msg: string) =>
  gateway.logs.lines
    .filter((line) => line.level === 'debug' && line.msg === msg)
    .map((line) => Object.fromEntries(Object.entries(line.obj).filter(([key]) => key !== 'component')));

describe('the client log', () => {
  it('logs a graphql-ws connection, its subscriptions and its end, with transport, address, operation and field', async () => {
    const gateway = await startTestGateway();
    const client = wsClient(gateway.wsUrl, DEMO_CREDENTIAL);
    expect((await take(client, index, 1))[0]?.data).toBeDefined();
    expect((await take(client, { query: 'subscription { accountBalance { equity } }' }, 1))[0]?.data).toBeDefined();
    await client.dispose();
    await waitFor(() => linesOf(gateway, 'client disconnected').length > 0, 'the disconnect logged');

    // A lazy client may reconnect between two operations: every connection is logged alike.
    expect(new Set(linesOf(gateway, 'client connected').map((line) => JSON.stringify(line)))).toEqual(
      new Set([JSON.stringify({ transport: 'ws', address: '127.0.0.1' })]),
    );
    expect(linesOf(gateway, 'client subscribed')).toEqual([
      { transport: 'ws', address: '127.0.0.1', kind: 'subscription', operation: 'IndexWatch', fields: ['futuresIndexPrice'] },
      { transport: 'ws', address: '127.0.0.1', kind: 'subscription', operation: undefined, fields: ['accountBalance'] },
    ]);
    expect(linesOf(gateway, 'client disconnected')[0]).toMatchObject({ transport: 'ws', address: '127.0.0.1' });
    // The credential travelled in connectionParams: no line holds the key or the secret.
    expect(gateway.logs.text()).not.toContain(DEMO_CREDENTIAL.apiKey);
    expect(gateway.logs.text()).not.toContain(DEMO_CREDENTIAL.apiSecret);
  });

  it('logs refusals by code: a bad argument on graphql-ws, a validation error over HTTP', async () => {
    const gateway = await startTestGateway();
    await take(wsClient(gateway.wsUrl), { query: 'subscription { futuresIndexPrice(symbol: "NOPE") { price } }' }, 1);
    await postGraphQL(`${gateway.url}/graphql`, { query: '{ status { noSuchField } }' });

    expect(linesOf(gateway, 'client refused')).toEqual([
      {
        transport: 'ws',
        address: '127.0.0.1',
        codes: ['BAD_USER_INPUT'],
        kind: 'subscription',
        operation: undefined,
        fields: ['futuresIndexPrice'],
      },
      {
        transport: 'http',
        address: '127.0.0.1',
        codes: ['GRAPHQL_VALIDATION_FAILED'],
        kind: 'query',
        operation: undefined,
        fields: ['status'],
      },
    ]);
  });

  it('logs HTTP operations (a query, an SSE subscription) and a refusal at the connection cap', async () => {
    const gateway = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, maxConnections: 1 } } });
    await postGraphQL(`${gateway.url}/graphql`, { query: 'query Mode { status { mode } }' });
    await sse(`${gateway.url}/graphql`, index, 1);
    // One socket holds the only slot; the next upgrade is refused at the gate.
    const holder = wsClient(gateway.wsUrl).iterate(index);
    await holder.next();
    await take(wsClient(gateway.wsUrl), index, 1);

    expect(linesOf(gateway, 'client operation')).toContainEqual({
      transport: 'http',
      address: '127.0.0.1',
      kind: 'query',
      operation: 'Mode',
      fields: ['status'],
    });
    expect(linesOf(gateway, 'client subscribed')).toContainEqual({
      transport: 'sse',
      address: '127.0.0.1',
      kind: 'subscription',
      operation: 'IndexWatch',
      fields: ['futuresIndexPrice'],
    });
    expect(linesOf(gateway, 'client refused')).toContainEqual({ transport: 'ws', address: '127.0.0.1', codes: ['TOO_MANY_CONNECTIONS'] });
    await holder.return?.();
  });
});
