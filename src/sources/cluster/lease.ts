/**
 * One lease in the engine's bucket: the right to hold a topic's upstream
 * subscription and publish it. Taken when its key is free: with a KV create,
 * or an update naming the revision of the delete marker a release left (only
 * one replica's write succeeds either way); renewed every third of the TTL
 * with an update naming the revision it holds (so a lease another replica took
 * in between is never renewed by mistake), and lost at once when the engine
 * refuses a renewal (another revision: someone else wrote it). A renewal that
 * got no answer (a timeout, the link down a moment) stops publishing at once
 * (`valid()` is false) and is tried again every `RENEW_RETRY_MS` while the
 * lease is still valid: a short blip of the engine link costs no handover
 * (and no spurious gap marker from a takeover); past the deadline it is lost.
 * The bucket's max age is the TTL: a lease nobody renews disappears by
 * itself. A take over a delete marker is a handover (its holder gave it up);
 * over no key, the lease was never held or its holder died or stalled.
 *
 * `valid()` is the local fence: a holder paused past its TTL (SIGSTOP) sees its
 * deadline passed and publishes nothing before its next renewal succeeds; the
 * engine's own fence (expected last subject sequence) is the publisher's.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

/** Renewals per TTL: one missed renewal still leaves time for the next. */
export const RENEWALS_PER_TTL = 3;
/** A renewal that got no answer is tried again this soon (while the lease is valid). */
export const RENEW_RETRY_MS = 200;

export interface LeaseOptions {
  readonly kv: Pick<KV, 'get' | 'create' | 'update' | 'delete'>;
  readonly key: string;
  readonly node: string;
  readonly ttlMs: number;
  readonly now?: () => number;
  /** The lease was lost (renewal refused or failed): stop publishing. Not called after `release()`. */
  readonly onLost: (reason: string) => void;
}

export interface Lease {
  readonly key: string;
  /** Takes the lease if nobody holds it; true when this replica holds it now. */
  take(): Promise<boolean>;
  /** Held, and the last successful take or renewal is younger than the TTL. */
  valid(): boolean;
  readonly held: boolean;
  /** The last take found the key released by its holder (a delete marker): a handover, not a takeover. */
  readonly handedOver: boolean;
  /** Gives the lease up (deleting the key, so another replica may take it at once). */
  release(): Promise<void>;
}

export function createLease(options: LeaseOptions): Lease {
  const now = options.now ?? Date.now;
  const value = JSON.stringify({ node: options.node });
  let revision = 0;
  let held = false;
  let handedOver = false;
  let validUntil = 0;
  /** The last renewal got no answer: nothing is published until one succeeds. */
  let unanswered = false;
  let timer: NodeJS.Timeout | undefined;

  const lose = (reason: string) => {
    if (!held) return;
    held = false;
    clearTimeout(timer);
    timer = undefined;
    options.onLost(reason);
  };

  const schedule = (ms = Math.max(1, Math.floor(options.ttlMs / RENEWALS_PER_TTL))) => {
    timer = setTimeout(() => void renew(), ms);
  };

  const renew = async () => {
    if (!held) return;
    const started = now();
    if (started >= validUntil) return lose('expired before renewal');
    try {
      const next = await options.kv.update(options.key, value, revision);
      if (!held) return;
      revision = next;
      validUntil = started + options.ttlMs;
      unanswered = false;
      schedule();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // The engine's answer (another revision): someone else holds it. No answer: tried again while still valid.
      if (error instanceof JetStreamApiError || now() + RENEW_RETRY_MS >= validUntil) return lose(reason);
      if (!held) return;
      unanswered = true;
      schedule(RENEW_RETRY_MS);
    }
  };

  return {
    key: options.key,
    get held() {
      return held;
    },
    valid: () => held && !unanswered && now() < validUntil,
    get handedOver() {
      return handedOver;
    },
    take: async () => {
      if (held) return true;
      const started = now();
      try {
        const previous = await options.kv.get(options.key);
        if (previous?.operation === 'PUT') return false;
        // A delete marker (DEL, PURGE): its holder released it. None: never held, or expired with the bucket's max age.
        revision =
          previous === null ? await options.kv.create(options.key, value) : await options.kv.update(options.key, value, previous.revision);
        handedOver = previous !== null;
      } catch {
        return false;
      }
      held = true;
      unanswered = false;
      validUntil = started + options.ttlMs;
      schedule();
      return true;
    },
    release: async () => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      timer = undefined;
      await options.kv.delete(options.key, { previousSeq: revision }).catch(() => undefined);
    },
  };
}

/** Who holds a lease now: the node named in its value, or undefined when free. */
export async function leaseHolder(kv: KV, key: string): Promise<string | undefined> {
  const entry = await kv.get(key);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  try {
    const parsed: unknown = entry.json();
    if (typeof parsed === 'object' && parsed !== null && 'node' in parsed && typeof parsed.node === 'string') return parsed.node;
  } catch {
    return undefined;
  }
  return undefined;
}
