/**
 * A cluster replica started in the test's own process (startApp with
 * `cluster` settings) over a stand-in exchange, closed by `disposeAll()`:
 * short lease, linger and backoff so that takeovers happen within a test.
 */
import { startApp, type App, type AppOptions } from '../../src/app.ts';
import { silentLogger, type Logger } from '../../src/lib/logger.ts';
import type { FakeExchange } from './fake-exchange.ts';
import { onDispose, TEST_CONFIG } from './gateway.ts';
import { natsUrl as ownNatsUrl } from './nats-server.ts';

/** The in-process replicas' lease TTL unless a test sets its own: short, so that takeovers happen within a test. */
export const IN_PROCESS_LEASE_TTL_MS = 3_000;

export interface ReplicaSettings {
  /** CLUSTER_LEASE_TTL_MS (default `IN_PROCESS_LEASE_TTL_MS`): longer where a test needs its holder to keep the lease across an engine restart. */
  readonly leaseTtlMs?: number;
  /** CLUSTER_EVENT_PUBLISHERS (default 2). */
  readonly publishers?: number;
  /** RESUME_MAX_EVENTS_PER_TOPIC (default 1,000). */
  readonly maxEvents?: number;
  readonly logger?: Logger;
  /** Default: the test file's own NATS server (useOwnNatsServer). */
  readonly natsUrl?: string;
  /** The cluster's timings: how long a reader's time alone waits for the holders' catch-up, and the wait's timer (`engine-gaps.ts`); the feeds' (`feed.ts`). */
  readonly engineGaps?: AppOptions['cluster'];
}

/** Replica `node` of cluster `name` on `exchange`. */
export async function startInProcessReplica(
  exchange: FakeExchange,
  name: string,
  node: string,
  settings: ReplicaSettings = {},
): Promise<App> {
  const app = await startApp({
    config: {
      ...TEST_CONFIG,
      upstream: 'coincall',
      optionsWsUrl: exchange.urls.options,
      futuresWsUrl: exchange.urls.futures,
      restUrl: 'http://127.0.0.1:1',
      apiKey: 'server-key',
      apiSecret: 'server-secret',
      cluster: {
        natsUrl: settings.natsUrl ?? ownNatsUrl(),
        name,
        nodeId: node,
        leaseTtlMs: settings.leaseTtlMs ?? IN_PROCESS_LEASE_TTL_MS,
        eventPublishers: settings.publishers ?? 2,
        retentionMs: 60_000,
        maxEventsPerTopic: settings.maxEvents ?? 1_000,
      },
    },
    logger: settings.logger ?? silentLogger,
    upstream: { lingerMs: 100, connectionLingerMs: 100, ackWaitMs: 500, backoff: () => 20 },
    ...(settings.engineGaps === undefined ? {} : { cluster: settings.engineGaps }),
  });
  onDispose(() => app.close());
  return app;
}
