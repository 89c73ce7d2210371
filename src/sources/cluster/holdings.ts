/**
 * Which topics this replica holds. A topic this replica has subscribers of is
 * "wanted": each round (a third of the lease TTL) it tries to take one of the
 * topic's lease slots (one slot for a state topic, `CLUSTER_EVENT_PUBLISHERS`
 * for trades; a replica takes at most one slot of a topic). A held topic is
 * kept while any replica declares interest in it, then released. `hold` and
 * `drop` tell the source to start and stop the topic's upstream subscription
 * and publishing; a lost lease drops at once (the lease calls back).
 */
import type { KV } from '@nats-io/kv';
import { createLease, leaseHolder, RENEWALS_PER_TTL, type Lease } from './lease.ts';
import type { Presence } from './presence.ts';
import type { ClusterNames, ClusterTopic } from './subjects.ts';

export type DropReason = 'lost' | 'released' | 'stopped';

export interface HoldingsOptions {
  readonly kv: KV;
  readonly names: ClusterNames;
  readonly node: string;
  readonly ttlMs: number;
  /** Holders of each trades topic at once (1 or 2). */
  readonly eventPublishers: number;
  readonly presence: Presence;
  /** This replica took a lease of `topic`: subscribe upstream and publish while `lease.valid()`. */
  readonly hold: (topic: ClusterTopic, lease: Lease) => void;
  /** It holds `topic` no more: stop publishing and unsubscribe upstream. */
  readonly drop: (topic: ClusterTopic, reason: DropReason) => void;
  /** A lease another replica held was taken over by this one. */
  readonly onTakeover?: (topic: ClusterTopic) => void;
  readonly onError?: (error: unknown) => void;
}

export interface Holdings {
  /** This replica has subscribers of `topic` (declares interest, tries to take it). */
  want(topic: ClusterTopic): void;
  /** It has none any more. */
  unwant(topic: ClusterTopic): void;
  /** The topics held now. */
  held(): ClusterTopic[];
  /** The nodes holding `topic` now, from the engine. */
  holders(topic: ClusterTopic): Promise<string[]>;
  /** Runs one round now (tests; a subscribe that should not wait for the next round). */
  round(): Promise<void>;
  stop(): Promise<void>;
}

interface Entry {
  readonly topic: ClusterTopic;
  wanted: boolean;
  lease: Lease | undefined;
  /** Another replica was seen holding it when this one tried: taking it later is a takeover. */
  seenHeld: boolean;
}

export function createHoldings(options: HoldingsOptions): Holdings {
  const { kv, names, node, ttlMs, presence } = options;
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const slots = (topic: ClusterTopic) => (topic.kind === 'event' ? options.eventPublishers : 1);

  const tryTake = async (entry: Entry) => {
    for (let slot = 0; slot < slots(entry.topic); slot++) {
      const lease = createLease({
        kv,
        key: names.leaseKey(entry.topic, slot),
        node,
        ttlMs,
        onLost: () => {
          if (entry.lease !== lease) return;
          entry.lease = undefined;
          options.drop(entry.topic, 'lost');
        },
      });
      if (await lease.take()) {
        if (stopped || !entries.has(entry.topic.id)) return void (await lease.release());
        entry.lease = lease;
        if (entry.seenHeld) options.onTakeover?.(entry.topic);
        entry.seenHeld = false;
        options.hold(entry.topic, lease);
        return;
      }
    }
    entry.seenHeld = true;
  };

  const release = async (entry: Entry, reason: DropReason) => {
    const lease = entry.lease;
    if (lease === undefined) return;
    entry.lease = undefined;
    options.drop(entry.topic, reason);
    await lease.release();
  };

  const visit = async (entry: Entry) => {
    if (entry.lease === undefined) {
      if (entry.wanted) await tryTake(entry);
      else entries.delete(entry.topic.id);
      return;
    }
    if (!entry.wanted && !(await presence.anyInterest(entry.topic))) {
      await release(entry, 'released');
      if (!entry.wanted) entries.delete(entry.topic.id);
    }
  };

  const round = () => {
    running = running.then(async () => {
      for (const entry of [...entries.values()]) {
        if (stopped) return;
        await visit(entry).catch((error: unknown) => options.onError?.(error));
      }
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void round().finally(schedule), Math.max(1, Math.floor(ttlMs / RENEWALS_PER_TTL)));
  };
  schedule();

  return {
    want: (topic) => {
      const entry = entries.get(topic.id) ?? { topic, wanted: false, lease: undefined, seenHeld: false };
      entries.set(topic.id, entry);
      if (entry.wanted) return;
      entry.wanted = true;
      void presence.declare(topic);
      void round();
    },
    unwant: (topic) => {
      const entry = entries.get(topic.id);
      if (entry === undefined || !entry.wanted) return;
      entry.wanted = false;
      void presence.withdraw(topic);
    },
    held: () => [...entries.values()].filter((e) => e.lease?.held === true).map((e) => e.topic),
    holders: async (topic) => {
      const found = await Promise.all(Array.from({ length: slots(topic) }, (_, slot) => leaseHolder(kv, names.leaseKey(topic, slot))));
      return found.filter((holder): holder is string => holder !== undefined).sort();
    },
    round,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      await Promise.all([...entries.values()].map((entry) => release(entry, 'stopped')));
      entries.clear();
    },
  };
}
