/**
 * The gateway's guards, over real sockets: the graphql-ws handshake timeout,
 * the message size cap, the subscription cap per connection, the connection
 * cap per process, duplicate subscription ids, garbage from one client closing
 * only that client, and the query limits (depth, aliases, tokens, cost,
 * directives) on HTTP, SSE and graphql-ws, refused before execution while the
 * example operations and GraphiQL's introspection query still pass. Also:
 * upstream garbage is dropped and counted in `status`, and streams go on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { getIntrospectionQuery, validate } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from '../src/lib/limits.ts';
import { limitedParser, queryLimitRules, validationRules } from '../src/server/guards.ts';
import { disposeAll, postGraphQL, sleep, sse, startTestGateway, take, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';
import { closedWithin, closeRawClients, RawClient } from './helpers/graphql-ws-raw.ts';
import { scrapeMetrics, sumOf } from './helpers/prometheus.ts';

const SMALL: GatewayLimits = {
  ...DEFAULT_LIMITS,
  // Short, yet past an event-loop stall of a loaded machine: every graphql-ws client of this file meets it.
  wsConnectionInitTimeoutMs: 1_000,
  wsMaxMessageBytes: 16_384,
  maxSubscriptionsPerConnection: 3,
};

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ config: { limits: SMALL } });
});
afterEach(closeRawClients);
afterAll(disposeAll);

const INDEX = 'subscription($s: String!) { futuresIndexPrice(symbol: $s) { symbol price } }';
const subscribesSent = () => (gateway.simulator?.requests ?? []).filter((r) => r.action === 'subscribe').length;
const isNext = (id: string) => (m: { type: string; id?: string }) => m.type === 'next' && m.id === id;

/** A client that keeps streaming while others misbehave. */
async function bystander(): Promise<RawClient> {
  const client = await RawClient.ready(gateway.wsUrl);
  client.subscribe('watch', INDEX, { s: 'BTCUSD' });
  await client.waitFor(isNext('watch'));
  return client;
}

async function stillStreaming(client: RawClient): Promise<void> {
  const from = client.messages.length;
  await client.waitFor(isNext('watch'), from);
  expect(client.isOpen).toBe(true);
}

