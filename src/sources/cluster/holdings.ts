/**
 * Which topics this replica holds. A topic this replica has subscribers of is
 * "wanted": each round (a third of the lease TTL) it tries to take one of the
 * topic's lease slots (one slot for a state topic, `CLUSTER_EVENT_PUBLISHERS`
 * for trades; a replica takes at most one slot of a topic). A trades topic
 * some other replica declares interest in is taken too while one of its slots
 * is free, so that it has `CLUSTER_EVENT_PUBLISHERS` holders even when all its
 * subscribers are on one replica. A held topic is kept while any replica
 * declares interest in it, then released. Each round looks at the bucket once
 * (`bucket-view.ts`). `hold` and `drop` tell the source to start and stop the
 * topic's upstream subscription and publishing; a lost lease drops at once
 * (the lease calls back).
 *
 * Taking a slot another replica was seen holding is a takeover (its holder
 * died or stalled: the lease expired) or a handover (its holder released it,
 * e.g. on SIGTERM), counted apart.
 */
import type { KV } from '@nats-io/kv';
import { viewBucket, type BucketView } from './bucket-view.ts';
import { eventTopicOfId } from './cluster-topic.ts';
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
  /** A lease another replica held was taken over by this one after it expired (its holder died or stalled). */
  readonly onTakeover?: (topic: ClusterTopic) => void;
  /** A lease another replica held was taken by this one after its holder released it. */
  readonly onHandover?: (topic: ClusterTopic) => void;
  /** The trades topic an engine id names (another replica's interest), or undefined; default `eventTopicOfId`. */
  readonly eventTopicOf?: (id: string) => ClusterTopic | undefined;
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
  /** Another replica was seen holding it when this one tried: taking it later is a takeover or a handover. */
  seenHeld: boolean;
}

const entryOf = (topic: ClusterTopic): Entry => ({ topic, wanted: false, lease: undefined, seenHeld: false });

export function createHoldings(options: HoldingsOptions): Holdings {
  const { kv, names, node, ttlMs, presence } = options;
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const eventTopicOf = options.eventTopicOf ?? ((id: string) => eventTopicOfId(id)?.cluster);

  /** A round each third of the TTL; its look at the bucket gets as long. */
  const period = Math.max(1, Math.floor(ttlMs / RENEWALS_PER_TTL));

  const slots = (topic: ClusterTopic) => (topic.kind === 'event' ? options.eventPublishers : 1);

  /** `forOthers`: taken for another replica's interest (an extra trades holder), not for this one's subscribers. */
  const tryTake = async (entry: Entry, forOthers: boolean) => {
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
        // Its subscribers left while it was being taken: given back at once (not held until the next round).
        if (stopped || !entries.has(entry.topic.id) || (!entry.wanted && !forOthers)) return void (await lease.release());
        entry.lease = lease;
        if (entry.seenHeld) (lease.handedOver ? options.onHandover : options.onTakeover)?.(entry.topic);
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

  /** A trades topic of another replica's interest, not wanted here, with a slot free: taken too. */
  const extra = (entry: Entry, view: BucketView | undefined) =>
    entry.topic.kind === 'event' &&
    view?.interested.has(entry.topic.id) === true &&
    Array.from({ length: slots(entry.topic) }, (_, slot) => names.leaseKey(entry.topic, slot)).some((key) => !view.leases.has(key));

  /** `view` undefined: the bucket could not be listed; nothing is released or taken for another replica then. */
  const visit = async (entry: Entry, view: BucketView | undefined) => {
    if (entry.lease === undefined) {
      if (entry.wanted || extra(entry, view)) await tryTake(entry, !entry.wanted);
      // Another replica's trades topic, its slots all held by others: kept (seen held), to take a slot that frees.
      else if (entry.topic.kind === 'event' && view?.interested.has(entry.topic.id) === true) entry.seenHeld = true;
      else entries.delete(entry.topic.id);
      return;
    }
    if (!entry.wanted && view !== undefined && !view.interested.has(entry.topic.id)) {
      await release(entry, 'released');
      if (!entry.wanted) entries.delete(entry.topic.id);
    }
  };

  /** The trades topics other replicas declare interest in join the round (private channels never have interest keys). */
  const adopt = (view: BucketView) => {
    for (const id of view.interested) {
      if (entries.has(id)) continue;
      const topic = eventTopicOf(id);
      if (topic?.kind === 'event') entries.set(id, entryOf(topic));
    }
  };

  /** A round asked for and not started yet: asking again joins it (a burst of subscribes runs one round, not one each). */
  let queued: Promise<void> | undefined;

  const round = () => {
    if (queued !== undefined) return queued;
    queued = running.then(async () => {
      queued = undefined;
      if (stopped) return;
      const view = await viewBucket(kv, period).catch((error: unknown) => void options.onError?.(error));
      if (view !== undefined) adopt(view);
      for (const entry of [...entries.values()]) {
        if (stopped) return;
        await visit(entry, view).catch((error: unknown) => options.onError?.(error));
      }
    });
    running = queued;
    return queued;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void round().finally(schedule), period);
  };
  schedule();

  return {
    want: (topic) => {
      const entry = entries.get(topic.id) ?? entryOf(topic);
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
