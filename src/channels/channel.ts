/**
 * What a channel is: one upstream (market, dataType) and the GraphQL root
 * field that serves it. A channel file declares its dt codes, arguments,
 * upstream payload, routing key, delivery policy, per-subscriber filter,
 * GraphiQL's example variables and the simulator's hook; `defineChannel`
 * fills in the common defaults.
 */
import type { MarketName } from '../coincall/protocol.ts';
import { parseArgs as parseArgsOf, type ArgsSpec, type ArgValues } from './args.ts';
import type { ChannelExample } from './example-context.ts';
import type { Listing } from './listing.ts';
import { decodeRecord, DecodeError, type DecodeContext, type RecordOf, type Shape } from './fields.ts';
import type { SimulationHook } from './simulation.ts';

/** `state`: conflates to the latest value, served at once to a late subscriber. `event`: every item matters, queued. */
export type Delivery = 'state' | 'event';
export type Access = 'public' | 'private';
/**
 * How a `throttleMs` window merges what arrived in it: `latest` keeps the last
 * value, `latestBySymbol` the last value of each symbol, `concat` every item
 * of every list (newest first).
 */
export type ThrottlePolicy = 'latest' | 'latestBySymbol' | 'concat';
/**
 * The Query twin of a channel (same name as its subscription): `state` answers
 * the latest value, `recentTrades` the latest trades newest first,
 * `latestBySymbol` the latest item of each symbol.
 */
export type TwinKind = 'state' | 'recentTrades' | 'latestBySymbol';

