/**
 * The contract's field mapping, end to end, checked against the exchange's own
 * example frames: for every channel, the fixture frames (spec and live forms)
 * are injected upstream and the real graphql-ws client must receive the
 * fixture's expected event under the contract's field names.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyChannel } from '../src/channels/channel.ts';
import { CHANNEL_IDS, CHANNELS } from '../src/channels/registry.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import { argType } from './helpers/arg-types.ts';
import { eventArgs } from './helpers/example-args.ts';
import { fixtureOptionSymbols } from './helpers/fixture-options.ts';
import { DEMO_CREDENTIAL, disposeAll, startTestGateway, take, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';
import { asGraphQL, selectAll } from './helpers/selection.ts';

interface FixtureCase {
  readonly name: string;
  readonly source: string;
  readonly frame: string;
  readonly events: readonly unknown[];
}
interface Fixture {
  /** The receipt time the fixture's expectations assume for records without their own time. */
  readonly receivedAt: number;
  readonly cases: readonly FixtureCase[];
}

/** The spec's examples are from May 2023: run the whole stack on a clock set to then. */
const SPEC_TIME = Date.UTC(2023, 4, 26, 6, 0, 0);
const offset = Date.now() - SPEC_TIME;
const specNow = () => Date.now() - offset;

let gateway: TestGateway;
beforeAll(async () => {
  // The frames name options of May 2023 far from the simulated money: the simulator lists them too.
  gateway = await startTestGateway({
    now: specNow,
    simulator: { now: specNow, extraOptions: fixtureOptionSymbols() },
    // Each case sends its frame to a fresh topic: a window kept from the case before would drop its trades as re-sent.
    upstream: { now: specNow, resumeWindowMs: 1 },
  });
  gateway.simulator?.faults.pauseTopics(true);
});
afterAll(disposeAll);

function operation(channel: AnyChannel, args: Record<string, unknown>) {
  const used = Object.keys(args);
  const defs = used.map((name) => `$${name}: ${argType(channel.id, name) ?? 'String'}`);
  const call = used.length === 0 ? '' : `(${used.map((n) => `${n}: $${n}`).join(', ')})`;
  return {
    query: `subscription${defs.length ? `(${defs.join(', ')})` : ''} { ${channel.id}${call} ${selectAll(channel.output.shape)} }`,
    variables: args,
  };
}

describe.each(CHANNEL_IDS.map((id) => [id]))('%s', (id) => {
  const channel = CHANNELS[id];
  const fixture = JSON.parse(readFileSync(new URL(`./fixtures/${id}.json`, import.meta.url), 'utf8')) as Fixture;
  it.each(fixture.cases.map((c) => [c.name, c]))('%s', async (_name, testCase) => {
    const expected = testCase.events[testCase.events.length - 1] as Record<string, unknown>;
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const upstreamTopic = () => sim.activeSubscriptions().some((s) => s.market === channel.market && s.dataType === channel.dataType);
    // A state topic still lingering from the previous case would serve its last value: start from none.
    await waitFor(() => !upstreamTopic(), 'the previous case to unsubscribe');
    const client = wsClient(gateway.wsUrl, channel.access === 'private' ? DEMO_CREDENTIAL : undefined);
    const op = operation(channel, eventArgs(channel, expected, { topicOnly: true }));
    const received = take(client, op, testCase.events.length);
    await waitFor(upstreamTopic, 'upstream subscription');
    sim.sendRaw(channel.market, testCase.frame, channel.access === 'private' ? DEMO_ACCOUNT.apiKey : undefined);
    const results = await received;
    expect(results.map((r) => r.errors)).toEqual(testCase.events.map(() => undefined));
    const want = testCase.events.map((event) => {
      // A trade's cursor names this process's window: any opaque string.
      const withCursor = (rendered: unknown) =>
        'cursor' in channel.output.shape.fields ? { ...(rendered as object), cursor: expect.any(String) } : rendered;
      if (channel.output.list) return (event as unknown[]).map((item) => withCursor(asGraphQL(channel.output.shape, item)));
      const rendered = asGraphQL(channel.output.shape, event) as Record<string, unknown>;
      // A record without its own time carries the receipt time, which here is now, not the fixture's.
      if ((event as Record<string, unknown>)['timestamp'] === fixture.receivedAt) rendered['timestamp'] = expect.any(String);
      // A state value's id names its view: the root field, then the record's own id (no view arguments here).
      if (channel.delivery === 'state') rendered['id'] = `${channel.id}:${String((event as Record<string, unknown>)['id'])}`;
      return rendered;
    });
    expect(results.map((r) => r.data?.[channel.id])).toEqual(want);
  });
});
