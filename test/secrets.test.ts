/**
 * Secrets never leave the gateway: across a session with successful private
 * subscriptions (graphql-ws and SSE), refused credentials (an unknown key, a
 * known key with a wrong secret) and `status` queries, every log line at every
 * level, every GraphQL response and the status output are searched for each
 * secret and each full key (also URL-encoded). Keys may appear only masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import {
  ALICE,
  BOB,
  credentialHeaders,
  credentialOf,
  disposeAll,
  postGraphQL,
  sse,
  startTestGateway,
  take,
  wsClient,
  type TestGateway,
} from './helpers/gateway.ts';

const UNKNOWN = { apiKey: 'zzzzUnknownKey+AAAA/BBBB==', apiSecret: 'unknown-SECRET-0a1b2c3d4e' };
const WRONG_SECRET = { apiKey: BOB.apiKey, apiSecret: 'bob-WRONG-secret-9z8y7x' };

const STATUS =
  '{ status { mode connections { market access state reconnects } topics { channel key subscribers } privateTopics droppedFrames { unknownDt undecodable unrouted } } }';
const balance = { query: 'subscription { accountBalance { userId equity } }' };
const orders = { query: 'subscription { optionOrders { userId orderId } }' };
const positions = { query: 'subscription { futuresPositions { userId symbol } }' };

let gateway: TestGateway;
/** Everything a client saw during the session, as text. */
const seen: string[] = [];

beforeAll(async () => {
  // Six private connections open at once from one address, none of an account accepted before: room in the handshake budgets.
  gateway = await startTestGateway({ simulator: { accounts: [DEMO_ACCOUNT, ALICE, BOB] }, upstream: { privateHandshakeBurst: 20 } });
  const alice = wsClient(gateway.wsUrl, credentialOf(ALICE));
  const results = await Promise.all([
    take(alice, balance, 2),
    take(alice, positions, 1),
    take(alice, orders, 100, 600),
    sse(gateway.url, balance, 1, credentialHeaders(BOB)),
    sse(gateway.url, positions, 1, credentialHeaders(BOB)),
    take(wsClient(gateway.wsUrl, credentialOf(UNKNOWN)), balance, 1),
    take(wsClient(gateway.wsUrl, credentialOf(WRONG_SECRET)), positions, 1),
    sse(gateway.url, orders, 1, credentialHeaders(UNKNOWN)),
    // Credentials sent with a query that does not need them, and a malformed pair.
    postGraphQL(gateway.url, { query: STATUS }, credentialHeaders(ALICE)),
    take(wsClient(gateway.wsUrl, { apiKey: ALICE.apiKey, apiSecret: 42 }), balance, 1),
    postGraphQL(gateway.url, { query: '{ nope }' }, credentialHeaders(BOB)),
  ]);
  for (const r of results) seen.push(JSON.stringify(r));
  const status = await postGraphQL(gateway.url, { query: STATUS });
  seen.push(JSON.stringify(status));
  const statusWs = await take(wsClient(gateway.wsUrl, credentialOf(ALICE)), { query: STATUS }, 1);
  seen.push(JSON.stringify(statusWs));
});
afterAll(disposeAll);

const secrets = [ALICE.apiSecret, BOB.apiSecret, UNKNOWN.apiSecret, WRONG_SECRET.apiSecret];
const keys = [ALICE.apiKey, BOB.apiKey, UNKNOWN.apiKey];
const forbidden = [...secrets, ...keys, ...[...secrets, ...keys].map(encodeURIComponent)];

describe('the session itself', () => {
  it('subscribed successfully and was refused as intended', () => {
    const all = seen.join('\n');
    expect(all).toContain(ALICE.userId);
    expect(all).toContain(BOB.userId);
    expect(all).toContain('"FORBIDDEN"');
    expect(all).toContain('"UNAUTHENTICATED"');
    expect(gateway.logs.lines.some((l) => l.level === 'debug')).toBe(true);
  });
});

describe('no secret and no full key anywhere', () => {
  it.each(forbidden.map((s) => [s]))('logs (every level) never contain %s', (secret) => {
    expect(gateway.logs.text()).not.toContain(secret);
  });

  it.each(forbidden.map((s) => [s]))('GraphQL responses and status never contain %s', (secret) => {
    expect(seen.join('\n')).not.toContain(secret);
  });

  it('shows keys masked to their first 4 characters where it names them', () => {
    const text = `${gateway.logs.text()}\n${seen.join('\n')}`;
    expect(text).toContain(`${UNKNOWN.apiKey.slice(0, 4)}…`);
    expect(text).toContain(`${BOB.apiKey.slice(0, 4)}…`);
    expect(text).not.toContain(UNKNOWN.apiKey.slice(0, 8));
  });
});
