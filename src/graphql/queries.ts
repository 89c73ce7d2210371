/**
 * The Query twins: for every channel that declares a twin kind, a Query field
 * of the same name, arguments and type, so `useQuery` + `subscribeToMore` work
 * with one selection set and one `variables` object. A twin validates its
 * arguments exactly as the subscription does (same checks against the
 * instrument list, same suggestions) and accepts `throttleMs`, which a
 * snapshot has no use for: it is validated, then ignored.
 *
 * The value comes from the shared upstream topic (the upstream's `snapshot`):
 * - `state`: the latest value, in the same view (filters, depth, group, `id`) a subscriber gets;
 * - `recentTrades`: `[Trade!]!` from the resume window, at most `limit` (default 50, max 100): the
 *   newest, newest first; with `after`, the trades after that cursor, oldest first, and for each
 *   gap of the window the page crossed, `STREAM_INTERRUPTED` beside the trades (`field-notes.ts`);
 * - `latestBySymbol`: `[Position!]!`, the latest of each symbol.
 */
import { DEFAULT_RECENT_TRADES, MAX_RECENT_TRADES } from '../channels/args.ts';
import type { AnyChannel, TwinKind } from '../channels/channel.ts';
import { ALL_CHANNELS } from '../channels/registry.ts';
import type { GraphQLResolveInfo } from 'graphql';
import { gapsOf } from '../hub/trades-query.ts';
import { asGraphQLError, badInput, unauthenticated } from '../lib/errors.ts';
import { isRecord } from '../lib/json.ts';
import { builder, type GatewayContext } from './builder.ts';
import { toGraphQLError } from './error-presentation.ts';
import { noteBeside } from './field-notes.ts';
import { isRows, objectRef, type Row } from './objects.ts';
import { argRef } from './subscriptions.ts';

/** Subscription arguments a query accepts (so one `variables` object serves both) and ignores: how often to send is not a snapshot's business. */
const DELIVERY_ONLY_ARGS: ReadonlySet<string> = new Set(['throttleMs']);

type Args = Readonly<Record<string, unknown>>;

/** The number of recent trades a query asked for, checked. */
function limitOf(raw: unknown, field: string): number {
  if (raw === undefined || raw === null) return DEFAULT_RECENT_TRADES;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_RECENT_TRADES)
    throw badInput(`${field}: "limit" must be an integer from 1 to ${MAX_RECENT_TRADES}, got ${String(raw)}.`);
  return raw;
}

/** What the upstream holds for a channel's twin, for these validated arguments. */
async function snapshotOf(channel: AnyChannel, args: unknown, ctx: GatewayContext, limit: number): Promise<unknown> {
  if (channel.access === 'private' && ctx.credentialProblem !== undefined) throw unauthenticated(ctx.credentialProblem);
  return ctx.upstream.snapshot(channel, args, ctx.credential, { client: ctx.client, limit });
}

/** The answer of one twin kind, from the topic's memory, in the subscriber's view. */
const VIEWS: { readonly [K in TwinKind]: (channel: AnyChannel, value: unknown, args: unknown, limit: number) => unknown } = {
  state(channel, value, args) {
    const view = channel.filter(value, args);
    if (view === null) throw badInput(`${channel.id}: nothing matches these filters right now.`);
    return view;
  },
  recentTrades: (channel, value, args, limit) => {
    const kept = Array.isArray(value) && value.length > 0 ? channel.filter(value, args) : [];
    return Array.isArray(kept) ? kept.slice(0, limit) : [];
  },
  latestBySymbol: (channel, value, args) => (Array.isArray(value) ? value.flatMap((item) => channel.filter(item, args) ?? []) : []),
};

/** Resolves a twin: validate, snapshot, view; expected errors carry their code; gaps a page crossed are noted beside it. */
async function answer<T>(
  channel: AnyChannel,
  kind: TwinKind,
  raw: Args,
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  is: (v: unknown) => v is T,
): Promise<T> {
  try {
    const { limit, ...rest } = raw;
    const count = kind === 'recentTrades' ? limitOf(limit, channel.id) : 0;
    const args = channel.parseArgs(rest, ctx.now(), ctx.instruments);
    const snapshot = await snapshotOf(channel, args, ctx, count);
    const value = VIEWS[kind](channel, snapshot, args, count);
    for (const gap of gapsOf(snapshot)) noteBeside(ctx, info, asGraphQLError(gap.toError('page')));
    if (is(value)) return value;
    throw new Error(`${channel.id}: the topic held ${typeof value}, not what its query serves`);
  } catch (error) {
    throw toGraphQLError(error);
  }
}

for (const channel of ALL_CHANNELS) {
  const kind = channel.twin;
  if (kind === undefined) continue;
  const output = objectRef(channel.output.shape);
  builder.queryField(channel.id, (t) => {
    const args = Object.fromEntries(
      Object.entries(channel.args).map(([name, spec]) =>
        DELIVERY_ONLY_ARGS.has(name)
          ? [
              name,
              argRef(t.arg, {
                ...spec,
                description: `Accepted and ignored by the query (it answers one snapshot), so one \`variables\` object serves \`useQuery\` and \`subscribeToMore\`. ${spec.description}`,
              }),
            ]
          : [name, argRef(t.arg, spec)],
      ),
    );
    const what = {
      recentTrades:
        'the newest retained trades, newest first, even when no subscription is live; with `after`, the trades after that cursor, oldest first (page forward with the last `cursor`)',
      latestBySymbol:
        'every position the account holds, the latest of each symbol (with no live topic, the complete set once a full push period passed after the exchange answered, about 1.5 s; `UPSTREAM_TIMEOUT` if it does not answer)',
      state: 'the latest value',
    }[kind];
    // The key scope the field needs (server/ reads it; it never imports channels/).
    const extensions = { access: channel.access };
    const description = `${channel.description} As a query: ${what}, from the shared upstream topic (subscribed for it when none is live).`;
    if (kind === 'state')
      return t.field({
        type: output,
        description,
        extensions,
        args,
        resolve: (_root, raw, ctx, info): Promise<Row> => answer(channel, kind, raw, ctx, info, isRecord),
      });
    const limit = t.arg.int({
      description: `How many trades at most (1 to ${MAX_RECENT_TRADES}; default ${DEFAULT_RECENT_TRADES}): the newest, or with \`after\` the next ones.`,
    });
    return t.field({
      type: [output],
      description,
      extensions,
      args: kind === 'recentTrades' ? { ...args, limit } : args,
      resolve: (_root, raw, ctx, info): Promise<readonly Row[]> => answer(channel, kind, raw, ctx, info, isRows),
    });
  });
}
