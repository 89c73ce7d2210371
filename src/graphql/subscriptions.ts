/**
 * The subscription root fields, one per channel of the registry, with their
 * arguments and output types taken from the channel definitions.
 *
 * A subscription validates its arguments (BAD_USER_INPUT before anything goes
 * upstream), joins the shared upstream topic, waits for the exchange to
 * accept it (UPSTREAM_REJECTED, FORBIDDEN otherwise) and then streams the
 * subscriber's filtered view.
 */
import type { ArgType } from '../channels/args.ts';
import type { AnyChannel } from '../channels/channel.ts';
import { KlinePeriod, OptionType, TradeSide } from '../channels/enums.ts';
import { ALL_CHANNELS } from '../channels/registry.ts';
import { GatewayError } from '../lib/errors.ts';
import { builder, type GatewayContext } from './builder.ts';
import { enumRef } from './enums.ts';
import { StreamFailure, toGraphQLError } from './errors.ts';
import { objectRef } from './objects.ts';

function argType(type: ArgType): unknown {
  switch (type) {
    case 'KlinePeriod':
      return enumRef(KlinePeriod);
    case 'TradeSide':
      return enumRef(TradeSide);
    case 'OptionType':
      return enumRef(OptionType);
    case '[String!]':
      return ['String'];
    default:
      return type;
  }
}

/** Opens the subscriber's stream; throws GraphQL errors for bad input, missing credentials and refusals. */
export async function openStream(channel: AnyChannel, rawArgs: Readonly<Record<string, unknown>>, ctx: GatewayContext) {
  try {
    const args = channel.parseArgs(rawArgs, ctx.now());
    if (channel.access === 'private' && ctx.credentialProblem !== undefined)
      throw new GatewayError('UNAUTHENTICATED', ctx.credentialProblem);
    const subscription = ctx.upstream.subscribe(channel, args, ctx.credential, { failureValue: (e) => new StreamFailure(e) });
    try {
      await subscription.ready;
    } catch (error) {
      await subscription.events.return();
      throw error;
    }
    return subscription.events;
  } catch (error) {
    throw toGraphQLError(error);
  }
}

/** Resolves one streamed value; a failure ends the stream with an error result. */
export function resolveEvent(value: unknown): unknown {
  if (value instanceof StreamFailure) throw toGraphQLError(value.error);
  return value;
}

for (const channel of ALL_CHANNELS) {
  const output = objectRef(channel.output.shape);
  builder.subscriptionField(channel.id, (t) =>
    t.field({
      type: (channel.output.list ? [output] : output) as never,
      description: `${channel.description} (Coincall ${channel.market} \`${channel.dataType}\`${channel.access === 'private' ? ', private: needs your API key' : ''}.)`,
      args: Object.fromEntries(
        Object.entries(channel.args).map(([name, spec]) => [
          name,
          t.arg({
            type: argType(spec.type) as 'String',
            required: spec.type === '[String!]' ? { list: spec.required, items: true } : spec.required,
            description: spec.description,
          } as never),
        ]),
      ),
      // How the server treats a slow subscriber of this field (server/ reads it; it never imports channels/).
      extensions: { delivery: channel.delivery },
      subscribe: (_root: unknown, args: Record<string, unknown>, ctx: GatewayContext) => openStream(channel, args, ctx),
      resolve: (value: unknown) => resolveEvent(value),
    } as never),
  );
}
