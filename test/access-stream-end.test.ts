/**
 * A key's SSE and multipart subscriptions end in band, never cut, when the
 * key is revoked (it leaves the keys file: within 5 s) or its token expires
 * (at expiry): a last SSE `next` event or multipart part carrying an
 * `UNAUTHENTICATED` error that says why, then the stream's own end (SSE's `complete` event, multipart's
 * closing delimiter). Subscriptions that share one execution (the fan-out)
 * and ones that run alone (a resume from a cursor) alike; another key's
 * streams go on. graphql-ws sockets close with 4403 and the reason
 * (access-limits, access-jwt).
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_REVOKED_MESSAGE, TOKEN_EXPIRED_MESSAGE } from '../src/server/access/stream-ending.ts';
import { bearer, jwtGateway, keysFileText, signToken, writeKeysFile } from './helpers/access.ts';
import { disposeAll, startTestGateway, waitFor } from './helpers/gateway.ts';
import {
  MULTIPART_ACCEPT,
  MULTIPART_END,
  multipartParts,
  openHttpStream,
  SSE_ACCEPT,
  sseEvents,
  type HttpStream,
} from './helpers/http-stream.ts';

const KEY_A = 'ke_partner_a_0123456789abcdefghijk';
const KEY_B = 'ke_partner_b_0123456789abcdefghijk';
const PRICE = { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' };
const TRADES = 'subscription Trades($after: String) { futuresTrades(symbol: "BTCUSD", after: $after) { cursor } }';
/** Each test's streams must end within this (the contract's bound for a revoked key). */
const END_WITHIN_MS = 5_000;

afterEach(disposeAll);

const unauthenticated = (message: string) => [{ message, extensions: { code: 'UNAUTHENTICATED' } }];

/** Whether an SSE stream has delivered a `next` event. */
const sseStarted = (stream: HttpStream) => () => sseEvents(stream.text()).some((e) => e.event === 'next');
/** Whether a multipart stream has delivered a payload part. */
const multipartStarted = (stream: HttpStream) => () =>
  multipartParts(stream.text()).some((p) => JSON.stringify(p).startsWith('{"payload":'));

/** Waits for an SSE stream to end and checks its last word: a `next` event with the error, then `complete`. */
async function expectSseEndedInBand(stream: HttpStream, message: string, withinMs: number): Promise<void> {
  await waitFor(() => stream.ended(), 'the SSE stream to end', withinMs);
  const events = sseEvents(stream.text());
  expect(events.at(-1)).toEqual({ event: 'complete', data: '' });
  expect(events.at(-2)?.event).toBe('next');
  expect(JSON.parse(events.at(-2)?.data ?? 'null')).toEqual({ errors: unauthenticated(message) });
}

/** Waits for a multipart stream to end and checks its last word: a part with the error, then the end. */
async function expectMultipartEndedInBand(stream: HttpStream, message: string, withinMs: number): Promise<void> {
  await waitFor(() => stream.ended(), 'the multipart stream to end', withinMs);
  expect(stream.text().endsWith(MULTIPART_END)).toBe(true);
  expect(multipartParts(stream.text()).at(-1)).toEqual({ payload: { errors: unauthenticated(message) } });
}

/** The cursor of the first trade a stream of key `key` delivers (for a subscription that resumes, and so runs alone). */
async function firstCursor(url: string, key: string): Promise<string> {
  const stream = await openHttpStream(url, SSE_ACCEPT, { query: TRADES }, bearer(key));
  let cursor: string | undefined;
  await waitFor(() => {
    for (const event of sseEvents(stream.text())) {
      const rows: unknown = (JSON.parse(event.data) as { data?: { futuresTrades?: unknown } }).data?.futuresTrades;
      const found: unknown = Array.isArray(rows) ? (rows[0] as { cursor?: unknown } | undefined)?.cursor : undefined;
      if (typeof found === 'string') cursor = found;
    }
    return cursor !== undefined;
  }, 'a trade with its cursor');
  stream.close();
  return cursor ?? '';
}

describe('a revoked key', () => {
  it('ends its SSE and multipart streams in band within 5 s, shared or alone, and leaves the other key streaming', async () => {
    const keysFile = writeKeysFile([
      { id: 'partner-a', key: KEY_A },
      { id: 'partner-b', key: KEY_B },
    ]);
    const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
    const after = await firstCursor(gateway.url, KEY_A);
    const resume = { query: TRADES, variables: { after } };
    const sse = await openHttpStream(gateway.url, SSE_ACCEPT, PRICE, bearer(KEY_A));
    const multipart = await openHttpStream(gateway.url, MULTIPART_ACCEPT, PRICE, bearer(KEY_A));
    const sseAlone = await openHttpStream(gateway.url, SSE_ACCEPT, resume, bearer(KEY_A));
    const multipartAlone = await openHttpStream(gateway.url, MULTIPART_ACCEPT, resume, bearer(KEY_A));
    const other = await openHttpStream(gateway.url, SSE_ACCEPT, PRICE, bearer(KEY_B));
    for (const stream of [sse, multipart, sseAlone, multipartAlone, other]) expect(stream.status).toBe(200);
    await waitFor(sseStarted(sse), 'the SSE stream');
    await waitFor(multipartStarted(multipart), 'the multipart stream');
    await waitFor(sseStarted(other), "the other key's SSE stream");

    const started = Date.now();
    writeFileSync(keysFile, keysFileText([{ id: 'partner-b', key: KEY_B }]));
    const within = () => Math.max(0, END_WITHIN_MS - (Date.now() - started));
    await expectSseEndedInBand(sse, KEY_REVOKED_MESSAGE, within());
    await expectMultipartEndedInBand(multipart, KEY_REVOKED_MESSAGE, within());
    await expectSseEndedInBand(sseAlone, KEY_REVOKED_MESSAGE, within());
    await expectMultipartEndedInBand(multipartAlone, KEY_REVOKED_MESSAGE, within());

    // The other key's stream goes on: another event arrives after the revocation.
    const seen = sseEvents(other.text()).length;
    await waitFor(() => sseEvents(other.text()).length > seen, "the other key's next event");
    expect(other.ended()).toBe(false);
    for (const stream of [sse, multipart, sseAlone, multipartAlone]) expect(stream.text()).not.toContain(KEY_A);
    expect(gateway.logs.text()).not.toContain(KEY_A);
    other.close();
  });
});

describe('an expired token', () => {
  it('ends its SSE and multipart streams in band when it expires', async () => {
    const { gateway, privateKey } = await jwtGateway();
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await signToken(privateKey, { exp });
    const sse = await openHttpStream(gateway.url, SSE_ACCEPT, PRICE, bearer(token));
    const multipart = await openHttpStream(gateway.url, MULTIPART_ACCEPT, PRICE, bearer(token));
    expect([sse.status, multipart.status]).toEqual([200, 200]);
    await waitFor(sseStarted(sse), 'the SSE stream');
    await waitFor(multipartStarted(multipart), 'the multipart stream');
    const untilExpiry = exp * 1000 - Date.now();
    await expectSseEndedInBand(sse, TOKEN_EXPIRED_MESSAGE, untilExpiry + END_WITHIN_MS);
    await expectMultipartEndedInBand(multipart, TOKEN_EXPIRED_MESSAGE, Math.max(0, exp * 1000 + END_WITHIN_MS - Date.now()));
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    const signature = token.split('.')[2] ?? token;
    expect(sse.text() + multipart.text()).not.toContain(signature);
  });
});