describe('graphql-ws handshake and message guards', () => {
  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const idle = await RawClient.connect(gateway.wsUrl);
    await expect(closedWithin(idle, 5 * SMALL.wsConnectionInitTimeoutMs)).resolves.toMatchObject({
      code: 4408,
      reason: 'Connection initialisation timeout',
    });
  });

  it('keeps a socket that sent connection_init open past that deadline', async () => {
    const ready = await RawClient.ready(gateway.wsUrl);
    ready.subscribe('watch', INDEX, { s: 'BTCUSD' });
    await sleep(3 * SMALL.wsConnectionInitTimeoutMs);
    await stillStreaming(ready);
  });

  it('closes a socket that sends a message over the size cap with 1009, and only that one', async () => {
    const watcher = await bystander();
    const big = await RawClient.ready(gateway.wsUrl);
    big.subscribe('1', `subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } } # ${'x'.repeat(SMALL.wsMaxMessageBytes)}`);
    await expect(closedWithin(big)).resolves.toMatchObject({ code: 1009 });
    await stillStreaming(watcher);
  });

  it('refuses a subscription over the per-connection cap with LIMIT_EXCEEDED, and accepts one again after another completes', async () => {
    const client = await RawClient.ready(gateway.wsUrl);
    const symbols = ['BTCUSD', 'ETHUSD', 'XRPUSD'];
    symbols.forEach((s, i) => client.subscribe(String(i), INDEX, { s }));
    await Promise.all(symbols.map((_, i) => client.waitFor(isNext(String(i)))));
    client.subscribe('3', INDEX, { s: 'SOLUSD' });
    const refused = await client.waitFor((m) => m.id === '3');
    expect(refused.type).toBe('error');
    expect(refused.payload).toEqual([
      expect.objectContaining({
        extensions: { code: 'LIMIT_EXCEEDED' },
        message: expect.stringContaining('MAX_SUBSCRIPTIONS_PER_CONNECTION'),
      }),
    ]);
    client.send({ id: '0', type: 'complete' });
    await sleep(50);
    client.subscribe('4', INDEX, { s: 'BTCUSD' });
    await client.waitFor(isNext('4'));
    expect(client.isOpen).toBe(true);
  });

  it('closes a socket that reuses a live subscription id with 4409', async () => {
    const client = await RawClient.ready(gateway.wsUrl);
    client.subscribe('same', INDEX, { s: 'BTCUSD' });
    await client.waitFor(isNext('same'));
    client.subscribe('same', INDEX, { s: 'ETHUSD' });
    await expect(closedWithin(client)).resolves.toMatchObject({ code: 4409 });
  });

  it('lets a client complete an id and reuse it at once, leaving no orphan subscription behind', async () => {
    const gateway = await startTestGateway({ config: { limits: SMALL } });
    const client = await RawClient.ready(gateway.wsUrl);
    const symbols = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD'];
    client.subscribe('reused', INDEX, { s: symbols[0] });
    await client.waitFor(isNext('reused'));
    // complete + subscribe in one burst, many times: each new operation must replace the last one.
    for (let round = 1; round <= 20; round++) {
      client.send({ id: 'reused', type: 'complete' });
      client.subscribe('reused', INDEX, { s: symbols[round % symbols.length] });
    }
    const last = symbols[20 % symbols.length];
    const from = client.messages.length;
    await client.waitFor((m) => isNext('reused')(m) && JSON.stringify(m.payload).includes(`"${last}"`), from);
    // The last operation runs, and it alone: the earlier ones ended instead of living on unseen.
    expect(gateway.fanout.stats().members).toBe(1);
    expect(client.isOpen).toBe(true);

    // The surviving operation is the one the client knows about: complete stops it, and no more `next` follow.
    client.send({ id: 'reused', type: 'complete' });
    await waitFor(() => gateway.fanout.stats().members === 0, 'the reused id completed');
    // A `next` written before the server read the complete may still be on its way: a ping's pong comes after it.
    const beforePing = client.messages.length;
    client.send({ type: 'ping' });
    const pong = await client.waitFor((m) => m.type === 'pong', beforePing);
    const afterComplete = client.messages.indexOf(pong) + 1;
    await sleep(300);
    expect(client.messages.slice(afterComplete).filter(isNext('reused'))).toEqual([]);
  });

  it('keeps the subscription cap exact while a client churns complete and subscribe on the same ids', async () => {
    const gateway = await startTestGateway({ config: { limits: SMALL } });
    const client = await RawClient.ready(gateway.wsUrl);
    for (let round = 0; round < 10; round++) {
      for (const id of ['a', 'b', 'c']) {
        client.send({ id, type: 'complete' });
        client.subscribe(id, INDEX, { s: 'BTCUSD' });
      }
    }
    await Promise.all(['a', 'b', 'c'].map((id) => client.waitFor(isNext(id))));
    await waitFor(() => gateway.fanout.stats().members === SMALL.maxSubscriptionsPerConnection, 'three live subscriptions');
    // The churn never counted a winding-down operation against the cap...
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
    // ...and the cap still holds: a fourth id is refused.
    client.subscribe('d', INDEX, { s: 'ETHUSD' });
    expect(await client.waitFor((m) => m.id === 'd')).toMatchObject({
      type: 'error',
      payload: [{ extensions: { code: 'LIMIT_EXCEEDED' } }],
    });
    client.close();
    await client.closed;
    await waitFor(() => gateway.fanout.stats().members === 0, 'every subscription of the closed socket ended');
  });

  const garbage: ReadonlyArray<readonly [string, (c: RawClient) => void, number, boolean]> = [
    ['non-JSON text', (c) => c.send('this is not json {'), 4400, true],
    ['an unknown message type', (c) => c.send({ type: 'gimme', id: '1' }), 4400, true],
    ['a subscribe without an id', (c) => c.send({ type: 'subscribe', payload: { query: '{ __typename }' } }), 4400, true],
    ['a subscribe whose query is a number', (c) => c.send({ type: 'subscribe', id: '1', payload: { query: 42 } }), 4400, true],
    ['a JSON array', (c) => c.send('[1,2,3]'), 4400, true],
    ['a binary frame', (c) => c.send(Buffer.from([0xde, 0xad, 0xbe, 0xef])), 4400, true],
    ['a binary frame holding a valid message', (c) => c.send(Buffer.from(JSON.stringify({ type: 'ping' }))), 4400, true],
    ['a message of a type only the server sends (next)', (c) => c.send({ type: 'next', id: '1', payload: {} }), 4400, true],
    ['a message of a type only the server sends (connection_ack)', (c) => c.send({ type: 'connection_ack' }), 4400, true],
    ['a second connection_init', (c) => c.send({ type: 'connection_init' }), 4429, true],
    ['a subscribe before connection_init', (c) => c.subscribe('1', '{ __typename }'), 4401, false],
  ];
  it.each(garbage.map((g) => [g[0], g]))('closes only the socket that sends %s', async (_name, [, send, code, handshake]) => {
    const watcher = await bystander();
    const bad = handshake ? await RawClient.ready(gateway.wsUrl) : await RawClient.connect(gateway.wsUrl);
    send(bad);
    await expect(closedWithin(bad)).resolves.toMatchObject({ code });
    await stillStreaming(watcher);
  });

  it('refuses a socket without the graphql-transport-ws subprotocol', async () => {
    const wrong = await RawClient.connect(gateway.wsUrl, []);
    await expect(closedWithin(wrong)).resolves.toMatchObject({ code: 4406 });
  });
});

