/**
 * `coincall_gateway_cluster_gap_markers_total{reason,outcome}` over the real
 * path: in-process replicas on a stand-in exchange and the file's own NATS.
 * A sole holder's upstream gap is marked (UPSTREAM, published); one the other
 * publisher covered is counted as covered; one the engine cannot take (its
 * trades stream gone) is counted as failed, the case operators alert on; the
 * engine's own outage is marked on a reader's return (ENGINE, published),
 * while a holder that ran upstream all along catches the stream up instead.
 * Every reason and outcome is reported from the start, at 0.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/app.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange, type FakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, onDispose, waitFor, wsClient } from '../helpers/gateway.ts';
import { startInProcessReplica, type ReplicaSettings } from '../helpers/in-process-replica.ts';
import { natsUrl, startNatsServer, useOwnNatsServer } from '../helpers/nats-server.ts';
import { scrapeMetrics, sumOf } from '../helpers/prometheus.ts';
import { eventually } from '../helpers/replica-process.ts';
import { wireTradeMaker } from '../helpers/upstream-trades.ts';

useOwnNatsServer();

afterEach(disposeAll);

const FAMILY = 'coincall_gateway_cluster_gap_markers_total';
const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TOPIC_KEY = `lastTrade ${JSON.stringify(BTC)}`;
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { id } }';
/** How long a step of the cluster may take here (lease TTL 3 s, reconnect backoff 20 ms). */
const STEP_MS = 15_000;
/**
 * The lease TTL where the holder must keep its lease across the engine's restart: its first renewal comes due a third
 * of it after the take, long after the engine is back. With the 3 s default, a renewal due (every 1 s) while the engine
 * is away times out (`ENGINE_REQUEST_TIMEOUT_MS`), the holder loses the lease, the reader takes the topic over, and its
 * takeover rightly marks an UPSTREAM gap (its own upstream began with the outage): the case would test a takeover.
 */
const KEPT_LEASE_TTL_MS = 15_000;
/** The reader's wait for the holders' catch-up in that case: the 3 s default TTL's (`ENGINE_GAP_WAIT_TTLS` × 3 s), not the long lease's. */
const ENGINE_GAP_WAIT_MS = 6_000;

/** `count` wire trades, newest first as the exchange sends a frame. */
const wireTrades = wireTradeMaker({ epoch: Date.now(), newestFirst: true });

