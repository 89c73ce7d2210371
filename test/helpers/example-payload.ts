/**
 * The upstream subscribe payload the gateway sends for a channel's GraphiQL
 * example, valid now on the simulator: tests that subscribe to every channel
 * at the simulator use it instead of keeping their own table of channels.
 */
import type { AnyChannel } from '../../src/channels/channel.ts';
import { exampleContext } from '../../src/channels/example-context.ts';
import { underlyingSpec } from '../../src/simulator/instrument-specs.ts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Example variables as GraphQL hands them to a resolver: a DateTime as epoch ms. */
function coerced(variables: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' && ISO_INSTANT.test(v) ? Date.parse(v) : v]),
  );
}

export function examplePayload(channel: AnyChannel, now = Date.now()): Readonly<Record<string, unknown>> | undefined {
  const variables = channel.example.variables(exampleContext({ now, referencePrice: underlyingSpec('BTCUSD')?.startPrice }));
  return channel.topic(channel.parseArgs(coerced(variables), now)).payload;
}