describe('connection cap', () => {
  it('refuses graphql-ws upgrades and SSE streams over MAX_CONNECTIONS with 503, and admits again once one leaves', async () => {
    const capped = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, maxConnections: 2 } } });
    const first = await RawClient.ready(capped.wsUrl);
    const second = await RawClient.ready(capped.wsUrl);
    const refused = await RawClient.connect(capped.wsUrl).then(
      () => undefined,
      (error: { status?: number; body?: string }) => error,
    );
    expect(refused?.status).toBe(503);
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({
      errors: [{ extensions: { code: 'LIMIT_EXCEEDED' }, message: expect.stringContaining('MAX_CONNECTIONS') }],
    });
    const overSse = await fetch(capped.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' }),
    });
    expect(overSse.status).toBe(503);
    expect(await overSse.json()).toMatchObject({ errors: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    // yoga streams for any letter case of the media type, for */* and for no Accept at all: each counts.
    for (const accept of ['Text/Event-Stream', '*/*', undefined]) {
      const sneaky = await fetch(capped.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
        body: JSON.stringify({ query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' }),
      });
      expect(sneaky.status, `Accept: ${accept ?? '(none)'}`).toBe(503);
      await sneaky.body?.cancel();
    }
    // Plain queries are not long-lived connections: still served.
    expect((await postGraphQL(capped.url, { query: '{ status { mode } }' })).body).toMatchObject({
      data: { status: { mode: 'SIMULATED' } },
    });
    first.close();
    await first.closed;
    await waitFor(() => true, 'tick');
    const third = await RawClient.ready(capped.wsUrl);
    expect(third.isOpen).toBe(true);
    second.close();
  });
});

