/**
 * Clients choose the credentials of private connections, so the gateway must
 * not let them dictate how often it knocks on the exchange's door: a cap on
 * distinct accounts connected at once, a global handshake budget (LIMIT_EXCEEDED
 * beyond it, before anything goes upstream), and a bounded, expiring memo of
 * refused keys. Against a scripted exchange that counts every upgrade, and end
 * to end over graphql-ws against the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import type { Credential } from '../src/coincall/signing.ts';
import { DEFAULT_LIMITS } from '../src/lib/limits.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import {
  DEFAULT_PRIVATE_HANDSHAKE_BURST,
  DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND,
  type Subscription,
  type Upstream,
  type UpstreamOptions,
} from '../src/sources/coincall/coincall-source.ts';
import { createExpiringSet } from '../src/sources/coincall/admission.ts';
import { STRANGERS_SHARE } from '../src/sources/coincall/private-admission.ts';
import { createTokenBucket } from '../src/lib/token-bucket.ts';
import { ALICE, BOB, credentialOf, disposeAll, startTestGateway, take, waitFor, wsClient } from './helpers/gateway.ts';
import { SERVER_KEY, startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';

const balance = CHANNELS.accountBalance;
const futuresOrders = CHANNELS.futuresOrders;
const madeUp = (i: number): Credential => ({ apiKey: `madeUp${i}+KEY==`, apiSecret: `secret-${i}` });

afterEach(disposeAll);

/** A clock the test moves by hand: the budget refills and memo entries expire only when told. */
function manualClock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function start(overrides: Partial<UpstreamOptions> = {}) {
  // The exchange knows only the server's key: every made-up key is refused with 403.
  const { exchange, upstream } = await startUpstreamOnFakeExchange({ refuse: (url) => url.includes('madeUp') }, overrides);
  const privateUpgrades = () => exchange.upgrades.filter((u) => !u.includes(`apiKey=${SERVER_KEY.apiKey}`)).length;
  return { exchange, upstream, privateUpgrades };
}

/** Subscribes; a synchronous refusal comes back as the thrown error. */
function attempt(up: Upstream, credential: Credential, channel = balance): Subscription | Error {
  try {
    return up.subscribe(channel, channel.parseArgs({}, Date.now()), credential);
  } catch (error) {
    return error as Error;
  }
}

const codeOf = (outcome: Subscription | Error) => (outcome instanceof Error ? (outcome as Error & { code?: string }).code : 'SUBSCRIBED');
const isRefusal = (outcome: Subscription | Error): outcome is Error => outcome instanceof Error;

