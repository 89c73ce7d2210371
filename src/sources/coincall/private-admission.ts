/**
 * Who may open a private upstream connection now: the gateway's answer to
 * clients that present invented or borrowed credentials to make it hammer
 * the exchange (every refused credential still costs a handshake there).
 *
 * - a credential the exchange refused recently fails fast (FORBIDDEN, no
 *   handshake), from a bounded, expiring memo;
 * - each client address has its own handshake budget
 *   (UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND_PER_ADDRESS), so keys one source
 *   sprays cost that source, not everyone;
 * - the global budget (UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND) is shared,
 *   but strangers (credentials the exchange has not accepted lately) may use
 *   only STRANGERS_SHARE of it: the rest stays for accounts it did accept,
 *   which also skip the per-address budget. A real account is therefore not
 *   starved by strangers, from its own address or any other.
 *
 * Reconnects of open connections queue behind the global budget instead of
 * being refused. Every part reads time through the injected clock.
 */
import { limitExceeded } from '../../lib/errors.ts';
import { LIMIT_SETTINGS } from '../../lib/limits.ts';
import type { TokenBucket } from '../../lib/token-bucket.ts';
import { createExpiringSet, createHandshakeBudget, createKeyedBuckets } from './admission.ts';

/** How long an account the exchange accepted counts as known (it may reconnect after a day away). */
export const ACCEPTED_CREDENTIAL_TTL_MS = 24 * 60 * 60_000;
/** Known accounts remembered at once (fingerprints, about 100 bytes each). */
export const MAX_ACCEPTED_CREDENTIALS = 10_000;
/** The part of the global handshake budget strangers may use; the rest is kept for known accounts. */
export const STRANGERS_SHARE = 0.5;
/** Client addresses whose handshake budgets are tracked at once (least recently used forgotten first). */
export const MAX_TRACKED_ADDRESSES = 10_000;
/** An address may open this many seconds' worth of its rate back to back. */
const PER_ADDRESS_BURST_SECONDS = 2;

export interface PrivateAdmissionOptions {
  /** Global handshakes per second, and back to back. */
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Handshakes per second from one client address (strangers only). */
  readonly perAddressPerSecond: number;
  readonly refusedTtlMs: number;
  readonly maxRefused: number;
  readonly now: () => number;
}

export interface PrivateAdmission {
  /** Whether the exchange refused this credential (fingerprint) lately. */
  isRefused(owner: string): boolean;
  refused(owner: string): void;
  /** The exchange accepted the credential: from now on it is known. */
  accepted(owner: string): void;
  /** Admits a new private connection of `owner` asked for from `address`, or throws LIMIT_EXCEEDED. */
  admit(owner: string, address: string | undefined): void;
  /** A reconnect's wait for the global budget (it is queued, never refused). */
  reconnectDelay(): number;
  /** Refused credentials remembered now. */
  refusedCount(): number;
}

export function createPrivateAdmission(options: PrivateAdmissionOptions): PrivateAdmission {
  const { now } = options;
  const global: TokenBucket = createHandshakeBudget({ ratePerSecond: options.ratePerSecond, burst: options.burst, now });
  const strangers: TokenBucket = createHandshakeBudget({
    ratePerSecond: options.ratePerSecond * STRANGERS_SHARE,
    burst: Math.max(1, Math.floor(options.burst * STRANGERS_SHARE)),
    now,
  });
  const perAddress = createKeyedBuckets({
    ratePerSecond: options.perAddressPerSecond,
    burst: Math.max(1, Math.floor(options.perAddressPerSecond * PER_ADDRESS_BURST_SECONDS)),
    maxKeys: MAX_TRACKED_ADDRESSES,
    now,
  });
  const refused = createExpiringSet({ ttlMs: options.refusedTtlMs, maxSize: options.maxRefused, now });
  const known = createExpiringSet({ ttlMs: ACCEPTED_CREDENTIAL_TTL_MS, maxSize: MAX_ACCEPTED_CREDENTIALS, now });

  const busy = (env: string) =>
    limitExceeded(`Too many accounts are connecting to Coincall through the gateway right now (${env}); try again in a few seconds.`);

  return {
    isRefused: (owner) => refused.has(owner),
    refused(owner) {
      // A key revoked since it was accepted is a stranger again.
      known.delete(owner);
      refused.add(owner);
    },
    accepted: (owner) => known.add(owner),
    admit(owner, address) {
      if (!known.has(owner)) {
        if (address !== undefined && !perAddress.tryTake(address))
          throw busy(LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecondPerAddress.env);
        if (!strangers.tryTake()) throw busy(LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecond.env);
      }
      if (!global.tryTake()) throw busy(LIMIT_SETTINGS.upstreamPrivateHandshakesPerSecond.env);
    },
    reconnectDelay: () => global.reserve(),
    refusedCount: () => refused.size(),
  };
}