const deepIntrospection = `{ __type(name: "GatewayStatus") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }`;
const manyAliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: status { mode }`).join(' ')} }`;
const manyTokens = `{ status { ${'mode '.repeat(2_100)} } }`;
// Lists count as long as they are expected to be (status.topics: 1,000 each): 15 × 6,000 is over 50,000.
const costly = `{ ${Array.from({ length: 15 }, (_, i) => `s${i}: status { topics { market channel dataType key subscribers } }`).join(' ')} }`;
const manyTypenames = `{ ${Array.from({ length: 600 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
const manyDirectives = `{ status { ${'mode @include(if: true) '.repeat(60)} } }`;
const hostile: ReadonlyArray<readonly [string, string, string]> = [
  ['too deep', deepIntrospection, 'MAX_QUERY_DEPTH'],
  ['too many aliases', manyAliases, 'MAX_ALIASES'],
  ['too many __typename aliases', manyTypenames, 'MAX_ALIASES'],
  ['too many tokens', manyTokens, 'MAX_TOKENS'],
  ['too costly', costly, 'MAX_QUERY_COST'],
  ['too many directives', manyDirectives, 'MAX_DIRECTIVES'],
];

describe('query limits, on every transport, before execution', () => {
  it.each(hostile.map((h) => [h[0], h]))('refuses a document %s over HTTP, SSE and graphql-ws', async (_name, [, query, variable]) => {
    const expected = { extensions: { code: 'LIMIT_EXCEEDED' }, message: expect.stringContaining(variable) };
    const overHttp = await postGraphQL(gateway.url, { query });
    expect(overHttp.body).toMatchObject({ errors: [expected] });
    expect(overHttp.body['data']).toBeUndefined();
    const [overSse] = await sse(gateway.url, { query }, 1);
    expect(overSse).toMatchObject({ errors: [expected] });
    const [overWs] = await take(wsClient(gateway.wsUrl), { query }, 1);
    expect(overWs?.errors).toEqual([expect.objectContaining(expected)]);
  });

  it('refuses a hostile subscription before anything goes upstream', async () => {
    const before = subscribesSent();
    const aliased = `subscription { futuresIndexPrice(symbol: "LTCUSD") { ${Array.from({ length: 20 }, (_, i) => `s${i}: symbol`).join(' ')} } }`;
    const [result] = await take(wsClient(gateway.wsUrl), { query: aliased }, 1);
    expect(result?.errors?.[0]?.extensions?.['code']).toBe('LIMIT_EXCEEDED');
    const [overSse] = await sse(gateway.url, { query: aliased }, 1);
    expect(overSse).toMatchObject({ errors: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    await sleep(50);
    expect(subscribesSent()).toBe(before);
  });

  it('refuses an HTTP body over HTTP_MAX_BODY_BYTES with 413', async () => {
    const { status, body } = await postGraphQL(gateway.url, { query: `{ status { mode } } # ${'x'.repeat(SMALL.httpMaxBodyBytes)}` });
    expect(status).toBe(413);
    expect(body).toMatchObject({
      errors: [{ extensions: { code: 'LIMIT_EXCEEDED' }, message: expect.stringContaining('HTTP_MAX_BODY_BYTES') }],
    });
  });

  it('refuses a chunked HTTP body (no Content-Length) over HTTP_MAX_BODY_BYTES with 413, as a declared one, and counts it', async () => {
    const refusedBefore = sumOf((await scrapeMetrics(gateway.port)).samples, 'coincall_gateway_refusals_total', { code: 'BODY_TOO_LARGE' });
    // node:http with its own connection: the gateway answers before the body ends and drops the connection.
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += String(chunk)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write('{"query":"{ status { mode } }","padding":"');
      for (let i = 0; i < 8; i++) req.write('#'.repeat(SMALL.httpMaxBodyBytes / 4));
      req.end('"}');
    });
    expect(status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({
      errors: [{ extensions: { code: 'LIMIT_EXCEEDED' }, message: expect.stringContaining('HTTP_MAX_BODY_BYTES') }],
    });
    const refusedAfter = sumOf((await scrapeMetrics(gateway.port)).samples, 'coincall_gateway_refusals_total', { code: 'BODY_TOO_LARGE' });
    expect(refusedAfter - refusedBefore).toBe(1);
  });

  it("answers GraphiQL's standard introspection query over HTTP", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const { status, body } = await postGraphQL(gateway.url, { query });
    expect(status).toBe(200);
    expect(body['errors']).toBeUndefined();
    expect((body['data'] as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(20);
  });

  it('lets every example operation and the status query through at the default limits', async () => {
    const dir = new URL('../schema/operations/', import.meta.url);
    const parse = limitedParser(DEFAULT_LIMITS.maxTokens);
    const rules = [...validationRules, ...queryLimitRules(DEFAULT_LIMITS)];
    const schema = gatewaySchema();
    const names = readdirSync(dir).filter((f) => f.endsWith('.graphql'));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(validate(schema, parse(readFileSync(new URL(name, dir), 'utf8')), rules), name).toEqual([]);
    const status = readFileSync(new URL('status.graphql', dir), 'utf8');
    const { body } = await postGraphQL(gateway.url, { query: status });
    expect(body['errors']).toBeUndefined();
    expect(body).toMatchObject({ data: { status: { mode: 'SIMULATED' } } });
  });
});