/** Where a subscription goes upstream. */
export interface TopicSpec {
  /** Routing key; frames whose items yield the same key belong to this topic. */
  readonly key: string;
  /** The upstream subscribe payload; none for channels that take none. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A channel with its types erased for registries. Methods (not function
 * properties) keep parameters bivariant so every concrete channel fits.
 */
export interface ChannelDef<Item = unknown, Event = unknown, Args = unknown> {
  /** The GraphQL root field. */
  readonly id: string;
  readonly market: MarketName;
  readonly dataType: string;
  /** Frame `dt` codes of this channel on its market's connection. */
  readonly dt: readonly number[];
  readonly access: Access;
  readonly delivery: Delivery;
  /** How a `throttleMs` window merges events; undefined: the channel takes no `throttleMs`. */
  readonly throttle?: ThrottlePolicy;
  /** The exchange takes several topics in one request (`symbol: [...]`, up to 100). */
  readonly batchable?: boolean;
  readonly description: string;
  readonly args: ArgsSpec;
  /** The channel's Query twin, if it has one. */
  readonly twin: TwinKind | undefined;
  /** The shape of one wire item (`d`, or each element when `d` is an array). */
  readonly item: Shape;
  /** What the root field emits. */
  readonly output: { readonly shape: Shape; readonly list: boolean };
  /** Validates GraphQL arguments (throws BAD_USER_INPUT), against the instrument list when one is given. */
  parseArgs(raw: Readonly<Record<string, unknown>>, now: number, listing?: Listing): Args;
  topic(args: Args): TopicSpec;
  /** Routing key of a decoded item. */
  keyOf(item: Item): string;
  /** Turns one frame's items of one topic into events; `previous` is the topic's last event (state channels). */
  toEvents(items: readonly Item[], previous: Event | undefined): readonly Event[];
  /**
   * The items that give `event` back through `toEvents` (whatever the previous
   * event): how the cluster's engine stores an event, so that every replica's
   * hub rebuilds the same event from it. Default: a list event's elements, or
   * the event itself.
   */
  itemsOf(event: Event): readonly Item[];
  /**
   * A subscriber's view of an event; `null` when the filter leaves nothing.
   * A state channel's view carries its cache identity as `id`: the channel,
   * the event's own id and the view's arguments (viewId).
   */
  filter(event: Event, args: Args): Event | null;
  /** GraphiQL's example operation and its variables. */
  readonly example: ChannelExample;
  /** How the built-in simulator serves this channel. */
  readonly simulate: SimulationHook<object>;
  /** A streaming topic silent this long while its connection lives is resubscribed (none: never). */
  readonly staleAfterMs?: number;
  /** Events carry stable `id`s; items the exchange re-sends after a resubscribe are dropped. */
  readonly dedupeReplays?: boolean;
  /** Each event is a list of trades the resume window retains: each gets a `cursor`, and `after` resumes from one. */
  readonly resumable?: boolean;
}

export type AnyChannel = ChannelDef;

interface ChannelInput<S extends Shape, A extends ArgsSpec, E> {
  readonly id: string;
  readonly market: MarketName;
  readonly dataType: string;
  readonly dt: readonly number[];
  readonly access: Access;
  readonly delivery: Delivery;
  readonly throttle?: ThrottlePolicy;
  readonly batchable?: boolean;
  readonly description: string;
  readonly args: A;
  readonly twin?: TwinKind;
  /** Arguments that shape the view (depth, filters) beyond choosing the topic; part of a state view's `id`. */
  readonly viewArgs?: ReadonlyArray<keyof A & string>;
  readonly item: S;
  readonly output?: { readonly shape: Shape; readonly list: boolean };
  /** Cross-argument checks, after each argument is valid (and listed, when there is a listing). */
  validate?(args: ArgValues<A>, listing: Listing | undefined): void;
  topic(args: ArgValues<A>): TopicSpec;
  keyOf(item: RecordOf<S>): string;
  toEvents?(items: ReadonlyArray<RecordOf<S>>, previous: E | undefined): readonly E[];
  /** See ChannelDef.itemsOf; needed when `toEvents` merges items into a different shape. */
  itemsOf?(event: E): ReadonlyArray<RecordOf<S>>;
  filter?(event: E, args: ArgValues<A>): E | null;
  readonly example: ChannelExample;
  readonly simulate: SimulationHook<object>;
  readonly staleAfterMs?: number;
  readonly dedupeReplays?: boolean;
  readonly resumable?: boolean;
}

export function defineChannel<S extends Shape, A extends ArgsSpec, E = RecordOf<S>>(
  input: ChannelInput<S, A, E>,
): ChannelDef<RecordOf<S>, E, ArgValues<A>> {
  const { validate, toEvents, itemsOf, filter, twin, viewArgs, ...rest } = input;
  const view = filter ?? ((event: E) => event);
  const identified = input.delivery === 'state' && input.output?.list !== true;
  return {
    ...rest,
    twin,
    output: input.output ?? { shape: input.item, list: false },
    parseArgs(raw, now, listing) {
      const args = parseArgsOf(input.args, raw, input.id, now, listing);
      validate?.(args, listing);
      return args;
    },
    toEvents: toEvents ?? ((items) => items as unknown as readonly E[]),
    itemsOf: itemsOf ?? ((event) => (Array.isArray(event) ? event : [event]) as unknown as ReadonlyArray<RecordOf<S>>),
    filter: identified
      ? (event, args) => {
          const seen = view(event, args);
          return seen === null ? null : { ...seen, id: viewId(input.id, seen, args, viewArgs ?? []) };
        }
      : view,
  };
}

/**
 * A state view's cache identity: `futuresOrderBook:BTCUSD:depth=5:group=10`.
 * The same entity and view always give the same id; another depth, group or
 * filter another one, so Apollo's cache keeps each view apart.
 */
export function viewId(channel: string, event: unknown, args: Readonly<Record<string, unknown>>, viewArgs: readonly string[]): string {
  const own = event !== null && typeof event === 'object' && 'id' in event && typeof event.id === 'string' ? event.id : '';
  const parts = [channel, own];
  for (const name of viewArgs) {
    const value = args[name];
    if (value !== undefined) parts.push(`${name}=${String(value)}`);
  }
  return parts.join(':');
}

/** Decodes a frame's `d` into items: each element of an array, or the one object. Throws DecodeError. */
export function decodeItems<Item>(channel: ChannelDef<Item>, d: unknown, ctx: DecodeContext): Item[] {
  if (Array.isArray(d)) return d.map((raw) => decodeRecord(channel.item, raw, ctx) as Item);
  if (d === null || d === undefined) throw new DecodeError(`${channel.item.name}: frame has no data`);
  return [decodeRecord(channel.item, d, ctx) as Item];
}

/** Routing key shared by symbol-keyed channels. */
export const bySymbol = (item: { readonly symbol: string }): string => item.symbol;
