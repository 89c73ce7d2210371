/**
 * Admission of private upstream connections, on a manual clock: strangers
 * (keys the exchange has not accepted lately) pay their address's budget and
 * may use only STRANGERS_SHARE of the global one; a known account skips the
 * per-address budget and keeps the rest of the global one; a key refused
 * since is a stranger again.
 */
import { describe, expect, it } from 'vitest';
import { createPrivateAdmission, STRANGERS_SHARE } from '../src/sources/coincall/private-admission.ts';

function admission({ perAddressPerSecond = 2, ratePerSecond = 10, burst = 10 } = {}) {
  let t = 1_000_000;
  const gate = createPrivateAdmission({ ratePerSecond, burst, perAddressPerSecond, refusedTtlMs: 30_000, maxRefused: 100, now: () => t });
  /** The error code and limit named, or `admitted`. */
  const tryAdmit = (owner: string, address: string | undefined): string => {
    try {
      gate.admit(owner, address);
      return 'admitted';
    } catch (error) {
      const match = /\(([A-Z_]+)\)/.exec(error instanceof Error ? error.message : '');
      return `${(error as { code?: string }).code ?? '?'} ${match?.[1] ?? ''}`;
    }
  };
  return { gate, tryAdmit, advance: (ms: number) => (t += ms) };
}

describe('private admission', () => {
  it('refuses a stranger past its address budget, naming UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND_PER_ADDRESS, while another address is served', () => {
    const { tryAdmit, advance } = admission({ perAddressPerSecond: 2 });
    // Twice the rate back to back.
    const outcomes = Array.from({ length: 5 }, (_, i) => tryAdmit(`stranger${i}`, '127.0.0.1'));
    expect(outcomes).toEqual([
      'admitted',
      'admitted',
      'admitted',
      'admitted',
      'LIMIT_EXCEEDED UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND_PER_ADDRESS',
    ]);
    expect(tryAdmit('someone', '127.0.0.2')).toBe('admitted');
    advance(500);
    expect(tryAdmit('stranger9', '127.0.0.1')).toBe('admitted');
  });

  it("keeps the global budget's other share for known accounts, however many addresses strangers come from", () => {
    const { gate, tryAdmit } = admission({ perAddressPerSecond: 100, ratePerSecond: 10, burst: 10 });
    gate.accepted('alice');
    const strangers = Array.from({ length: 20 }, (_, i) => tryAdmit(`stranger${i}`, `10.0.0.${i}`));
    expect(strangers.filter((o) => o === 'admitted')).toHaveLength(Math.floor(10 * STRANGERS_SHARE));
    expect(strangers.at(-1)).toBe('LIMIT_EXCEEDED UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND');
    // Alice comes from the strangers' own address, spent as it is.
    expect(tryAdmit('alice', '10.0.0.0')).toBe('admitted');
  });

  it('treats a known account the exchange refused since as a stranger again', () => {
    const { gate, tryAdmit } = admission({ perAddressPerSecond: 1 });
    gate.accepted('bob');
    gate.refused('bob');
    expect(gate.isRefused('bob')).toBe(true);
    // The address's burst: twice its rate of one a second.
    expect([tryAdmit('x', '127.0.0.1'), tryAdmit('y', '127.0.0.1')]).toEqual(['admitted', 'admitted']);
    expect(tryAdmit('bob', '127.0.0.1')).toBe('LIMIT_EXCEEDED UPSTREAM_PRIVATE_HANDSHAKES_PER_SECOND_PER_ADDRESS');
  });
});