describe('upstream garbage', () => {
  it('is dropped and counted in status.droppedFrames while the GraphQL stream goes on', async () => {
    const client = wsClient(gateway.wsUrl);
    const events: unknown[] = [];
    const stream = (async () => {
      for await (const r of client.iterate({ query: 'subscription { futuresIndexPrice(symbol: "ETHUSD") { symbol price } }' })) {
        events.push(r);
        if (events.length >= 6) break;
      }
    })();
    await waitFor(() => events.length >= 1, 'the first price');
    gateway.simulator?.faults.sendMalformed('futures', 12);
    await stream;
    for (const e of events) expect(e).toMatchObject({ data: { futuresIndexPrice: { symbol: 'ETHUSD' } } });
    const { body } = await postGraphQL(gateway.url, { query: '{ status { droppedFrames { unknownDt undecodable unrouted } } }' });
    const dropped = (body['data'] as { status: { droppedFrames: Record<string, number> } }).status.droppedFrames;
    expect((dropped['unknownDt'] ?? 0) + (dropped['undecodable'] ?? 0)).toBeGreaterThanOrEqual(4);
  });
});

describe('validation of a document seen before', () => {
  it('skips a document that passed every rule, and validates a failing one every time', async () => {
    const { createYoga } = await import('graphql-yoga');
    const { useQueryLimits } = await import('../src/server/guards.ts');
    const yoga = createYoga({ schema: gatewaySchema(), plugins: [useQueryLimits(DEFAULT_LIMITS)] });
    const { parse, validate: validateThrough, schema } = yoga.getEnveloped({});
    const clean = parse('subscription { futuresIndexPrice(symbol: "BTCUSD") { price } }');
    expect(validateThrough(schema, clean)).toEqual([]);
    // The same document object again: remembered as clean, not walked (a field renamed in place goes unseen).
    const [operation] = clean.definitions;
    if (operation?.kind !== 'OperationDefinition') throw new Error('not an operation');
    const [field] = operation.selectionSet.selections;
    if (field?.kind !== 'Field') throw new Error('not a field');
    Object.assign(field, { name: { ...field.name, value: 'noSuchField' } });
    expect(validateThrough(schema, clean)).toEqual([]);
    // A failing document is validated (and refused) each time.
    const failing = parse('subscription { noSuchField }');
    expect(validateThrough(schema, failing)).toHaveLength(1);
    expect(validateThrough(schema, failing)).toHaveLength(1);
    expect(validateThrough(schema, parse('subscription { alsoNoSuchField }'))).toHaveLength(1);
  });
});
