/**
 * A credential error only when the exchange refused the key (issue 21): after
 * the exchange stopped and came back, the handshakes it had left waiting are
 * answered 403 because their signatures went stale meanwhile. That says
 * nothing of the key: no level-50 "upstream refused the server credential",
 * no key marked refused; a fresh handshake follows. A prompt 403 is a real
 * refusal and still logged as one. Against the scripted stand-in exchange,
 * with a clock both sides share and the test moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_MAX_SKEW_MS } from '../src/coincall/signing.ts';
import { disposeAll, waitFor } from './helpers/gateway.ts';
import { startUpstreamOnFakeExchange } from './helpers/fake-exchange.ts';

afterEach(disposeAll);

const CREDENTIAL_ERROR = 'upstream refused the server credential';

/** A clock running with real time plus whatever the test adds (a pause that lasted). */
function sharedClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, pass: (ms: number) => void (offset += ms) };
}

describe('the server credential', () => {
  it('an exchange that stops and comes back answers the waiting handshakes 403 (stale): no credential error, back at once', async () => {
    const clock = sharedClock();
    const { exchange, upstream, logs } = await startUpstreamOnFakeExchange({ now: clock.now }, { now: clock.now });
    const before = exchange.upgrades.length;

    exchange.freeze(true);
    exchange.dropAll();
    // Both markets' reconnects reach the stopped exchange and wait there.
    await waitFor(() => exchange.waiting() >= 2, 'both reconnects waiting on the stopped exchange');
    clock.pass(2 * SIGNATURE_MAX_SKEW_MS);
    exchange.freeze(false);

    await waitFor(() => upstream.ready(), 'both public connections back');
    // The held handshakes were refused as stale, then fresh ones accepted.
    expect(exchange.upgrades.length).toBeGreaterThanOrEqual(before + 4);
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(logs.text()).not.toContain(CREDENTIAL_ERROR);
    expect(logs.text()).toContain('signature went stale');
  });

  it('a prompt 403 is a refused key: logged as the credential error', async () => {
    let refuse = false;
    const { exchange, logs } = await startUpstreamOnFakeExchange({ refuse: () => refuse });
    refuse = true;
    exchange.dropAll();
    await waitFor(() => logs.text().includes(CREDENTIAL_ERROR), 'the credential error');
    expect(logs.lines.find((line) => line.msg?.includes(CREDENTIAL_ERROR))?.level).toBe('error');
  });
});