describe('the handshake budget', () => {
  it("lets 60 made-up keys cost only the strangers' share of the handshake burst with the defaults; the rest get LIMIT_EXCEEDED", async () => {
    // Keys the exchange never accepted may use STRANGERS_SHARE of the global budget; the rest is kept for known accounts.
    const strangersBurst = Math.floor(DEFAULT_PRIVATE_HANDSHAKE_BURST * STRANGERS_SHARE);
    const strangersRate = DEFAULT_PRIVATE_HANDSHAKES_PER_SECOND * STRANGERS_SHARE;
    const clock = manualClock();
    const { upstream, privateUpgrades } = await start({ now: clock.now });
    const outcomes = Array.from({ length: 60 }, (_, i) => attempt(upstream, madeUp(i)));
    const limited = outcomes.filter(isRefusal).filter((o) => codeOf(o) === 'LIMIT_EXCEEDED');
    expect(limited).toHaveLength(60 - strangersBurst);
    expect(limited[0]?.message).toMatch(/too many accounts are connecting/i);
    const admitted = outcomes.filter((o): o is Subscription => !(o instanceof Error));
    for (const sub of admitted) await expect(sub.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(privateUpgrades()).toBe(strangersBurst);

    clock.advance(1_000);
    const nextSecond = Array.from({ length: 60 }, (_, i) => attempt(upstream, madeUp(100 + i)));
    expect(nextSecond.filter((o) => !(o instanceof Error))).toHaveLength(strangersRate);
    await waitFor(() => privateUpgrades() === strangersBurst + strangersRate, 'the second batch of handshakes');
  });

  it('spends no handshake on a subscription that joins a connection already open', async () => {
    const { upstream, exchange } = await start({ privateHandshakeBurst: 1, privateHandshakesPerSecond: 0 });
    const account = { apiKey: 'known+KEY==', apiSecret: 'known-secret' };
    const first = attempt(upstream, account);
    const second = attempt(upstream, account);
    expect(codeOf(first)).toBe('SUBSCRIBED');
    expect(codeOf(second)).toBe('SUBSCRIBED');
    expect(codeOf(attempt(upstream, account, futuresOrders))).toBe('LIMIT_EXCEEDED');
    await waitFor(() => exchange.requests.length === 1, 'one upstream subscribe for the shared topic');
  });

  it('makes private reconnects draw on the same budget, so a reconnect storm holds back new accounts', async () => {
    const { upstream, exchange, privateUpgrades } = await start({ privateHandshakeBurst: 2, privateHandshakesPerSecond: 0 });
    const account = { apiKey: 'known+KEY==', apiSecret: 'known-secret' };
    expect(codeOf(attempt(upstream, account))).toBe('SUBSCRIBED');
    await waitFor(() => exchange.requests.length === 1, 'the private subscribe');
    exchange.dropAll();
    await waitFor(() => privateUpgrades() === 2, 'the private reconnect, on the last token');
    // Every connection back before the second drop, or one still reconnecting would escape it.
    await waitFor(() => exchange.openCount() === 3, 'both public connections and the private one open again');
    exchange.dropAll();
    // Upgrades: 2 public at start, the private one, 2 public and 1 private after the first drop, 2 public after the second.
    await waitFor(() => exchange.upgrades.length === 2 + 1 + 3 + 2, 'the public connections back (they are not rationed)');
    const privateState = () => upstream.status().connections.find((c) => c.access === 'private')?.state;
    expect(privateState()).toBe('backoff');
    expect(codeOf(attempt(upstream, { apiKey: 'other+KEY==', apiSecret: 'other-secret' }))).toBe('LIMIT_EXCEEDED');
  });
});

describe('the cap on accounts connected at once', () => {
  it('refuses a new account past the cap before any handshake, admits more markets of a connected one, and frees a slot when one leaves', async () => {
    const { upstream, exchange } = await start({ maxPrivateCredentials: 2 });
    const [a, b, c] = [1, 2, 3].map((i) => ({ apiKey: `account${i}+KEY==`, apiSecret: `account-secret-${i}` })) as [
      Credential,
      Credential,
      Credential,
    ];
    const subA = attempt(upstream, a);
    const subB = attempt(upstream, b);
    const refused = attempt(upstream, c);
    expect(codeOf(refused)).toBe('LIMIT_EXCEEDED');
    expect(isRefusal(refused) && refused.message).toMatch(/already serves private channels for 2 accounts/);
    const subAFutures = attempt(upstream, a, futuresOrders);
    expect(codeOf(subAFutures)).toBe('SUBSCRIBED');
    expect(upstream.status().privateCredentials).toBe(2);
    expect(exchange.upgrades.filter((u) => u.includes(c.apiKey))).toEqual([]);

    for (const sub of [subA, subAFutures]) if (!(sub instanceof Error)) await sub.events.return();
    await waitFor(() => upstream.status().privateCredentials === 1, "the first account's connections to close after the linger");
    expect(codeOf(attempt(upstream, c))).toBe('SUBSCRIBED');
    if (!(subB instanceof Error)) await subB.events.return();
  });
});

describe('the memo of refused keys', () => {
  it('fails a refused key fast, forgets the oldest past its size, and forgets every key after its time to live', async () => {
    const clock = manualClock();
    const { upstream, privateUpgrades } = await start({ now: clock.now, maxRefusedCredentials: 2, refusedCredentialTtlMs: 30_000 });
    for (const i of [1, 2, 3]) {
      const sub = attempt(upstream, madeUp(i));
      if (sub instanceof Error) throw sub;
      await expect(sub.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(privateUpgrades()).toBe(3);
    expect(upstream.status().refusedCredentials).toBe(2);

    expect(codeOf(attempt(upstream, madeUp(3)))).toBe('FORBIDDEN');
    expect(privateUpgrades()).toBe(3);
    // Key 1 was the oldest: forgotten when key 3 came in, so it costs one more handshake.
    const again = attempt(upstream, madeUp(1));
    if (again instanceof Error) throw again;
    await expect(again.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(privateUpgrades()).toBe(4);

    clock.advance(30_000);
    expect(upstream.status().refusedCredentials).toBe(0);
    const afterExpiry = attempt(upstream, madeUp(3));
    if (afterExpiry instanceof Error) throw afterExpiry;
    await expect(afterExpiry.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(privateUpgrades()).toBe(5);
  });
});

describe('over graphql-ws against the simulator', () => {
  it('answers made-up keys past the handshake budget with LIMIT_EXCEEDED, and only the budget reaches the exchange', async () => {
    // Strangers may use half the burst of 6: 3 handshakes.
    const gateway = await startTestGateway({
      upstream: { privateHandshakeBurst: 6, privateHandshakesPerSecond: 0, privateHandshakesPerSecondPerAddress: 100 },
    });
    const query = { query: 'subscription { accountBalance { equity } }' };
    const codes: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const [result] = await take(wsClient(gateway.wsUrl, credentialOf(madeUp(i))), query, 1);
      codes.push(result?.errors?.[0]?.extensions?.['code']);
    }
    expect(codes).toEqual([...Array(3).fill('FORBIDDEN'), ...Array(7).fill('LIMIT_EXCEEDED')]);
    expect(gateway.logs.lines.filter((l) => l.msg === 'upstream refused the credential')).toHaveLength(3);
  });

  it('answers a second account past UPSTREAM_MAX_PRIVATE_ACCOUNTS=1 with LIMIT_EXCEEDED naming the variable, while the first streams', async () => {
    const gateway = await startTestGateway({
      config: { limits: { ...DEFAULT_LIMITS, upstreamMaxPrivateAccounts: 1 } },
      simulator: { accounts: [DEMO_ACCOUNT, ALICE, BOB] },
    });
    const query = { query: 'subscription { accountBalance { userId } }' };
    const alice = take(wsClient(gateway.wsUrl, credentialOf(ALICE)), query, 3);
    await waitFor(
      () => gateway.simulator?.activeSubscriptions().some((s) => s.apiKey === ALICE.apiKey) === true,
      "Alice's subscription upstream",
    );
    const [bob] = await take(wsClient(gateway.wsUrl, credentialOf(BOB)), query, 1);
    expect(bob?.errors?.[0]).toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED' } });
    expect(bob?.errors?.[0]?.message).toContain('UPSTREAM_MAX_PRIVATE_ACCOUNTS');
    const streamed = await alice;
    expect(streamed).toHaveLength(3);
    for (const r of streamed) expect(r.data?.['accountBalance']).toMatchObject({ userId: ALICE.userId });
    expect(gateway.simulator?.requests.some((r) => r.apiKey === BOB.apiKey)).toBe(false);
  });
});

describe('admission structures', () => {
  it('a token bucket gives its burst, then refills at its rate, and queues reservations behind each other', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ ratePerSecond: 4, burst: 2, now: clock.now });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    clock.advance(250);
    expect(bucket.tryTake()).toBe(true);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([250, 500, 750]);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(10_000);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it('an expiring set stays within its size and drops entries once they expire', () => {
    const clock = manualClock();
    const set = createExpiringSet({ ttlMs: 100, maxSize: 3, now: clock.now });
    for (const key of ['a', 'b', 'c', 'd']) {
      set.add(key);
      clock.advance(10);
    }
    expect(['a', 'b', 'c', 'd'].map((k) => set.has(k))).toEqual([false, true, true, true]);
    set.add('b');
    clock.advance(85);
    expect(['b', 'c', 'd'].map((k) => set.has(k))).toEqual([true, false, true]);
    expect(set.size()).toBe(2);
    clock.advance(1_000);
    expect(set.size()).toBe(0);
  });
});
