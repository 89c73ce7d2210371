/**
 * The shared subscription path (issue 5): identical subscriptions are executed
 * once per upstream event, not once per subscriber (guarded with counters), and
 * what they receive is byte-identical to the standard graphql-ws path, for
 * every root field, with and without filters.
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_IDS, CHANNELS } from '../src/channels/registry.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import { DEMO_CREDENTIAL, disposeAll, sleep, startTestGateway, waitFor, type TestGateway } from './helpers/gateway.ts';
import { argType } from './helpers/arg-types.ts';
import { eventArgs } from './helpers/example-args.ts';
import { fixtureOptionSymbols } from './helpers/fixture-options.ts';
import { rawSubscribe, type RawSubscriber } from './helpers/raw-ws.ts';
import { selectAll } from './helpers/selection.ts';

const SPEC_TIME = Date.UTC(2023, 4, 26, 6, 0, 0);
const offset = Date.now() - SPEC_TIME;
const specNow = () => Date.now() - offset;
// The frames name options of May 2023 far from the simulated money: the simulator lists them too.
const clock = { now: specNow, simulator: { now: specNow, extraOptions: fixtureOptionSymbols() }, upstream: { now: specNow } };

let shared: TestGateway;
let standard: TestGateway;
/** Contexts built by envelop for graphql-ws subscribers, counted by a plugin (who joins a group must be seen too). */
let contextsBuilt = 0;
const countContexts: Plugin = {
  onContextBuilding({ context }) {
    if ((context as { connectionParams?: unknown }).connectionParams !== undefined) contextsBuilt++;
  },
};
const subscribers: RawSubscriber[] = [];

beforeAll(async () => {
  [shared, standard] = await Promise.all([
    startTestGateway({ ...clock, plugins: [countContexts] }),
    startTestGateway({ ...clock, sharedSubscriptions: false }),
  ]);
  shared.simulator?.faults.pauseTopics(true);
  standard.simulator?.faults.pauseTopics(true);
});
afterAll(async () => {
  for (const s of subscribers) s.close();
  await disposeAll();
});

async function subscribe(gateway: TestGateway, query: string, variables: Record<string, unknown>, params?: Record<string, unknown>) {
  const sub = await rawSubscribe(gateway.wsUrl, query, variables, params);
  subscribers.push(sub);
  return sub;
}

const bookQuery =
  'subscription($symbol: String!, $depth: Int) { futuresOrderBook(symbol: $symbol, depth: $depth) { symbol timestamp bids { price volume } asks { price volume } } }';
const book = (n: number) =>
  JSON.stringify({
    dt: 32,
    c: 20,
    d: {
      s: 'XRPUSD',
      ts: 1685092534839 + n,
      bids: [
        { pr: '0.5', v: n },
        { pr: '0.49', v: 2 },
        { pr: '0.48', v: 3 },
      ],
      asks: [
        { pr: '0.51', v: 1 },
        { pr: '0.52', v: 2 },
        { pr: '0.53', v: 3 },
      ],
    },
  });

