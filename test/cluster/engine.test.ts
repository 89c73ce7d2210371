/**
 * The engine's building blocks against a real NATS 2.9 server: the streams and
 * bucket created (and updated) at start, leases taken by one replica only,
 * renewed, lost when another took them, released.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nanos } from '@nats-io/transport-node';
import { createLease, leaseHolder } from '../../src/sources/cluster/lease.ts';
import { clusterNames, type ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { engineSettings, testEngine, uniqueClusterName } from '../helpers/cluster-engine.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const TRADES: ClusterTopic = { id: 'options:trades:{"symbol":"BTCUSD"}', kind: 'event', market: 'options' };

describe('cluster names', () => {
  it('turns any topic id into one subject token, and refuses a bad cluster name', () => {
    const names = clusterNames('coincall');
    const subject = names.subject({ id: 'a.b*>c d', kind: 'state', market: 'futures' });
    expect(subject.split('.')).toHaveLength(4);
    expect(subject).toMatch(/^coincall\.st\.futures\.[A-Za-z0-9_-]+$/);
    expect(names.subject(TRADES)).toMatch(/^coincall\.ev\.options\./);
    expect(() => clusterNames('bad.name')).toThrow(/cluster name/);
  });
});

describe('engine set-up', () => {
  it('creates the streams and bucket, and a second start brings them to new settings', async () => {
    const name = uniqueClusterName();
    const first = await testEngine(engineSettings({ name }));
    const events = await first.jsm.streams.info(first.names.eventStream);
    expect(events.config.max_age).toBe(nanos(60_000));
    expect(events.config.max_msgs_per_subject).toBe(100);
    expect(events.config.duplicate_window).toBe(nanos(60_000));
    expect(events.config.discard).toBe('old');
    expect(events.config.storage).toBe('file');
    const state = await first.jsm.streams.info(first.names.stateStream);
    expect(state.config.max_msgs_per_subject).toBe(1);
    expect(state.config.allow_direct).toBe(true);

    const second = await testEngine(engineSettings({ name, retentionMs: 900_000, maxEventsPerTopic: 500, leaseTtlMs: 3_000 }), false);
    const updated = await second.jsm.streams.info(second.names.eventStream);
    expect(updated.config.max_age).toBe(nanos(900_000));
    expect(updated.config.max_msgs_per_subject).toBe(500);
    expect(updated.config.duplicate_window).toBe(nanos(120_000));
    const bucket = await second.jsm.streams.info(`KV_${second.names.bucket}`);
    expect(bucket.config.max_age).toBe(nanos(3_000));
  });
});

describe('leases', () => {
  it('one replica takes a lease, the other cannot until it is released', async () => {
    const engine = await testEngine(engineSettings());
    const key = engine.names.leaseKey(TRADES, 0);
    const lost: string[] = [];
    const a = createLease({ kv: engine.kv, key, node: 'a', ttlMs: 1_500, onLost: (r) => lost.push(`a ${r}`) });
    const b = createLease({ kv: engine.kv, key, node: 'b', ttlMs: 1_500, onLost: (r) => lost.push(`b ${r}`) });
    expect(await a.take()).toBe(true);
    expect(await b.take()).toBe(false);
    expect(a.valid()).toBe(true);
    expect(await leaseHolder(engine.kv, key)).toBe('a');
    await a.release();
    expect(await leaseHolder(engine.kv, key)).toBeUndefined();
    expect(await b.take()).toBe(true);
    expect(await leaseHolder(engine.kv, key)).toBe('b');
    await b.release();
    expect(lost).toEqual([]);
  });

  it('a holder renews past its TTL; a lease taken over is lost at the next renewal', async () => {
    const engine = await testEngine(engineSettings());
    const key = engine.names.leaseKey(TRADES, 0);
    const lost: string[] = [];
    let renewals = 0;
    const a = createLease({ kv: engine.kv, key, node: 'a', ttlMs: 600, onLost: (r) => lost.push(r) });
    expect(await a.take()).toBe(true);
    const firstRevision = (await engine.kv.get(key))?.revision ?? 0;
    // renewed at least 4 times: well past the TTL, still held.
    await waitFor(() => {
      void engine.kv.get(key).then((e) => (renewals = (e?.revision ?? 0) - firstRevision));
      return renewals >= 4;
    }, 'renewals');
    expect(a.valid()).toBe(true);
    // another replica overwrites the key (as if it had taken the expired lease): a's next renewal fails.
    await engine.kv.put(key, JSON.stringify({ node: 'b' }));
    await waitFor(() => lost.length > 0, 'lease lost');
    expect(a.held).toBe(false);
    expect(a.valid()).toBe(false);
    expect(await leaseHolder(engine.kv, key)).toBe('b');
  });

  it('a lease nobody renews expires with the bucket max age, and another replica takes it', async () => {
    const engine = await testEngine(engineSettings({ leaseTtlMs: 500 }));
    const key = engine.names.leaseKey(TRADES, 1);
    await engine.kv.create(key, JSON.stringify({ node: 'dead' }));
    const b = createLease({ kv: engine.kv, key, node: 'b', ttlMs: 500, onLost: () => undefined });
    expect(await b.take()).toBe(false);
    let taken = false;
    await waitFor(() => {
      void b.take().then((t) => (taken = t));
      return taken;
    }, 'takeover');
    expect(await leaseHolder(engine.kv, key)).toBe('b');
    await b.release();
  });
});
