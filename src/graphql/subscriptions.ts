/**
 * The subscription root fields, one per channel of the registry, with their
 * arguments and output types taken from the channel definitions.
 *
 * A subscription validates its arguments (BAD_USER_INPUT before anything goes
 * upstream), joins the shared upstream topic, waits for the exchange to
 * accept it (UPSTREAM_REJECTED, FORBIDDEN otherwise) and then streams the
 * subscriber's filtered view.
 */
import type { ArgBuilder, GenericInputFieldRef } from '@pothos/core';
import { throttleMsOf, type ArgSpec, type PlainArgKind } from '../channels/args.ts';
import type { AnyChannel } from '../channels/channel.ts';
import { ALL_CHANNELS } from '../channels/registry.ts';
import { unauthenticated } from '../lib/errors.ts';
import { eventTimeFor } from '../lib/event-time.ts';
import { isRecord } from '../lib/json.ts';
import { throttle } from '../hub/throttle.ts';
import { builder, type GatewayContext } from './builder.ts';
import { enumRef } from './enum-types.ts';
import { StreamFailure, StreamInterruption, toGraphQLError } from './error-presentation.ts';
import { isRows, objectRef, type Row } from './objects.ts';
import type { GatewayTypes } from './schema-types.ts';

/** The GraphQL input type of each single-value argument kind; enums take their table's enum, `stringList` is `[String!]`. */
const ARG_SCALARS: Readonly<Record<Exclude<PlainArgKind, 'stringList'>, 'String' | 'Int' | 'Float' | 'Decimal' | 'DateTime'>> = {
  string: 'String',
  int: 'Int',
  float: 'Float',
  decimal: 'Decimal',
  dateTime: 'DateTime',
};

/** An argument of a root field, from its spec (kind, requiredness, description). */
export function argRef(arg: ArgBuilder<GatewayTypes>, spec: ArgSpec): GenericInputFieldRef {
  const { required, description } = spec;
  switch (spec.kind) {
    case 'enum':
      return arg({ type: enumRef(spec.enumDef), required, description });
    case 'stringList':
      return arg.stringList({ required: { list: required, items: true }, description });
    default:
      return arg({ type: ARG_SCALARS[spec.kind], required, description });
  }
}

/** Opens the subscriber's stream; throws GraphQL errors for bad input, missing credentials and refusals. */
export async function openStream(channel: AnyChannel, rawArgs: Readonly<Record<string, unknown>>, ctx: GatewayContext) {
  try {
    const args = channel.parseArgs(rawArgs, ctx.now(), ctx.instruments);
    if (channel.access === 'private' && ctx.credentialProblem !== undefined) throw unauthenticated(ctx.credentialProblem);
    // The frame `ts` of each value the execution takes, for the transport's delivery-latency metric.
    const time = eventTimeFor(ctx);
    const subscription = ctx.upstream.subscribe(channel, args, ctx.credential, {
      failureValue: (e) => new StreamFailure(e),
      onTake: (frameTs) => time.mark(frameTs),
      ...(ctx.client === undefined ? {} : { client: ctx.client }),
    });
    try {
      await subscription.ready;
    } catch (error) {
      await subscription.events.return();
      throw error;
    }
    const windowMs = throttleMsOf(args);
    if (windowMs === undefined || channel.throttle === undefined) return subscription.events;
    return throttle(subscription.events, { policy: channel.throttle, windowMs, isSignal: (v) => v instanceof StreamFailure });
  } catch (error) {
    throw toGraphQLError(error);
  }
}

/**
 * Resolves one streamed value (a record, or a list of them). A failure ends the
 * stream with an error result; an interruption becomes one result with a
 * STREAM_INTERRUPTED error (data null) and the stream goes on.
 */
export function resolveEvent<T>(value: unknown, is: (value: unknown) => value is T): T {
  if (value instanceof StreamFailure) throw toGraphQLError(value.error);
  if (value instanceof StreamInterruption) throw toGraphQLError(value.toError());
  if (is(value)) return value;
  throw new Error(`a channel emitted ${value === null ? 'null' : typeof value}, not what its root field serves`);
}

for (const channel of ALL_CHANNELS) {
  const output = objectRef(channel.output.shape);
  builder.subscriptionField(channel.id, (t) => {
    const options = {
      description: `${channel.description} (Coincall ${channel.market} \`${channel.dataType}\`${channel.access === 'private' ? ', private: needs your API key' : ''}.)`,
      args: Object.fromEntries(Object.entries(channel.args).map(([name, spec]) => [name, argRef(t.arg, spec)])),
      // How the server treats a slow subscriber of this field, and the key scope it needs (server/ reads them; it never imports channels/).
      // `resumable`: a subscription with `after` replays its own trades first, so it is never shared.
      extensions: { delivery: channel.delivery, resumable: channel.resumable === true, access: channel.access },
      subscribe: (_root: unknown, args: Readonly<Record<string, unknown>>, ctx: GatewayContext) => openStream(channel, args, ctx),
    };
    return channel.output.list
      ? t.field({ ...options, type: [output], resolve: (value): readonly Row[] => resolveEvent(value, isRows) })
      : t.field({ ...options, type: output, resolve: (value): Row => resolveEvent(value, isRecord) });
  });
}