describe('one execution per group', () => {
  it('executes each upstream event once per distinct (document, variables), not once per subscriber', async () => {
    const contextsBefore = contextsBuilt;
    const deep = await Promise.all(Array.from({ length: 10 }, () => subscribe(shared, bookQuery, { symbol: 'XRPUSD', depth: 3 })));
    const shallow = await Promise.all(Array.from({ length: 5 }, () => subscribe(shared, bookQuery, { symbol: 'XRPUSD', depth: 1 })));
    await waitFor(() => shared.fanout.stats().members >= 15, 'every member joined');
    expect(shared.fanout.stats().groups).toBe(2);
    // Executed once per group, yet every subscriber went through the plugins' request hooks.
    expect(contextsBuilt - contextsBefore).toBe(15);
    const before = shared.fanout.stats();
    // One book at a time: a state channel conflates a burst to its latest value.
    for (let n = 1; n <= 5; n++) {
      shared.simulator?.sendRaw('futures', book(n));
      await waitFor(() => [...deep, ...shallow].every((s) => s.nexts.length === n), `every subscriber to get book ${n}`);
    }
    const after = shared.fanout.stats();
    expect(after.executions - before.executions).toBe(5 * 2);
    expect(after.deliveries - before.deliveries).toBe(5 * 15);
    const status = await fetch(shared.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ status { sharedSubscriptions { groups members executions } } }' }),
    });
    expect(((await status.json()) as { data: { status: { sharedSubscriptions: unknown } } }).data.status.sharedSubscriptions).toEqual({
      groups: 2,
      members: 15,
      executions: after.executions,
    });
    expect(JSON.parse(deep[0]?.nexts[4] ?? '{}').payload.data.futuresOrderBook.bids).toHaveLength(3);
    expect(JSON.parse(shallow[0]?.nexts[4] ?? '{}').payload.data.futuresOrderBook.bids).toHaveLength(1);
    for (const s of [...deep, ...shallow]) s.close();
    await waitFor(() => shared.fanout.stats().groups === 0, 'groups to end with their last member');
  });

  it('serves a member that joins a live state group the latest value at once', async () => {
    const first = await subscribe(shared, bookQuery, { symbol: 'XRPUSD', depth: 2 });
    await waitFor(() => shared.fanout.stats().members >= 1, 'member');
    shared.simulator?.sendRaw('futures', book(9));
    const ninth = new Date(1685092534839 + 9).toISOString();
    await waitFor(() => first.nexts.at(-1)?.includes(ninth) ?? false, 'the ninth book');
    const late = await subscribe(shared, bookQuery, { symbol: 'XRPUSD', depth: 2 });
    await waitFor(() => late.nexts.length === 1, 'the late member to get the current book');
    expect(late.nexts[0]).toBe(first.nexts.at(-1));
    first.close();
    late.close();
  });
});

interface FixtureCase {
  readonly name: string;
  readonly frame: string;
  readonly events: ReadonlyArray<Record<string, unknown>>;
}

describe('byte-identical to the standard executor', () => {
  it.each(CHANNEL_IDS.map((id) => [id]))('%s', async (id) => {
    const channel = CHANNELS[id];
    const fixture = JSON.parse(readFileSync(new URL(`./fixtures/${id}.json`, import.meta.url), 'utf8')) as { cases: FixtureCase[] };
    const testCase = fixture.cases.find((c) => !/receivedAt/.test(c.name) && c.events.length > 0) as FixtureCase;
    // The example's variables (view arguments and filters included) for the fixture event's topic.
    const variables = eventArgs(channel, testCase.events[0]);
    const names = Object.keys(variables);
    const defs = names.map((n) => `$${n}: ${argType(id, n)}`);
    const query = `subscription${defs.length ? `(${defs.join(', ')})` : ''} { ${id}${names.length ? `(${names.map((n) => `${n}: $${n}`).join(', ')})` : ''} ${selectAll(channel.output.shape)} }`;
    const params = channel.access === 'private' ? DEMO_CREDENTIAL : undefined;
    const received: string[][] = [];
    for (const gateway of [shared, standard]) {
      const sub = await subscribe(gateway, query, variables, params);
      await waitFor(
        () => gateway.simulator?.activeSubscriptions().some((s) => s.market === channel.market && s.dataType === channel.dataType) ?? false,
        'upstream topic',
      );
      await sleep(20);
      gateway.simulator?.sendRaw(channel.market, testCase.frame, channel.access === 'private' ? DEMO_ACCOUNT.apiKey : undefined);
      await sleep(150);
      sub.close();
      received.push(
        sub.nexts.map((text) =>
          text
            .replace(/"timestamp":"[^"]+"/, id === 'accountBalance' ? '"timestamp":"<receipt>"' : '$&')
            // A trade's cursor names its process's window (each gateway has its own).
            .replace(/"cursor":"[^"]+"/g, '"cursor":"<cursor>"'),
        ),
      );
    }
    expect(received[0]?.length).toBeGreaterThan(0);
    expect(received[0]).toEqual(received[1]);
  });
});
