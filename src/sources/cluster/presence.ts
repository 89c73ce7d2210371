/**
 * Who is alive and who wants what, in the lease bucket (its max age is the
 * lease TTL, so both expire by themselves when a replica dies): `node.<node>`
 * is put by every replica each third of the TTL; `interest.<topic>.<node>` is
 * put each third of the TTL for every topic this replica has subscribers of,
 * and deleted when they are gone. A holder keeps a topic while any replica's
 * interest key exists, and a trades topic's free lease slot is taken by a
 * replica that sees one (`holdings.ts`, `bucket-view.ts`).
 *
 * `node.<node>` carries this process's instance token too: a replica that finds
 * its node key written with another token (between two of its own rounds) shares
 * its CLUSTER_NODE_ID with another live process, and logs an error once for
 * each such process it sees.
 */
import { randomUUID } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { Logger } from '../../lib/logger.ts';
import { RENEWALS_PER_TTL } from './lease.ts';
import { nodeFromToken, type ClusterNames, type ClusterTopic } from './subjects.ts';

export interface PresenceOptions {
  readonly kv: KV;
  readonly names: ClusterNames;
  readonly node: string;
  readonly ttlMs: number;
  /** A write to the engine failed (it is unreachable): the next round tries again. */
  readonly onError?: (error: unknown) => void;
  /** Where a duplicate node id is reported (the logger names the node). */
  readonly logger?: Logger;
  /** This process's token in `node.<node>` (default: a random one). */
  readonly instance?: string;
}

export const DUPLICATE_NODE_MESSAGE =
  'cluster: another live process uses this CLUSTER_NODE_ID: give every replica its own (holders and replicas are wrong until then)';

export interface Presence {
  /** Starts the rounds (the first one at once). */
  start(): Promise<void>;
  /** This replica has subscribers of `topic`. */
  declare(topic: ClusterTopic): Promise<void>;
  /** It has none any more. */
  withdraw(topic: ClusterTopic): Promise<void>;
  /** The nodes alive within the TTL, this one included, sorted. */
  replicas(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The instance token of a `node.<node>` value, if it has one (a replica of an older version writes none). */
function instanceOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('instance' in value)) return undefined;
  return typeof value.instance === 'string' ? value.instance : undefined;
}

async function keysOf(kv: KV, filter: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await kv.keys(filter)) keys.push(key);
  return keys;
}

export function createPresence(options: PresenceOptions): Presence {
  const { kv, names, node } = options;
  const interests = new Map<string, ClusterTopic>();
  const instance = options.instance ?? randomUUID();
  const encoded = JSON.stringify({ node, instance });
  /** Other processes' tokens already reported. */
  const reported = new Set<string>();
  let wrote = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const put = (key: string) =>
    kv.put(key, encoded).then(
      () => true,
      (error: unknown) => {
        options.onError?.(error);
        return false;
      },
    );

  /** Whether another process wrote this node's key since this one last did (before the first write, a dead predecessor's value is no sign). */
  const checkOwnKey = async () => {
    if (!wrote) return;
    const entry = await kv.get(names.presenceKey(node)).catch((error: unknown) => void options.onError?.(error));
    if (entry === undefined || entry === null || entry.operation !== 'PUT') return;
    let other: string | undefined;
    try {
      other = instanceOf(entry.json());
    } catch {
      return;
    }
    if (other === undefined || other === instance || reported.has(other)) return;
    reported.add(other);
    options.logger?.error({ instance, other }, DUPLICATE_NODE_MESSAGE);
  };

  const round = async () => {
    await checkOwnKey();
    if (await put(names.presenceKey(node))) wrote = true;
    await Promise.all([...interests.values()].map((topic) => put(names.interestKey(topic, node))));
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void round().finally(schedule), Math.max(1, Math.floor(options.ttlMs / RENEWALS_PER_TTL)));
  };

  return {
    start: async () => {
      await round();
      schedule();
    },
    declare: async (topic) => {
      interests.set(topic.id, topic);
      await put(names.interestKey(topic, node));
    },
    withdraw: async (topic) => {
      if (!interests.delete(topic.id)) return;
      await kv.delete(names.interestKey(topic, node)).catch((error: unknown) => options.onError?.(error));
    },
    replicas: async () => {
      const keys = await keysOf(kv, names.presenceFilter);
      // A key rewritten while it is listed may be listed twice.
      return [...new Set(keys.map((key) => nodeFromToken(key.slice('node.'.length))))].sort();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...interests.values()].map((topic) => kv.delete(names.interestKey(topic, node)).catch(() => undefined)));
      interests.clear();
      await kv.delete(names.presenceKey(node)).catch(() => undefined);
    },
  };
}
