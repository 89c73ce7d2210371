/**
 * Test arguments from the channels' own GraphiQL examples
 * (`channel.example.variables`), so tests keep no per-channel table of
 * arguments: for an underlying, expiry and option of the test's choosing, or
 * for the topic a decoded fixture event belongs to.
 */
import type { AnyChannel } from '../../src/channels/channel.ts';
import { EXAMPLE_UNDERLYING, type ExampleContext } from '../../src/channels/example-context.ts';
import { parseOptionSymbol } from '../../src/coincall/symbols.ts';

/** A channel's example variables for the test's underlying, expiry and option (the current time when `now` is left out). */
export function exampleArgs(
  channel: AnyChannel,
  context: { readonly expiry: string; readonly option: string; readonly underlying?: string; readonly now?: number },
): Record<string, unknown> {
  return { ...channel.example.variables({ now: Date.now(), underlying: EXAMPLE_UNDERLYING, ...context }) };
}

/** A record's field, when it is one. */
const fieldOf = (record: unknown, name: string): unknown =>
  typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>)[name] : undefined;

/** The underlying, expiry and option a decoded event (or the first item of a list event) names. */
function eventContext(event: unknown): ExampleContext {
  const first: unknown = Array.isArray(event) ? event[0] : event;
  const symbol = fieldOf(first, 'symbol');
  const option = typeof symbol === 'string' ? parseOptionSymbol(symbol) : undefined;
  const underlying = fieldOf(first, 'underlying');
  const expiry = fieldOf(first, 'expiry');
  return {
    now: Date.now(),
    underlying:
      typeof underlying === 'string' ? underlying : (option?.underlying ?? (typeof symbol === 'string' ? symbol : EXAMPLE_UNDERLYING)),
    expiry: new Date(typeof expiry === 'number' ? expiry : (option?.expiry ?? 0)).toISOString(),
    option: typeof symbol === 'string' ? symbol : '',
  };
}

/**
 * The channel's example variables for the topic a decoded event belongs to:
 * the example's context taken from the event, and every example variable the
 * event itself carries (a kline's `period`) taken from the event. With
 * `topicOnly`, only the required arguments (the ones that choose the topic):
 * no view arguments such as a depth or a filter.
 */
export function eventArgs(channel: AnyChannel, event: unknown, options: { readonly topicOnly?: boolean } = {}): Record<string, unknown> {
  const first: unknown = Array.isArray(event) ? event[0] : event;
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(channel.example.variables(eventContext(event)))) {
    if (options.topicOnly === true && channel.args[name]?.required !== true) continue;
    const carried = fieldOf(first, name);
    args[name] = typeof carried === 'string' && name !== 'expiry' && name !== 'underlying' ? carried : value;
  }
  return args;
}
