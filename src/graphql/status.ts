/**
 * `Query.status` and `Subscription.status`: upstream mode, connections, topics
 * and counters, for GraphiQL, operators and frontends (the subscription emits
 * at once and on every change of an upstream connection's state, so a UI can
 * show "reconnecting"). No secrets.
 */
import { MARKETS } from '../coincall/protocol.ts';
import { Market } from '../channels/enums.ts';
import type { ConnectionStatus } from '../sources/coincall/coincall-source.ts';
import type { TopicInfo, DropCounters } from '../sources/coincall/multiplexer.ts';
import type { SharingStats } from '../lib/sharing-stats.ts';
import type { ClusterStatus } from '../sources/cluster/cluster-status.ts';
import { createSink } from '../hub/sink.ts';
import { builder, type GatewayContext } from './builder.ts';
import { enumRef } from './enum-types.ts';
import { instrumentStatus, InstrumentListStatusRef } from './instrument-fields.ts';

const marketValue = (market: (typeof MARKETS)[number]) =>
  (market === 'options' ? 'OPTIONS' : 'FUTURES') satisfies keyof typeof Market.values;

const UpstreamMode = builder.enumType('UpstreamMode', {
  description: 'Where the market data comes from.',
  values: {
    LIVE: { value: 'LIVE', description: 'The Coincall exchange.' },
    SIMULATED: { value: 'SIMULATED', description: 'The built-in simulator: the data is not real.' },
  },
});

const ConnectionState = builder.enumType('ConnectionState', {
  description: 'State of an upstream connection.',
  values: {
    CONNECTING: { value: 'connecting', description: 'Opening the WebSocket.' },
    OPEN: { value: 'open', description: 'Connected and streaming.' },
    BACKOFF: { value: 'backoff', description: 'Down; waiting before the next reconnect attempt.' },
    REFUSED: { value: 'refused', description: 'The exchange refused the credential.' },
    CLOSED: { value: 'closed', description: 'Closed by the gateway.' },
  },
});

const ConnectionAccess = builder.enumType('ConnectionAccess', {
  description: 'What a connection carries.',
  values: {
    PUBLIC: { value: 'public', description: "Shared public market data, signed with the gateway's key." },
    PRIVATE: { value: 'private', description: "One client account's private channels." },
  },
});

const UpstreamConnectionRef = builder.objectRef<ConnectionStatus>('UpstreamConnection').implement({
  description: 'One WebSocket connection to the exchange.',
  fields: (t) => ({
    market: t.field({ type: enumRef(Market), description: 'The market.', resolve: (c) => marketValue(c.market) }),
    access: t.field({ type: ConnectionAccess, description: 'Public market data or a private account.', resolve: (c) => c.access }),
    state: t.field({ type: ConnectionState, description: 'Current state.', resolve: (c) => c.state }),
    connectedSince: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the current session opened.',
      resolve: (c) => c.connectedSince ?? null,
    }),
    reconnects: t.int({ description: 'How many times the connection was re-established.', resolve: (c) => c.reconnects }),
    lastMessageAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the last frame arrived.',
      resolve: (c) => c.lastMessageAt ?? null,
    }),
    lagMs: t.int({
      nullable: true,
      description:
        "How far behind the exchange this connection reads, in ms: the age of the frames it reads (receive time minus the frame's own time), the highest of the last 5 to 10 s; null without recent stamped data. Past 10 s `/ready` answers 503.",
      resolve: (c) => (c.lagMs === undefined ? null : Math.round(c.lagMs)),
    }),
  }),
});

const UpstreamTopicRef = builder.objectRef<TopicInfo>('UpstreamTopic').implement({
  description: 'One upstream subscription shared by every local subscriber of it.',
  fields: (t) => ({
    market: t.field({ type: enumRef(Market), description: 'The market.', resolve: (x) => marketValue(x.market) }),
    channel: t.exposeString('channel', { description: 'The subscription root field that serves it.' }),
    dataType: t.exposeString('dataType', { description: 'The Coincall dataType.' }),
    key: t.exposeString('key', { description: 'The routing key (symbol, symbol|period, underlying|expiry).' }),
    subscribers: t.exposeInt('subscribers', { description: 'Local subscribers sharing it.' }),
    lastEventAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When its latest data arrived.',
      resolve: (x) => x.lastEventAt ?? null,
    }),
    resubscribes: t.exposeInt('resubscribes', {
      description: 'Times it was resubscribed because it went silent while its connection lived.',
    }),
    holders: t.stringList({
      description: "In a cluster: the nodes holding this topic's upstream subscription now (empty in a single gateway).",
      resolve: async (x) => (x.holders === undefined ? [] : x.holders()),
    }),
  }),
});

const ClusterEngineStateRef = builder.enumType('ClusterEngineState', {
  description: "Whether this replica reaches the cluster's engine (NATS JetStream).",
  values: {
    CONNECTED: { value: 'CONNECTED', description: 'Connected: clients are fed from the engine.' },
    DISCONNECTED: {
      value: 'DISCONNECTED',
      description: 'Unreachable: this replica serves its clients from its own upstream subscriptions until it is back.',
    },
  },
});

