/**
 * The cluster's settings: unset CLUSTER_NATS_URL leaves a single process (no
 * cluster settings at all); set, each CLUSTER_* variable has its default and
 * its range, and a bad value stops start-up with a message naming it.
 */
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.ts';
import { clusterLogFields, redactNatsUrl } from '../../src/lib/cluster-config.ts';

describe('cluster settings', () => {
  it('are absent without CLUSTER_NATS_URL: a single process, as before', () => {
    const result = readConfig({ CLUSTER_NAME: 'other' });
    expect(result.ok && result.config.cluster).toBeUndefined();
  });

  it('take their defaults when only CLUSTER_NATS_URL is set', () => {
    const result = readConfig({ CLUSTER_NATS_URL: 'nats://nats-1.example:4222' }, 4321);
    expect(result).toMatchObject({
      ok: true,
      config: {
        cluster: {
          natsUrl: 'nats://nats-1.example:4222',
          name: 'coincall',
          leaseTtlMs: 5_000,
          eventPublishers: 2,
          retentionMs: 900_000,
          maxEventsPerTopic: 20_000,
        },
      },
    });
    expect(result.ok && result.config.cluster?.nodeId).toMatch(/-4321$/);
  });

  it('read every CLUSTER_* variable', () => {
    const result = readConfig({
      CLUSTER_NATS_URL: 'nats://a:4222,nats://b:4222',
      CLUSTER_NAME: 'gw_eu',
      CLUSTER_NODE_ID: 'gw-1',
      CLUSTER_LEASE_TTL_MS: '1000',
      CLUSTER_EVENT_PUBLISHERS: '1',
    });
    expect(result).toMatchObject({
      ok: true,
      config: { cluster: { natsUrl: 'nats://a:4222,nats://b:4222', name: 'gw_eu', nodeId: 'gw-1', leaseTtlMs: 1_000, eventPublishers: 1 } },
    });
  });

  it("take the resume window of the general limits as the trades stream's retention", () => {
    const result = readConfig({ CLUSTER_NATS_URL: 'nats://x:4222', RESUME_WINDOW_MS: '86400000', RESUME_MAX_EVENTS_PER_TOPIC: '1000000' });
    expect(result).toMatchObject({ ok: true, config: { cluster: { retentionMs: 86_400_000, maxEventsPerTopic: 1_000_000 } } });
  });

  it.each([
    ['RESUME_WINDOW_MS', '172800000', 'RESUME_WINDOW_MS must be an integer from 1000 to 86400000'],
    ['RESUME_WINDOW_MS', '500', 'RESUME_WINDOW_MS must be an integer from 1000 to 86400000'],
    ['RESUME_MAX_EVENTS_PER_TOPIC', '0', 'RESUME_MAX_EVENTS_PER_TOPIC must be an integer from 100 to 1000000'],
    ['RESUME_MAX_EVENTS_PER_TOPIC', '2000000', 'RESUME_MAX_EVENTS_PER_TOPIC must be an integer from 100 to 1000000'],
  ])('have no wider resume range than a single process: %s=%s is refused once, with the general range', (name, value, message) => {
    const result = readConfig({ CLUSTER_NATS_URL: 'nats://x:4222', [name]: value });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.filter((problem) => problem.includes(name));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('accept nats:// and tls:// servers, and refuse anything else with a message that lists what is accepted', () => {
    expect(readConfig({ CLUSTER_NATS_URL: 'nats://a:4222, tls://b:4222' })).toMatchObject({
      ok: true,
      config: { cluster: { natsUrl: 'nats://a:4222, tls://b:4222' } },
    });
    for (const server of ['http://a:4222', 'ws://a:8080', 'wss://a:443', 'a:4222']) {
      const result = readConfig({ CLUSTER_NATS_URL: `nats://ok:4222,${server}` });
      expect(result.ok ? [] : result.problems).toEqual([
        `CLUSTER_NATS_URL must be nats:// or tls:// URLs separated by commas (no ws:// or wss://: the NATS client for Node has no WebSocket transport), got "${server}".`,
      ]);
    }
  });

  it.each([
    [{ CLUSTER_NATS_URL: 'http://nats-1.example:4222' }, 'CLUSTER_NATS_URL'],
    [{ CLUSTER_NATS_URL: 'nats://x:4222', CLUSTER_NAME: 'a.b' }, 'CLUSTER_NAME'],
    [{ CLUSTER_NATS_URL: 'nats://x:4222', CLUSTER_LEASE_TTL_MS: '100' }, 'CLUSTER_LEASE_TTL_MS'],
    [{ CLUSTER_NATS_URL: 'nats://x:4222', CLUSTER_EVENT_PUBLISHERS: '3' }, 'CLUSTER_EVENT_PUBLISHERS'],
  ])('refuse a bad value (%o names %s)', (env, name) => {
    const result = readConfig(env);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join('\n')).toContain(name);
  });

  it('are named in the start-up line without the NATS credentials', () => {
    const result = readConfig({ CLUSTER_NATS_URL: 'nats://gw:s3cret@a:4222,tls://t0ken@b:4222', CLUSTER_NODE_ID: 'gw-1' });
    if (!result.ok || result.config.cluster === undefined) throw new Error('expected a cluster');
    const fields = clusterLogFields(result.config.cluster);
    expect(fields).toEqual({
      natsUrl: 'nats://***@a:4222,tls://***@b:4222',
      name: 'coincall',
      node: 'gw-1',
      leaseTtlMs: 5_000,
      eventPublishers: 2,
    });
    expect(JSON.stringify(fields)).not.toMatch(/s3cret|t0ken|gw:/);
    expect(redactNatsUrl('nats://a:4222')).toBe('nats://a:4222');
  });
});
