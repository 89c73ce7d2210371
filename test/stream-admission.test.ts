/**
 * Only what actually streams counts against MAX_CONNECTIONS: with the cap
 * reached, a plain query is answered whatever its `Accept` (curl's `*` + `/*`,
 * none, `text/event-stream`), over POST and GET, while a subscription that
 * would stream is refused with 503; an open SSE stream holds its count until
 * it ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { subscriptionCheck } from '../src/server/gates/stream-admission.ts';
import { disposeAll, sleep, startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { closeRawClients, RawClient } from './helpers/graphql-ws-raw.ts';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ config: { limits: { ...DEFAULT_LIMITS, maxConnections: 1 } } });
});
afterAll(async () => {
  closeRawClients();
  await disposeAll();
});

const STATUS = '{ status { mode } }';
const SUBSCRIPTION = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';

function post(query: string, accept: string | undefined, signal?: AbortSignal): Promise<Response> {
  return fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
    body: JSON.stringify({ query }),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** A subscription over SSE, retried while the count of a connection that just closed is still held (its close reaches the server a moment later). */
async function admittedStream(signal?: AbortSignal): Promise<Response> {
  let response = await post(SUBSCRIPTION, 'text/event-stream', signal);
  while (response.status === 503) {
    await response.body?.cancel();
    await sleep(20);
    response = await post(SUBSCRIPTION, 'text/event-stream', signal);
  }
  return response;
}

describe('with MAX_CONNECTIONS reached', () => {
  it('a plain query is answered whatever its Accept; a subscription is refused with 503', async () => {
    const holder = await RawClient.ready(gateway.wsUrl);
    for (const accept of ['*/*', undefined, 'text/event-stream', 'multipart/mixed;subscriptionSpec="1.0", application/json']) {
      const answered = await post(STATUS, accept);
      expect(answered.status, `Accept: ${accept ?? '(none)'}`).toBe(200);
      expect(await answered.text()).toContain('SIMULATED');
    }
    const viaGet = await fetch(`${gateway.url}?query=${encodeURIComponent(STATUS)}`, { headers: { accept: '*/*' } });
    expect(viaGet.status).toBe(200);
    expect(await viaGet.text()).toContain('SIMULATED');

    const refused = await post(SUBSCRIPTION, '*/*');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      errors: [{ extensions: { code: 'LIMIT_EXCEEDED' }, message: expect.stringContaining('MAX_CONNECTIONS') }],
    });
    holder.close();
    await holder.closed;
  });

  it('an open SSE subscription holds its count until it ends', async () => {
    const controller = new AbortController();
    const stream = await admittedStream(controller.signal);
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    await reader?.read();
    const second = await post(SUBSCRIPTION, 'text/event-stream');
    expect(second.status).toBe(503);
    await second.body?.cancel();
    expect((await post(STATUS, '*/*')).status).toBe(200);
    controller.abort();
    await reader?.cancel().catch(() => undefined);
    // Once the stream's response has closed, its count is released.
    const after = await admittedStream();
    expect(after.status).toBe(200);
    await after.body?.cancel();
  });
});

describe('the operation type of a streaming request', () => {
  it('is parsed once per document text, not once per request (a burst of identical subscribes)', () => {
    const isSubscription = subscriptionCheck(DEFAULT_LIMITS.maxTokens);
    for (let i = 0; i < 100; i++) expect(isSubscription({ query: SUBSCRIPTION })).toBe(true);
    expect(isSubscription({ query: STATUS })).toBe(false);
    expect(isSubscription({ query: STATUS })).toBe(false);
    expect(isSubscription.parses).toBe(2);
  });

  it('tells operations of one document apart by name, and a document that does not parse is no subscription', () => {
    const isSubscription = subscriptionCheck(DEFAULT_LIMITS.maxTokens);
    const both = `query Q { status { mode } } ${SUBSCRIPTION.replace('subscription', 'subscription S')}`;
    expect(isSubscription({ query: both, operationName: 'S' })).toBe(true);
    expect(isSubscription({ query: both, operationName: 'Q' })).toBe(false);
    expect(isSubscription({ query: 'subscription {' })).toBe(false);
  });
});
