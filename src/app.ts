/**
 * Composition root: the only place that builds concrete objects. Starts the
 * in-process simulator when the upstream is simulated, the instrument
 * registry (Coincall's REST listing, or the simulator's own REST endpoints),
 * the upstream connections, the schema and the HTTP/WebSocket server.
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'graphql-yoga';
import { EXAMPLE_UNDERLYING, exampleVariables, isPrivateExample } from './channels/examples.ts';
import type { Credential } from './coincall/signing.ts';
import type { Config } from './config.ts';
import { gatewaySchema } from './graphql/schema.ts';
import type { UpstreamMode } from './graphql/builder.ts';
import { DEFAULT_LIMITS } from './lib/limits.ts';
import { REPLAY_MEMORY } from './hub/replay-filter.ts';
import type { Logger } from './lib/logger.ts';
import { OPEN_ACCESS } from './auth/access-config.ts';
import type { AccessSetup } from './server/access/access-control.ts';
import { createAccessSetup } from './server/access/access-setup.ts';
import { createGatewayServer } from './server/gateway-server.ts';
import type { Fanout } from './server/fanout/fanout-types.ts';
import type { FastSubscribeStats } from './server/http-streaming/fast-subscribe.ts';
import { createMetrics } from './server/metrics/metrics.ts';
import { engineLatencyObserver } from './server/metrics/cluster-metrics.ts';
import type { Registry } from 'prom-client';
import { loadExampleOperations } from './server/graphiql/graphiql.ts';
import { DEMO_ACCOUNT, startSimulator, type Simulator, type SimulatorOptions } from './simulator/index.ts';
import { underlyingSpec } from './simulator/instrument-specs.ts';
import { createUpstream, type Upstream, type UpstreamOptions } from './sources/coincall/coincall-source.ts';
import { createClusterUpstream, type ClusterUpstream, type ClusterUpstreamOptions } from './sources/cluster/cluster-upstream.ts';
import { clusterNames } from './sources/cluster/subjects.ts';
import {
  createInstrumentRegistry,
  type InstrumentRegistry,
  type InstrumentRegistryOptions,
} from './sources/coincall/instrument-registry.ts';

/**
 * How long start-up waits for the first instrument list before serving
 * anyway (with format checks until it loads): long enough for the simulator
 * or a healthy Coincall, short enough that an unreachable REST API does not
 * hold up the gateway.
 */
export const INSTRUMENTS_STARTUP_WAIT_MS = 3_000;

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Clock for argument checks (expiries); tests pin it to the spec's dates. */
  readonly now?: () => number;
  /** Overrides for the upstream (timings in tests). */
  readonly upstream?: Partial<Omit<UpstreamOptions, 'urls' | 'serverCredential' | 'logger'>>;
  /** Overrides for the cluster's timings (tests): the wait before a reader's time alone is judged, and its timer; the feeds' timings. */
  readonly cluster?: Pick<ClusterUpstreamOptions, 'engineGapWaitMs' | 'engineGapTimer' | 'feed'>;
  /** Options of the in-process simulator. */
  readonly simulator?: SimulatorOptions;
  /** Overrides for the instrument registry (an unreachable URL, fast retries in tests). */
  readonly instruments?: Partial<Omit<InstrumentRegistryOptions, 'logger' | 'now'>>;
  /** Share one execution among identical graphql-ws subscriptions (default true). */
  readonly sharedSubscriptions?: boolean;
  /** The HTTP subscriptions' fast path (default on; `false` sends every request through yoga, for comparisons). */
  readonly httpFastPath?: boolean;
  /** More yoga/envelop plugins, after the gateway's own (they apply to every transport). */
  readonly plugins?: readonly Plugin[];
  /** graphql-ws keepalive period (default WS_KEEPALIVE_MS; shorter in tests). */
  readonly wsKeepAliveMs?: number;
}

