/**
 * One look at the lease bucket per holdings round, from one listing of its
 * keys (not one per topic): the topics any replica declares interest in
 * (`interest.<topic>.<node>`), and the lease slots taken now
 * (`lease.<topic>.<slot>`). A listing leaves deleted keys out (a released
 * lease, a withdrawn interest), and expired ones are gone from the bucket.
 *
 * A listing whose last pending key expires under it would only end at the
 * client's idle heartbeat (5 s): one that takes longer than `timeoutMs` fails
 * instead (the round then takes and releases nothing for other replicas).
 */
import type { KV } from '@nats-io/kv';
import { topicOfInterestKey } from './subjects.ts';

export interface BucketView {
  /** The ids of the topics some replica declared interest in within the lease TTL. */
  readonly interested: ReadonlySet<string>;
  /** The lease keys held now (`names.leaseKey(topic, slot)`). */
  readonly leases: ReadonlySet<string>;
}

export async function viewBucket(kv: KV, timeoutMs: number): Promise<BucketView> {
  const interested = new Set<string>();
  const leases = new Set<string>();
  const keys = await kv.keys();
  const timer = setTimeout(() => keys.stop(new Error(`listing the lease bucket took over ${timeoutMs} ms`)), timeoutMs);
  try {
    for await (const key of keys) {
      if (key.startsWith('lease.')) leases.add(key);
      const topicId = topicOfInterestKey(key);
      if (topicId !== undefined) interested.add(topicId);
    }
  } finally {
    clearTimeout(timer);
  }
  return { interested, leases };
}
