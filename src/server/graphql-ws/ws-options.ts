/**
 * graphql-ws's server options for the gateway. `onSubscribe` enforces the
 * per-connection subscription cap, sends every subscriber through envelop
 * (`ws-envelop.ts`; joiners of a running group included) and records what
 * `execute`/`subscribe` need of the operation (envelop's runners and, for a
 * shareable subscription, its share: group key, delivery policy, member) in a
 * table keyed by the operation's own `ExecutionArgs`, the one object that
 * graphql-ws hands from `onSubscribe` to `subscribe` (which receives nothing
 * else: no socket, no id). `rootValue` carries nothing. A subscription field's
 * delivery policy comes from its GraphQL `extensions.delivery`. Subscriptions
 * that run on graphql-ws's own path are recorded in `unshared` (`ws-unshared.ts`).
 */
import type { ExecutionArgs } from 'graphql';
import type { OperationResult, ServerOptions, SubscribePayload } from 'graphql-ws';
import { deliveryOf, resumesFromCursor, shareKey, type Share } from '../fanout/share.ts';
import type { GatewayLimits } from '../../lib/limits.ts';
import { credentialFromConnectionParams } from '../context.ts';
import { eventTimeOf } from '../../lib/event-time.ts';
import type { Fanout, FanoutRun } from '../fanout/fanout-types.ts';
import { wsMember } from './ws-sink.ts';
import type { UnsharedOperations } from './ws-unshared.ts';
import { rootFieldOf, UNKNOWN_FIELD } from '../root-field.ts';
import { tooManySubscriptions } from '../guards.ts';
import type { WsExtra } from './ws-adapter.ts';
import { isErrors, prepareOperation, type Prepared, type WsContext } from './ws-envelop.ts';
import { withoutInternals } from '../result-json.ts';
import type { ClientRef } from '../../sources/coincall/coincall-source.ts';
import { clientOf } from '../gates/client-identity.ts';
import type { GatewayMetrics, LatencyObserver, LiveSubscriptions } from '../metrics/metrics.ts';
import type { GatewayYoga } from '../yoga.ts';
import { codesOf, namedOnly, summarize, type ClientLog } from '../client-log.ts';

/** What `execute`/`subscribe` need of an operation that `onSubscribe` prepared. */
interface Operation {
  readonly execute: (args: ExecutionArgs) => OperationResult;
  readonly subscribe: (args: ExecutionArgs) => OperationResult;
  /** Set when it may share one execution with identical ones. */
  readonly share: Share | undefined;
}

export interface WsOptionsSetup {
  readonly yoga: GatewayYoga;
  readonly fanout: Fanout;
  readonly limits: GatewayLimits;
  /** Share one execution among identical subscriptions (`false`: graphql-ws's standard path for each). */
  readonly sharedSubscriptions: boolean;
  /** Live subscriptions and messages for `/metrics` (counted per subscription, plain counters per message). */
  readonly metrics?: GatewayMetrics;
  /** Connections, subscriptions and refusals at debug. */
  readonly clientLog?: ClientLog;
  /** Where subscriptions on graphql-ws's own path are recorded (a stuck socket's are ended in band). */
  readonly unshared?: UnsharedOperations;
}

/** Each socket's client identity: an id of its own and its address. */
const socketClients = new WeakMap<object, ClientRef>();
let sockets = 0;

/**
 * Makes the socket the client of an operation that will execute (the context
 * factory cannot see the socket). Only then: a member joining a running group
 * executes nothing, and its socket needs no client identity for it.
 */
function asSocketClient(ctx: WsContext, prepared: Prepared): Prepared {
  let client = socketClients.get(ctx.extra.socket);
  if (client === undefined)
    socketClients.set(ctx.extra.socket, (client = clientOf({ socket: ++sockets, address: ctx.extra.request.address })));
  const context = prepared.args.contextValue;
  if (typeof context === 'object' && context !== null) Object.assign(context, { client });
  return prepared;
}