/** Subscribes to BTCUSD trades on `app`; returns the ids received so far. */
function follow(app: App): string[] {
  const ids: string[] = [];
  const client = wsClient(app.url.replace(/^http/, 'ws'));
  client.subscribe(
    { query: TRADES },
    {
      next: (r) => void ids.push(...((r.data as { futuresTrades?: Array<{ id: string }> } | null)?.futuresTrades ?? []).map((t) => t.id)),
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return ids;
}

/** Sends a trade now and then until `ids` has one: the replica's feed from the engine is open. */
async function following(exchange: FakeExchange, ids: string[]): Promise<void> {
  await eventually(
    async () => {
      exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
      await new Promise((r) => setTimeout(r, 100));
      return ids.length > 0;
    },
    'the replica following the topic',
    STEP_MS,
  );
}

const upstreams = (exchange: FakeExchange) =>
  exchange.connections.filter((c) => c.socket.readyState === WebSocket.OPEN && c.topics.has(TOPIC_KEY));

/** The family's samples on `app`'s /metrics, by `reason/outcome`. */
async function gapMarkers(app: App): Promise<Record<string, number>> {
  const { samples } = await scrapeMetrics(app.port);
  const counts: Record<string, number> = {};
  for (const s of samples.filter((sample) => sample.name === FAMILY)) counts[`${s.labels['reason']}/${s.labels['outcome']}`] = s.value;
  return counts;
}

const ZERO = Object.fromEntries(
  ['UPSTREAM', 'ENGINE'].flatMap((reason) =>
    ['published', 'covered', 'said', 'behind', 'failed'].map((outcome) => [`${reason}/${outcome}`, 0]),
  ),
);

/** Waits until `app` counts one gap of `key` (`reason/outcome`), then checks that it counts nothing else. */
async function countedOnce(app: App, key: string): Promise<void> {
  await eventually(async () => (await gapMarkers(app))[key] === 1, `${key} counted`, STEP_MS);
  expect(await gapMarkers(app)).toEqual({ ...ZERO, [key]: 1 });
  const { samples } = await scrapeMetrics(app.port);
  expect(sumOf(samples, FAMILY)).toBe(1);
}

async function cluster(
  name: string,
  settings: ReplicaSettings,
  nodes: readonly string[],
): Promise<{ exchange: FakeExchange; apps: App[] }> {
  const exchange = await startFakeExchange();
  onDispose(() => exchange.close());
  const apps: App[] = [];
  for (const node of nodes) apps.push(await startInProcessReplica(exchange, name, node, settings));
  return { exchange, apps };
}

/** Drops `exchange`'s first open connection holding the topic and waits for `holding` connections to hold it again. */
async function dropUpstream(exchange: FakeExchange, holding: number): Promise<void> {
  upstreams(exchange)[0]?.socket.terminate();
  exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
  await waitFor(() => upstreams(exchange).length === holding, 'the holder subscribed again', STEP_MS);
}

describe('coincall_gateway_cluster_gap_markers_total', () => {
  it("counts a sole holder's upstream gap it marked in the stream (UPSTREAM, published)", async () => {
    const { exchange, apps } = await cluster(uniqueClusterName(), { publishers: 1 }, ['a']);
    const a = apps[0] as App;
    expect(await gapMarkers(a)).toEqual(ZERO);
    await following(exchange, follow(a));
    await dropUpstream(exchange, 1);
    await countedOnce(a, 'UPSTREAM/published');
  });

  it('counts a gap the other publisher covered (UPSTREAM, covered) at the replica that had it', async () => {
    const { exchange, apps } = await cluster(uniqueClusterName(), {}, ['a', 'b']);
    const [a, b] = apps as [App, App];
    follow(a);
    await waitFor(() => upstreams(exchange).length === 1, 'A holding the trades upstream', STEP_MS);
    await following(exchange, follow(b));
    await waitFor(() => upstreams(exchange).length === 2, 'B holding the trades upstream too', STEP_MS);
    // A opened its connection first: it is the one dropped; B's stays and stores what is sent meanwhile.
    await dropUpstream(exchange, 2);
    await countedOnce(a, 'UPSTREAM/covered');
    expect(await gapMarkers(b)).toEqual(ZERO);
  });

  it('counts a gap the engine could not take as failed (its trades stream gone)', async () => {
    const name = uniqueClusterName();
    const { exchange, apps } = await cluster(name, { publishers: 1 }, ['a']);
    const a = apps[0] as App;
    await following(exchange, follow(a));
    const nc = await connect({ servers: natsUrl() });
    onDispose(() => nc.close());
    await (await jetstreamManager(nc)).streams.delete(clusterNames(name).eventStream);
    await dropUpstream(exchange, 1);
    await countedOnce(a, 'UPSTREAM/failed');
  });

  it("counts the engine's own outage marked on a reader's return (ENGINE, published), not on its holder's", async () => {
    const nats = await startNatsServer();
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const settings: ReplicaSettings = {
      natsUrl: nats.url,
      publishers: 1,
      leaseTtlMs: KEPT_LEASE_TTL_MS,
      engineGaps: { engineGapWaitMs: ENGINE_GAP_WAIT_MS },
    };
    const a = await startInProcessReplica(exchange, name, 'a', settings);
    const atA = follow(a);
    await waitFor(() => upstreams(exchange).length === 1, 'A holding the trades upstream', STEP_MS);
    await following(exchange, atA);
    // B only reads the topic (one publisher, A's): serving alone, it subscribes upstream itself.
    const b = await startInProcessReplica(exchange, name, 'b', settings);
    const atB = follow(b);
    await following(exchange, atB);
    expect(upstreams(exchange)).toHaveLength(1);
    const pre = atB.length;
    await nats.kill();
    await waitFor(() => upstreams(exchange).length === 2, 'B serving alone from its own upstream', STEP_MS);
    exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(2));
    await waitFor(() => atB.length >= pre + 2, 'trades from the own upstream while the engine is away', STEP_MS);
    await nats.start();
    // No trade after the return: A's catch-up (before its next batch) never comes, so B marks its time once its wait is over.
    await countedOnce(b, 'ENGINE/published');
    // A ran the topic upstream all along: its catch-up answers for that time, not a marker.
    expect(await gapMarkers(a)).toEqual(ZERO);
  });
});