export interface App {
  /** The bound port. */
  readonly port: number;
  readonly url: string;
  readonly mode: UpstreamMode;
  /** The in-process simulator, when simulated. */
  readonly simulator: Simulator | undefined;
  /** Counters of the shared subscription path. */
  readonly fanout: Pick<Fanout, 'stats' | 'maxLagMs'>;
  /** HTTP subscriptions that joined a running group on the fast path (undefined: off, e.g. with access checks). */
  readonly fastPath: FastSubscribeStats | undefined;
  /** The instrument registry subscriptions are checked against. */
  readonly instruments: InstrumentRegistry;
  /** Re-reads the keys file (GATEWAY_AUTH=keys; `main.ts` calls it on SIGHUP); a no-op otherwise. */
  reloadAccess(): void;
  close(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  let simulator: Simulator | undefined;
  let urls = { options: config.optionsWsUrl, futures: config.futuresWsUrl };
  let serverCredential: Credential;
  if (config.upstream === 'simulator') {
    simulator = await startSimulator(options.simulator ?? {});
    urls = simulator.urls;
    serverCredential = { apiKey: DEMO_ACCOUNT.apiKey, apiSecret: DEMO_ACCOUNT.apiSecret };
  } else serverCredential = { apiKey: config.apiKey ?? '', apiSecret: config.apiSecret ?? '' };
  const mode: UpstreamMode = config.upstream === 'simulator' ? 'SIMULATED' : 'LIVE';

  const instruments = createInstrumentRegistry({
    restUrl: simulator?.restUrl ?? config.restUrl,
    ...(config.instrumentsRefreshMs === undefined ? {} : { refreshMs: config.instrumentsRefreshMs }),
    ...options.instruments,
    now,
    logger,
  });
  const listed = await instruments.ready({ timeoutMs: INSTRUMENTS_STARTUP_WAIT_MS });
  if (listed !== 'ready')
    logger.warn(
      { state: listed, error: instruments.status().lastError },
      'serving without an instrument list for now: symbols are checked by format only',
    );

  let access: AccessSetup;
  try {
    access = await createAccessSetup(config.access ?? OPEN_ACCESS, logger.child({ component: 'access' }));
  } catch (error) {
    instruments.close();
    await simulator?.close();
    throw error;
  }
  const limits = config.limits ?? DEFAULT_LIMITS;
  const metrics = config.metrics === false ? undefined : createMetrics();
  const coincall = createUpstream({
    maxPrivateCredentials: limits.upstreamMaxPrivateAccounts,
    privateHandshakesPerSecond: limits.upstreamPrivateHandshakesPerSecond,
    privateHandshakeBurst: limits.upstreamPrivateHandshakeBurst,
    maxFrameBytes: limits.upstreamMaxFrameBytes,
    privateHandshakesPerSecondPerAddress: limits.upstreamPrivateHandshakesPerSecondPerAddress,
    maxNewTopicsPerSecondPerClient: limits.maxNewTopicsPerSecondPerClient,
    maxPendingTopics: limits.upstreamMaxPendingTopics,
    querySnapshotTimeoutMs: limits.querySnapshotTimeoutMs,
    ackTimeoutMs: limits.upstreamAckTimeoutMs,
    maxLagMs: limits.upstreamMaxLagMs,
    resumeWindowMs: limits.resumeWindowMs,
    // In a cluster the engine's stream is the window: the own source keeps only what a re-subscribe's re-sent trades are checked against.
    resumeMaxEventsPerTopic: config.cluster === undefined ? limits.resumeMaxEventsPerTopic : REPLAY_MEMORY,
    ...options.upstream,
    urls,
    serverCredential,
    logger: logger.child({ component: 'upstream' }),
  });
  const cluster = clusterOf(config, coincall, logger, options, metrics?.registry);
  const upstream: Upstream = cluster ?? coincall;
  // A replica serves at once if the engine is away (from its own upstream), but a moment's wait spares its first clients the switch.
  if (cluster !== undefined && !(await cluster.engineReady(INSTRUMENTS_STARTUP_WAIT_MS)))
    logger.warn(
      { waitedMs: INSTRUMENTS_STARTUP_WAIT_MS },
      'cluster engine not reachable at start: serving from this replica alone until it is',
    );
  const server = createGatewayServer({
    schema: gatewaySchema(),
    context: { upstream, now, mode, version: VERSION, startedAt: Date.now(), sharing: () => server.fanout.stats(), instruments },
    logger: logger.child({ component: 'server' }),
    graphiql: {
      operations: loadExampleOperations(new URL('../schema/operations/', import.meta.url)),
      now,
      // The examples name a listed expiry and option once the registry has a list (on the simulator: its own).
      gatewayKeyPlaceholder: (config.access?.mode ?? 'none') !== 'none',
      enabled: config.access?.graphiql !== 'off',
      examples: { variables: (market) => exampleVariables({ ...market, listed: instruments }), isPrivate: isPrivateExample },
      // On the simulator: its BTCUSD level for a near-the-money example, and its demo key so private tabs work. Never a real key.
      ...(simulator === undefined
        ? {}
        : {
            referencePrice: underlyingSpec(EXAMPLE_UNDERLYING)?.startPrice,
            demoCredential: { apiKey: DEMO_ACCOUNT.apiKey, apiSecret: DEMO_ACCOUNT.apiSecret },
          }),
    },
    ready: () => upstream.readiness?.() ?? upstream.ready(),
    metrics: metrics ?? false,
    access,
    ...(config.corsOrigins === undefined ? {} : { corsOrigins: config.corsOrigins }),
    ...(options.sharedSubscriptions === undefined ? {} : { sharedSubscriptions: options.sharedSubscriptions }),
    ...(options.httpFastPath === undefined ? {} : { httpFastPath: options.httpFastPath }),
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
    ...(options.wsKeepAliveMs === undefined ? {} : { wsKeepAliveMs: options.wsKeepAliveMs }),
    ...(config.limits === undefined ? {} : { limits: config.limits }),
    ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
  });
  let port: number;
  try {
    port = await server.listen(config.port, config.host);
  } catch (error) {
    instruments.close();
    await Promise.allSettled([upstream.close(), simulator?.close()]);
    throw error;
  }
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${port}/graphql`;

  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    mode,
    simulator,
    fanout: server.fanout,
    fastPath: server.fastPath,
    instruments,
    reloadAccess: () => access.authenticator?.reload(),
    close() {
      closing ??= (async () => {
        // The upstream unsubscribes drain (bounded) while the server says goodbye to its clients.
        instruments.close();
        const upstreamClosed = upstream.close();
        await server.close();
        await upstreamClosed;
        await simulator?.close();
      })();
      return closing;
    },
  };
}

/**
 * With CLUSTER_NATS_URL set, the replica's upstream: public topics through the
 * cluster's engine (holding some on the own Coincall source), private ones on
 * the Coincall source; unset, the Coincall source itself (a single process).
 */
function clusterOf(
  config: Config,
  coincall: Upstream,
  logger: Logger,
  { upstream: overrides, cluster: timings }: Pick<AppOptions, 'upstream' | 'cluster'>,
  metrics: Registry | undefined,
): ClusterUpstream | undefined {
  const cluster = config.cluster;
  if (cluster === undefined) return undefined;
  const names = clusterNames(cluster.name);
  const observeEngineLatency = metrics === undefined ? undefined : engineLatencyObserver(metrics);
  return createClusterUpstream({
    inner: coincall,
    engine: {
      servers: cluster.natsUrl,
      names,
      retentionMs: cluster.retentionMs,
      maxEventsPerTopic: cluster.maxEventsPerTopic,
      leaseTtlMs: cluster.leaseTtlMs,
      node: cluster.nodeId,
    },
    node: cluster.nodeId,
    leaseTtlMs: cluster.leaseTtlMs,
    eventPublishers: cluster.eventPublishers,
    logger: logger.child({ component: 'cluster', node: cluster.nodeId }),
    ...(overrides?.lingerMs === undefined ? {} : { lingerMs: overrides.lingerMs }),
    ...(overrides?.ackWaitMs === undefined ? {} : { ackWaitMs: overrides.ackWaitMs }),
    ...(overrides?.eventQueueLimit === undefined ? {} : { eventQueueLimit: overrides.eventQueueLimit }),
    ...(config.limits === undefined ? {} : { querySnapshotTimeoutMs: config.limits.querySnapshotTimeoutMs }),
    ...(observeEngineLatency === undefined ? {} : { observeEngineLatency }),
    ...timings,
  });
}
