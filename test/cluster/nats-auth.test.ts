/**
 * A cluster on a NATS server that requires a user and password, as a
 * production one does: the credentials come in `CLUSTER_NATS_URL`
 * (`nats://user:password@host:port`), which the NATS client does not read from
 * a URL itself. With the user's permissions limited to the cluster's own
 * subjects (those docs/deploy.md lists), replicas share trades and books; a
 * wrong password is refused, and no credential is left in the servers the
 * client is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { natsAuth, withoutCredentials } from '../../src/sources/cluster/nats-auth.ts';
import { openEngine } from '../../src/sources/cluster/engine.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { startFakeExchange } from '../helpers/fake-exchange.ts';
import { disposeAll, waitFor, wsClient, queryData } from '../helpers/gateway.ts';
import { startInProcessReplica } from '../helpers/in-process-replica.ts';
import { startNatsServer } from '../helpers/nats-server.ts';
import { eventually } from '../helpers/replica-process.ts';
import { wireTradeMaker } from '../helpers/upstream-trades.ts';

afterEach(disposeAll);

const TRADES_DT = 33;
const BTC = { symbol: 'BTCUSD' };
const TRADES = 'subscription { futuresTrades(symbol: "BTCUSD") { id } }';
const wireTrades = wireTradeMaker({ epoch: Date.now(), newestFirst: true });

/** The server's users: the gateway's, allowed the cluster's subjects only (as docs/deploy.md's example). */
function authConfig(name: string): string {
  const names = clusterNames(name);
  const allowed = JSON.stringify([`${name}.>`, `$KV.${names.bucket}.>`, '$JS.API.>', '_INBOX.>']);
  return `authorization { users = [ { user: gateway, password: "s3cret/pw", permissions: { publish: { allow: ${allowed} }, subscribe: { allow: ${allowed} } } } ] }`;
}

/** Subscribes to BTCUSD trades on `app`; returns the ids received so far. */
function follow(app: App): string[] {
  const ids: string[] = [];
  wsClient(app.url.replace(/^http/, 'ws')).subscribe(
    { query: TRADES },
    {
      next: (r) => void ids.push(...((r.data as { futuresTrades?: Array<{ id: string }> } | null)?.futuresTrades ?? []).map((t) => t.id)),
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return ids;
}

/** `status.cluster.engine` of a replica. */
const engineState = async (app: App): Promise<unknown> =>
  ((await queryData(app.url, '{ status { cluster { engine } } }')) as { status?: { cluster?: { engine?: unknown } } }).status?.cluster
    ?.engine;

describe('the engine behind a user and password', () => {
  it('takes them from the URL: replicas with only the cluster subjects allowed share the trades', { timeout: 60_000 }, async () => {
    const name = uniqueClusterName();
    const nats = await startNatsServer(true, { config: authConfig(name) });
    const url = `nats://gateway:${encodeURIComponent('s3cret/pw')}@127.0.0.1:${nats.port}`;
    const exchange = await startFakeExchange();
    const a = await startInProcessReplica(exchange, name, 'a', { natsUrl: url, publishers: 1 });
    const b = await startInProcessReplica(exchange, name, 'b', { natsUrl: url, publishers: 1 });
    const atA = follow(a);
    const atB = follow(b);
    // Trades now and then until both clients have one: the holder publishes, both feeds read the engine.
    await eventually(
      async () => {
        exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(1));
        return atA.length > 0 && atB.length > 0;
      },
      'trades at both replicas',
      20_000,
    );
    for (const app of [a, b]) expect(await engineState(app)).toBe('CONNECTED');
    // One upstream subscription for both: the holder's, shared through the engine.
    await eventually(async () => exchange.publish(TRADES_DT, 'lastTrade', BTC, wireTrades(3)) === 1, 'one holder upstream', 10_000);
    await waitFor(() => atB.length >= atA.length && atA.length >= 4, 'three more trades at both', 10_000);
    expect(atB.slice(-3)).toEqual(atA.slice(-3));
  });

  it('refuses a wrong password with the server’s answer', { timeout: 30_000 }, async () => {
    const name = uniqueClusterName();
    const nats = await startNatsServer(true, { config: authConfig(name) });
    const settings = { names: clusterNames(name), retentionMs: 60_000, maxEventsPerTopic: 100, leaseTtlMs: 1_500, node: 'x' };
    await expect(openEngine({ ...settings, servers: `nats://gateway:wrong@127.0.0.1:${nats.port}` })).rejects.toThrow(/Authorization/);
  });
});

describe('credentials in CLUSTER_NATS_URL', () => {
  it('become the client’s user and password, or its token, and leave the servers bare', () => {
    expect(natsAuth('nats://u:p%40ss@h1:4222, nats://h2:4222')).toEqual({
      servers: ['nats://h1:4222', 'nats://h2:4222'],
      user: 'u',
      pass: 'p@ss',
    });
    expect(natsAuth('nats://t0ken@h1:4222')).toEqual({ servers: ['nats://h1:4222'], token: 't0ken' });
    expect(natsAuth('nats://h1:4222')).toEqual({ servers: ['nats://h1:4222'] });
    // A bare % is no escape; a secret after the colon alone is a token too; never a credential left in a server.
    expect(natsAuth('nats://alice:100%@h1:4222')).toEqual({ servers: ['nats://h1:4222'], user: 'alice', pass: '100%' });
    expect(natsAuth('nats://:s3cret@h1:4222')).toEqual({ servers: ['nats://h1:4222'], token: 's3cret' });
    expect(withoutCredentials('tls://u:p@h1:4222')).toBe('tls://h1:4222');
  });
});
