/**
 * The server's rooms in-process, without a socket (through `yoga.fetch` and
 * graphql-ws's hooks called directly): the plain routes answer as yoga
 * plugins, the query limits apply before execution, and graphql-ws's
 * `onSubscribe` prepares every operation through envelop with nothing in
 * `rootValue`, reading a field's delivery policy from its GraphQL extensions.
 * The loopback end-to-end tests (subscriptions, delivery, guards) cover the
 * same over real sockets.
 */
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { createFanout } from '../src/server/fanout/fanout.ts';
import type { Readiness } from '../src/server/routes.ts';
import type { WsExtra } from '../src/server/graphql-ws/ws-adapter.ts';
import type { WsContext } from '../src/server/graphql-ws/ws-envelop.ts';
import { createWsOptions } from '../src/server/graphql-ws/ws-options.ts';
import { deliveryOf } from '../src/server/fanout/share.ts';
import { createGatewayYoga, type GatewayYoga } from '../src/server/yoga.ts';
import type { Upstream } from '../src/sources/coincall/coincall-source.ts';

const unused = (): never => {
  throw new Error('not used in-process');
};

function gatewayYoga(check: () => boolean | Readiness): GatewayYoga {
  const ready = () => {
    const result = check();
    return typeof result === 'boolean' ? result : result.ready;
  };
  const upstream: Upstream = {
    subscribe: unused,
    snapshot: unused,
    status: unused,
    ready,
    onChange: () => () => undefined,
    close: async () => undefined,
  };
  const sharing = () => ({ groups: 0, members: 0, executions: 0, deliveries: 0, conflated: 0, tooSlow: 0 });
  return createGatewayYoga({
    schema: gatewaySchema(),
    context: { upstream, now: Date.now, mode: 'SIMULATED', version: 'test', startedAt: 0, sharing },
    logger: silentLogger,
    graphiql: { operations: [], now: Date.now, examples: { variables: () => ({}), isPrivate: () => false } },
    ready: check,
    limits: DEFAULT_LIMITS,
  });
}

describe('the plain routes, as yoga plugins', () => {
  it('answers /health with 200 and {"status":"ok"}', async () => {
    const res = await gatewayYoga(() => false).fetch('http://localhost/health');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"status":"ok"}');
  });

  it('answers /ready with 200 while the upstream is connected and 503 while it is not', async () => {
    let ready = true;
    const yoga = gatewayYoga(() => ready);
    const up = await yoga.fetch('http://localhost/ready');
    expect([up.status, await up.json()]).toEqual([200, { status: 'ready' }]);
    ready = false;
    const down = await yoga.fetch('http://localhost/ready');
    expect([down.status, await down.json()]).toEqual([503, { status: 'upstream not connected' }]);
  });

  it('answers /ready 503 with the reasons the upstream gives (an unanswered topic), 200 without', async () => {
    let reasons: string[] = ['futuresTrades BTCUSD: subscribe unanswered for 6000 ms (past UPSTREAM_ACK_TIMEOUT_MS)'];
    const yoga = gatewayYoga(() =>
      reasons.length === 0 ? { ready: true, status: 'ready', reasons } : { ready: false, status: 'upstream degraded', reasons },
    );
    const degraded = await yoga.fetch('http://localhost/ready');
    expect([degraded.status, await degraded.json()]).toEqual([503, { status: 'upstream degraded', reasons }]);
    reasons = [];
    const up = await yoga.fetch('http://localhost/ready');
    expect([up.status, await up.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('redirects / to /graphql', async () => {
    const res = await gatewayYoga(() => true).fetch('http://localhost/', { redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([302, '/graphql']);
  });

  it('refuses an operation beyond the depth limit before executing it', async () => {
    const deep = `{ ${'a { '.repeat(DEFAULT_LIMITS.maxQueryDepth + 2)}b${' }'.repeat(DEFAULT_LIMITS.maxQueryDepth + 2)} }`;
    const res = await gatewayYoga(() => true).fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: deep }),
    });
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors.some((e) => e.extensions.code === 'LIMIT_EXCEEDED' && e.message.includes('MAX_QUERY_DEPTH'))).toBe(true);
  });
});

describe('delivery policy from the schema', () => {
  it("reads each subscription field's extensions.delivery, and nothing for a field that declares none", () => {
    const schema = gatewaySchema();
    expect(deliveryOf(schema, 'futuresOrderBook')).toBe('state');
    expect(deliveryOf(schema, 'futuresTrades')).toBe('event');
    expect(deliveryOf(schema, 'noSuchField')).toBeUndefined();
    expect(deliveryOf(schema, undefined)).toBeUndefined();
  });
});

describe('graphql-ws onSubscribe', () => {
  const socket = {} as WebSocket;
  const ctx = (): WsContext => ({
    connectionInitReceived: true,
    acknowledged: true,
    connectionParams: {},
    subscriptions: { '1': null },
    extra: { socket, request: { url: '/graphql', headers: { host: 'localhost' }, address: '127.0.0.1' } } satisfies WsExtra,
  });
  const options = createWsOptions({
    yoga: gatewayYoga(() => true),
    fanout: createFanout(),
    limits: DEFAULT_LIMITS,
    sharedSubscriptions: true,
  });

  const subscribe = async (payload: SubscribePayload) => options.onSubscribe?.(ctx(), '1', payload);

  it('prepares a subscription through envelop (its context built) with nothing in rootValue', async () => {
    const prepared = (await subscribe({ query: 'subscription { futuresOrderBook(symbol: "BTCUSD") { symbol } }' })) as ExecutionArgs;
    expect(prepared.rootValue).toBeUndefined();
    expect(prepared.contextValue).toMatchObject({ mode: 'SIMULATED', credential: undefined });
  });

  it('answers a document that does not validate with its errors, without extensions.http', async () => {
    const errors = (await subscribe({ query: 'subscription { noSuchField }' })) as readonly GraphQLError[];
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.extensions['http']).toBeUndefined();
  });
});
