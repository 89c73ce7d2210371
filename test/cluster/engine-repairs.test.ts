/**
 * The engine upkeep's repairs as an operator sees them, on /metrics:
 * `coincall_gateway_cluster_engine_repairs_total{stream,outcome}` of a replica
 * has its three streams at 0 from the start; a stream deleted under it counts
 * `created_again` once; a stream its NATS user may not create (a production
 * user without `$JS.API.STREAM.CREATE`) counts `failed` at every upkeep round
 * while it stays gone (logged at error once), and stops counting once it is
 * back. The test's own nats-servers, one replica in this process.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { openEngine } from '../../src/sources/cluster/engine.ts';
import { clusterNames, type ClusterNames } from '../../src/sources/cluster/subjects.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange } from '../helpers/fake-exchange.ts';
import { captureLogs, disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { natsUrl, startNatsServer, useOwnNatsServer } from '../helpers/nats-server.ts';
import { scrapeMetrics } from '../helpers/prometheus.ts';
import { eventually } from '../helpers/replica-process.ts';

useOwnNatsServer();
afterEach(disposeAll);

const FAMILY = 'coincall_gateway_cluster_engine_repairs_total';
const FAILED_LOG = 'cluster engine: a stream or the lease bucket is gone and could not be created again';
/** A few upkeep rounds (2 s each; a refused create waits for the request's timeout too), with room on a loaded machine. */
const ROUNDS_MS = 20_000;

/** The family's samples on `app`'s /metrics, by `stream/outcome`. */
async function repairs(app: App): Promise<Record<string, number>> {
  const { samples } = await scrapeMetrics(app.port);
  const counts: Record<string, number> = {};
  for (const s of samples.filter((sample) => sample.name === FAMILY)) counts[`${s.labels['stream']}/${s.labels['outcome']}`] = s.value;
  return counts;
}

/** Every series of the cluster's three streams at 0, with `counted` over them. */
const seriesOf = (names: ClusterNames, counted: Record<string, number> = {}) => ({
  ...Object.fromEntries(
    [names.eventStream, names.stateStream, `KV_${names.bucket}`].flatMap((s) => [
      [`${s}/created_again`, 0],
      [`${s}/failed`, 0],
    ]),
  ),
  ...counted,
});

/** A NATS connection of the test's own (the operator's hand), closed at dispose. */
async function operator(servers: string, auth: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers, ...auth });
  onDispose(() => nc.close());
  return nc;
}

/** Two users: an admin, and the gateway's, allowed the cluster's subjects but not to create a stream. */
function authConfig(name: string): string {
  const names = clusterNames(name);
  const allowed = JSON.stringify([`${name}.>`, `$KV.${names.bucket}.>`, '$JS.API.>', '_INBOX.>']);
  const gateway = `{ user: gateway, password: gw, permissions: { publish: { allow: ${allowed}, deny: ["$JS.API.STREAM.CREATE.>"] }, subscribe: { allow: ${allowed} } } }`;
  return `authorization { users = [ { user: admin, password: adm }, ${gateway} ] }`;
}

describe('the engine repairs metric', () => {
  it('counts a stream deleted under a replica and created again by it, once', { timeout: 60_000 }, async () => {
    const exchange = await startFakeExchange();
    onDispose(() => exchange.close());
    const name = uniqueClusterName();
    const names = clusterNames(name);
    const app = await startInProcessReplica(exchange, name, 'a');
    await eventually(async () => Object.keys(await repairs(app)).length > 0, 'the family reported', ROUNDS_MS);
    expect(await repairs(app)).toEqual(seriesOf(names));

    const jsm = await jetstreamManager(await operator(natsUrl()));
    await jsm.streams.delete(names.stateStream);
    await eventually(async () => (await repairs(app))[`${names.stateStream}/created_again`] === 1, 'the repair counted', ROUNDS_MS);
    expect(await repairs(app)).toEqual(seriesOf(names, { [`${names.stateStream}/created_again`]: 1 }));
    expect((await jsm.streams.info(names.stateStream)).config.max_msgs_per_subject).toBe(1);
  });

  it(
    'counts a stream its user may not create again at every round it stays gone, logs it once, and stops once it is back',
    { timeout: 90_000 },
    async () => {
      const name = uniqueClusterName();
      const names = clusterNames(name);
      const nats = await startNatsServer(true, { config: authConfig(name) });
      const admin = { user: 'admin', pass: 'adm' };
      // The streams and the bucket made by an admin: the gateway's user may update them, not create them.
      const settings = { names, retentionMs: 60_000, maxEventsPerTopic: 1_000, leaseTtlMs: 3_000, node: 'admin' };
      await (await openEngine({ ...settings, servers: `nats://admin:adm@127.0.0.1:${nats.port}` })).close();
      const exchange = await startFakeExchange();
      onDispose(() => exchange.close());
      const logs = captureLogs();
      const app = await startInProcessReplica(exchange, name, 'a', {
        natsUrl: `nats://gateway:gw@127.0.0.1:${nats.port}`,
        logger: logs.logger,
      });
      await eventually(async () => Object.keys(await repairs(app)).length > 0, 'the family reported', ROUNDS_MS);

      // The upkeep's look-ups of the state stream, seen on the wire: its rounds.
      const nc = await operator(nats.url, admin);
      let lookUps = 0;
      const seen = nc.subscribe(`$JS.API.STREAM.INFO.${names.stateStream}`, { callback: () => void lookUps++ });
      onDispose(() => seen.unsubscribe());
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(names.stateStream);
      const failed = `${names.stateStream}/failed`;
      await eventually(async () => ((await repairs(app))[failed] ?? 0) >= 3, 'three failed rounds counted', ROUNDS_MS * 2);
      const counted = (await repairs(app))[failed] ?? 0;
      expect(await repairs(app)).toEqual(seriesOf(names, { [failed]: counted }));
      expect(logs.lines.filter((line) => line.msg === FAILED_LOG).map((line) => [line.level, line.obj])).toEqual([
        ['error', expect.objectContaining({ stream: names.stateStream, err: expect.stringMatching(/Permissions Violation/) })],
      ]);

      // Back (the admin creates it again): once a round in flight then is over, the next rounds find it and count nothing more.
      await (await openEngine({ ...settings, servers: `nats://admin:adm@127.0.0.1:${nats.port}` })).close();
      const rounds = async (n: number) => {
        const from = lookUps;
        await waitFor(() => lookUps >= from + n, `${n} more look-ups of the upkeep`, ROUNDS_MS);
      };
      await rounds(3);
      const back = (await repairs(app))[failed] ?? 0;
      await rounds(2);
      expect((await repairs(app))[failed]).toBe(back);
    },
  );
});