export function createWsOptions({
  yoga,
  fanout,
  limits,
  sharedSubscriptions,
  metrics,
  clientLog,
  unshared,
}: WsOptionsSetup): ServerOptions<Record<string, unknown> | undefined, WsExtra> {
  // Entries live from `onSubscribe` to `execute`/`subscribe` (or go with their arguments).
  const operations = new WeakMap<ExecutionArgs, Operation>();
  const take = (args: ExecutionArgs): Operation => {
    const operation = operations.get(args);
    if (operation === undefined) throw new Error('graphql-ws ran an operation that onSubscribe did not prepare');
    operations.delete(args);
    return operation;
  };

  /** A joiner whose group ended before it was attached takes the standard path after all. */
  const late = async (ctx: WsContext, payload: SubscribePayload): Promise<Awaited<OperationResult>> => {
    const prepared = await prepareOperation(yoga, ctx, payload);
    return isErrors(prepared) ? { errors: prepared } : await asSocketClient(ctx, prepared).subscribe(prepared.args);
  };

  // Operations run on graphql-ws's own path (not shared), for `unshared`.
  const standalone = new WeakSet<ExecutionArgs>();

  // Live subscriptions for metrics, released by graphql-ws's `onComplete` (it runs for every end). Keyed by
  // the subscribe message's payload, the one object graphql-ws hands to both hooks of an operation.
  // The entry is the shared count itself: nothing is allocated per subscription.
  const counted = new WeakMap<SubscribePayload, LiveSubscriptions>();
  const release = (payload: SubscribePayload) => {
    const count = counted.get(payload);
    if (count === undefined) return;
    counted.delete(payload);
    metrics?.subscriptionClosed(count);
  };

  // An unshared subscription's latency observer, bound once (graphql-ws hands `onNext` the same arguments each time).
  const latencyByOperation = new WeakMap<ExecutionArgs, LatencyObserver>();
  const latencyOf = (args: ExecutionArgs): LatencyObserver | undefined => {
    if (metrics === undefined) return undefined;
    let observe = latencyByOperation.get(args);
    if (observe === undefined) latencyByOperation.set(args, (observe = metrics.latencyOf(rootFieldOf(args) ?? UNKNOWN_FIELD)));
    return observe;
  };

  return {
    onConnect: (ctx) => {
      clientLog?.connected('ws', ctx.extra.request.address);
      return undefined;
    },
    onClose: (ctx, code) => clientLog?.disconnected('ws', ctx.extra.request.address, code ?? 0),
    onOperation: (ctx, id, payload, args, result) => {
      const errors = typeof result === 'object' && result !== null && 'errors' in result ? result.errors : undefined;
      if (clientLog !== undefined && errors !== undefined && errors.length > 0)
        clientLog.refused('ws', ctx.extra.request.address, codesOf(errors, 'OTHER'), summarize(args.document, args.operationName));
      const iterable = typeof result === 'object' && result !== null && Symbol.asyncIterator in result;
      if (iterable && standalone.has(args)) unshared?.opened(ctx, id);
      if (metrics === undefined || !iterable) return undefined;
      release(payload);
      counted.set(payload, metrics.subscriptionOpened(rootFieldOf(args) ?? UNKNOWN_FIELD, 'ws'));
      return undefined;
    },
    onComplete: (ctx, id, payload) => {
      unshared?.closed(ctx, id);
      release(payload);
    },
    // WS_CONNECTION_INIT_TIMEOUT_MS is kept by the socket adapter (`ws-limits.ts`): graphql-ws's own
    // timer would stay alive, fired, as long as each socket.
    connectionInitWaitTimeout: Number.POSITIVE_INFINITY,
    execute: (args) => take(args).execute(args),
    subscribe: (args) => {
      const { share, subscribe } = take(args);
      if (share === undefined) {
        standalone.add(args);
        return subscribe(args);
      }
      return fanout.subscribe(
        args,
        share.key,
        share.delivery,
        share.member,
        (a) => subscribe(a) as ReturnType<FanoutRun>,
      ) as OperationResult;
    },
    // Unshared subscriptions only (a shared group writes its members' messages itself): counted, their
    // frame time observed (graphql-ws writes the result to the socket next), and errors yoga tagged with
    // an HTTP status (variables, parsing) keep no `extensions.http` on a WebSocket.
    onNext: (_ctx, _id, _payload, args, result) => {
      if (metrics !== undefined) {
        metrics.sent.ws++;
        const frameTs = eventTimeOf(args.contextValue)?.take();
        if (frameTs !== undefined) latencyOf(args)?.(frameTs);
      }
      return withoutInternals(result);
    },
    onSubscribe: async (ctx, id, payload) => {
      // `ctx.subscriptions` already holds this one.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
        metrics?.refused('LIMIT_EXCEEDED');
        clientLog?.refused('ws', ctx.extra.request.address, ['LIMIT_EXCEEDED'], namedOnly(payload.operationName));
        return [tooManySubscriptions(limits.maxSubscriptionsPerConnection)];
      }
      const member = wsMember(id, ctx.extra.socket);
      const key = sharedSubscriptions ? shareKey(payload, credentialFromConnectionParams(ctx.connectionParams)) : undefined;
      // Every subscriber goes through envelop (parse, validate, context), so every plugin's
      // request hooks see it on graphql-ws as on SSE.
      const prepared = await prepareOperation(yoga, ctx, payload);
      if (isErrors(prepared)) {
        clientLog?.refused('ws', ctx.extra.request.address, codesOf(prepared, 'OTHER'), namedOnly(payload.operationName));
        return prepared;
      }
      clientLog?.operation('ws', ctx.extra.request.address, summarize(prepared.args.document, prepared.args.operationName));
      const delivery =
        key === undefined || resumesFromCursor(prepared.args) ? undefined : deliveryOf(prepared.args.schema, rootFieldOf(prepared.args));
      const share = key === undefined || delivery === undefined ? undefined : { key, delivery, member };
      const live = share === undefined ? undefined : fanout.live(share.key);
      if (live === undefined) {
        asSocketClient(ctx, prepared);
        operations.set(prepared.args, { execute: prepared.execute, subscribe: prepared.subscribe, share });
        return prepared.args;
      }
      // Joining a running group: it already executes this exact operation for this credential.
      // The member needs only the group's document; its own context is not kept.
      const joined: ExecutionArgs = {
        schema: prepared.args.schema,
        document: live.document,
        operationName: live.operationName,
        variableValues: payload.variables ?? null,
        contextValue: null,
        rootValue: undefined,
      };
      const rejoin = () => late(ctx, payload);
      operations.set(joined, { execute: rejoin, subscribe: rejoin, share: { key: live.key, delivery: live.delivery, member } });
      return joined;
    },
  };
}