const ClusterStatusRef = builder.objectRef<ClusterStatus>('ClusterStatus').implement({
  description: 'This replica of a cluster on NATS JetStream.',
  fields: (t) => ({
    node: t.exposeString('node', { description: "This replica's node id (CLUSTER_NODE_ID)." }),
    engine: t.field({ type: ClusterEngineStateRef, description: 'Whether the engine is reachable.', resolve: (c) => c.engine }),
    replicas: t.stringList({
      description: 'The nodes alive within the lease TTL, this one included.',
      resolve: (c) => c.replicas(),
    }),
    topicsHeld: t.exposeInt('topicsHeld', { description: 'Topics whose upstream subscription this replica holds and publishes.' }),
  }),
});

const DroppedFramesRef = builder.objectRef<DropCounters>('DroppedFrames').implement({
  description: 'Upstream frames the gateway dropped, by cause, since start.',
  fields: (t) => ({
    unknownDt: t.exposeInt('unknownDt', { description: 'Frames with a dt code no channel claims.' }),
    undecodable: t.exposeInt('undecodable', { description: 'Frames that were not valid JSON or did not match their channel.' }),
    unrouted: t.exposeInt('unrouted', { description: 'Valid frames no subscription wanted (e.g. just after an unsubscribe).' }),
    oversized: t.exposeInt('oversized', { description: 'Frames over UPSTREAM_MAX_FRAME_BYTES (each renewed its connection).' }),
  }),
});

const SharingRef = builder.objectRef<SharingStats>('SharedSubscriptions').implement({
  description: 'The shared path: identical graphql-ws subscriptions execute once per event and share one serialized message.',
  fields: (t) => ({
    groups: t.exposeInt('groups', { description: 'Distinct (document, variables, account) groups now active.' }),
    members: t.exposeInt('members', { description: 'Subscriptions served by those groups.' }),
    executions: t.exposeInt('executions', { description: 'Results executed since start (one per event per group).' }),
    deliveries: t.exposeInt('deliveries', { description: 'Messages written since start.' }),
    conflated: t.exposeInt('conflated', { description: 'State updates skipped for a backed-up socket (it got a later one).' }),
    tooSlow: t.exposeInt('tooSlow', { description: 'Subscribers closed for falling behind on an event stream.' }),
  }),
});

const GatewayStatusRef = builder.objectRef<GatewayContext>('GatewayStatus').implement({
  description: 'The state of the gateway and its upstream connections.',
  fields: (t) => ({
    mode: t.field({ type: UpstreamMode, description: 'Live exchange data or simulated data.', resolve: (c) => c.mode }),
    version: t.string({ description: 'Gateway version.', resolve: (c) => c.version }),
    startedAt: t.field({ type: 'DateTime', description: 'When the gateway started.', resolve: (c) => c.startedAt }),
    connections: t.field({
      type: [UpstreamConnectionRef],
      description: 'Upstream connections: the shared public ones, and one per market and client account in use.',
      resolve: (c) => [...c.upstream.status().connections],
    }),
    topics: t.field({
      type: [UpstreamTopicRef],
      description: 'Active public upstream topics with their subscriber counts.',
      resolve: (c) => [...c.upstream.status().topics],
    }),
    privateTopics: t.int({
      description: 'How many private topics are active (not named: they belong to accounts).',
      resolve: (c) => c.upstream.status().privateTopics,
    }),
    sharedSubscriptions: t.field({
      type: SharingRef,
      description: 'Counters of the shared subscription path.',
      resolve: (c) => c.sharing(),
    }),
    droppedFrames: t.field({
      type: DroppedFramesRef,
      description: 'Upstream frames dropped, by cause.',
      resolve: (c) => c.upstream.status().drops,
    }),
    cluster: t.field({
      type: ClusterStatusRef,
      nullable: true,
      description: 'This replica of a cluster (CLUSTER_NATS_URL); null in a single gateway.',
      resolve: (c) => c.upstream.status().cluster ?? null,
    }),
    instruments: t.field({
      type: InstrumentListStatusRef,
      description: 'The instrument list subscriptions are checked against: loaded, or format checks only.',
      resolve: instrumentStatus,
    }),
  }),
});

builder.queryField('status', (t) =>
  t.field({
    type: GatewayStatusRef,
    description: 'The state of the gateway and its upstream connections.',
    resolve: (_root, _args, ctx) => ctx,
  }),
);

/** The status now, then again on every upstream connection state change (conflated: a slow reader gets the latest). */
function statusStream(ctx: GatewayContext): AsyncIterableIterator<GatewayContext> {
  let off = (): void => undefined;
  const sink = createSink<GatewayContext>({ delivery: 'state', onClose: () => off() });
  off = ctx.upstream.onChange(() => sink.push(ctx));
  sink.push(ctx);
  return sink;
}

builder.subscriptionField('status', (t) =>
  t.field({
    type: GatewayStatusRef,
    description: 'The state of the gateway and its upstream connections: now, then on every change of an upstream connection state.',
    extensions: { delivery: 'state' },
    subscribe: (_root, _args, ctx) => statusStream(ctx),
    resolve: (value) => value,
  }),
);
