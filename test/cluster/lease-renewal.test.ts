/**
 * A lease's renewal that gets no answer (a timeout, the engine link down a
 * moment) stops publishing at once and is tried again while the lease is
 * still valid: a short blip costs no handover (and so no spurious gap marker
 * from another replica's takeover). Past its deadline, or refused by the
 * engine (another revision), it is lost. Real NATS; the blip is a wrapper
 * that fails the bucket's next updates as a timeout would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLease, RENEW_RETRY_MS } from '../../src/sources/cluster/lease.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll, waitFor } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();

afterEach(disposeAll);

const BOOK: ClusterTopic = { id: 'futures:book:{"symbol":"BTCUSD"}', kind: 'state', market: 'futures' };
const TTL_MS = 1_500;

/** The engine's bucket, whose next `failures` updates fail as a timeout would; `valid` reads the lease at each failed one. */
async function blippingBucket(failures: number) {
  const engine = await testEngine(engineSettings());
  const calls = { updates: 0, failed: 0, validAtFailure: [] as boolean[] };
  let lease: { valid(): boolean } | undefined;
  const kv = {
    get: engine.kv.get.bind(engine.kv),
    create: engine.kv.create.bind(engine.kv),
    delete: engine.kv.delete.bind(engine.kv),
    update: async (key: string, value: string, revision: number) => {
      calls.updates += 1;
      if (calls.failed < failures) {
        calls.failed += 1;
        // The failure before this one (if any) has already stopped publishing.
        if (calls.failed > 1) calls.validAtFailure.push(lease?.valid() ?? true);
        throw new Error('TIMEOUT');
      }
      return engine.kv.update(key, value, revision);
    },
  };
  return { engine, kv, calls, watch: (l: { valid(): boolean }) => (lease = l) };
}

describe('a lease renewal that got no answer', () => {
  it('stops publishing, is tried again while valid, and keeps the lease when the engine answers again', async () => {
    const { engine, kv, calls, watch } = await blippingBucket(2);
    const lost: string[] = [];
    const lease = createLease({ kv, key: engine.names.leaseKey(BOOK, 0), node: 'a', ttlMs: TTL_MS, onLost: (r) => lost.push(r) });
    watch(lease);
    expect(await lease.take()).toBe(true);
    // Two renewals fail, the third (a retry RENEW_RETRY_MS later, within the TTL) succeeds.
    await waitFor(() => calls.updates >= 3 && lease.valid(), 'a renewal answered after the blip', 5_000);
    expect(calls.validAtFailure).toEqual([false]);
    expect(RENEW_RETRY_MS * 2).toBeLessThan(TTL_MS - TTL_MS / 3);
    expect(lost).toEqual([]);
    expect(lease.held).toBe(true);
    await lease.release();
  });

  it('is lost once its deadline passes with no answer', async () => {
    const { engine, kv, calls } = await blippingBucket(Number.POSITIVE_INFINITY);
    const lost: string[] = [];
    const lease = createLease({ kv, key: engine.names.leaseKey(BOOK, 1), node: 'a', ttlMs: TTL_MS, onLost: (r) => lost.push(r) });
    expect(await lease.take()).toBe(true);
    await waitFor(() => lost.length > 0, 'the lease lost', 5_000);
    expect(calls.failed).toBeGreaterThan(1);
    expect(lost).toEqual(['TIMEOUT']);
    expect(lease.valid()).toBe(false);
  });

  it('is lost at once when the engine refuses it (another replica wrote the key)', async () => {
    const { engine, kv, calls } = await blippingBucket(0);
    const key = engine.names.leaseKey(BOOK, 2);
    const lost: string[] = [];
    const lease = createLease({ kv, key, node: 'a', ttlMs: TTL_MS, onLost: (r) => lost.push(r) });
    expect(await lease.take()).toBe(true);
    await engine.kv.put(key, JSON.stringify({ node: 'b' }));
    await waitFor(() => lost.length > 0, 'the lease lost', 5_000);
    // One refused renewal, not tried again.
    expect(calls.updates).toBe(1);
    expect(lost[0]).toMatch(/wrong last sequence/i);
  });
});
