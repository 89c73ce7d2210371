/**
 * The log as the operator reads it (issue 21): a real run on the simulator,
 * written by pino at debug, raw lines scanned: no line carries a key twice
 * (upstream lines carried `"market"` twice: bound by the child logger, then
 * added again by the call).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../src/app.ts';
import { DEMO_CREDENTIAL, TEST_CONFIG, disposeAll, onDispose, take, waitFor, wsClient } from './helpers/gateway.ts';
import { rawPinoLog, repeatedKeys } from './helpers/raw-log.ts';

afterEach(disposeAll);

describe('log lines', () => {
  it('the scan finds a key written twice, which JSON.parse would hide', () => {
    const line = '{"level":40,"market":"options","market":"options","msg":"x"}';
    expect(Object.keys(JSON.parse(line) as object)).toEqual(['level', 'market', 'msg']);
    expect(repeatedKeys(line)).toEqual(['market']);
    expect(repeatedKeys('{"a":{"market":1},"market":"m:\\"x"}')).toEqual([]);
  });

  it('a run with public and private streams and a reconnect writes no key twice in a line', async () => {
    const log = rawPinoLog('debug');
    const app = await startApp({
      config: { ...TEST_CONFIG, logLevel: 'debug' },
      logger: log.logger,
      simulator: { tickMs: 50, seed: 7 },
      upstream: { lingerMs: 50, connectionLingerMs: 50, backoff: () => 20 },
    });
    onDispose(() => app.close());
    const simulator = app.simulator;
    if (simulator === undefined) throw new Error('expected the simulator');
    await waitFor(() => simulator.connectionCount() >= 2, 'public upstream connections');
    const url = app.url.replace(/^http/, 'ws');

    const index = { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { price } }' };
    const balance = { query: 'subscription { accountBalance { equity } }' };
    expect((await take(wsClient(url), index, 1))[0]?.data).toBeDefined();
    expect((await take(wsClient(url, DEMO_CREDENTIAL), balance, 1))[0]?.data).toBeDefined();

    // The exchange drops every socket: down, reconnecting, restored lines.
    const before = log.lines.length;
    simulator.faults.dropConnections();
    expect((await take(wsClient(url), index, 1))[0]?.data).toBeDefined();
    await waitFor(() => log.lines.slice(before).some((line) => line.includes('restored')), 'the reconnect logged');
    await app.close();

    expect(log.lines.length).toBeGreaterThan(5);
    const withRepeats = log.lines.filter((line) => repeatedKeys(line).length > 0);
    expect(withRepeats).toEqual([]);
  });
});
