/**
 * The positions Query twins cold (no live topic), over real HTTP, against a
 * stand-in exchange that pushes positions the way the protocol says (every
 * position held about once a second, one frame each, the first push well
 * after the ack; nothing for an account with none), and against the
 * simulator. A cold query returns every position held the first time, a
 * filter works cold, an account with none gets [] only once the exchange
 * answered and a full push period passed without a position, a silent
 * exchange is UPSTREAM_TIMEOUT, and after an interruption (before a query or
 * while it waits) the set is the exchange's new one, not the one remembered
 * from before, nor an empty one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { POSITIONS_FULL_SET_MS } from '../src/hub/snapshot-memory.ts';
import { startGatewayOn } from './helpers/gateway-on-fake.ts';
import { ALICE, credentialHeaders, DEMO_CREDENTIAL, disposeAll, postGraphQL, startTestGateway, waitFor } from './helpers/gateway.ts';
import { startPositionsExchange, wirePosition, type PositionsExchangeOptions } from './helpers/positions-exchange.ts';

afterEach(disposeAll);

const HELD = [wirePosition('BTCUSD', '0.5'), wirePosition('ETHUSD', '4.58')];
const ALL = '{ futuresPositions { id symbol quantity } }';

async function gatewayOver(options: PositionsExchangeOptions, querySnapshotTimeoutMs?: number) {
  const stand = await startPositionsExchange(options);
  const upstream = { lingerMs: 10_000, ...(querySnapshotTimeoutMs === undefined ? {} : { querySnapshotTimeoutMs }) };
  const gateway = await startGatewayOn(stand.exchange, { upstream });
  const query = (query: string) => postGraphQL(gateway.url, { query }, credentialHeaders(ALICE));
  return { ...stand, query };
}

const positionsOf = (body: Record<string, unknown>) => (body['data'] as { futuresPositions: Array<{ symbol: string }> }).futuresPositions;
const symbolsOf = (body: Record<string, unknown>) => positionsOf(body).map((p) => p.symbol);

describe('a cold positions query', () => {
  it('returns every position held the first time, one frame per position', async () => {
    const { query } = await gatewayOver({ positions: HELD });
    const { body } = await query(ALL);
    expect(body['errors']).toBeUndefined();
    expect(positionsOf(body)).toEqual([
      { id: '1111111111:BTCUSD', symbol: 'BTCUSD', quantity: '0.5' },
      { id: '1111111111:ETHUSD', symbol: 'ETHUSD', quantity: '4.58' },
    ]);
  });

  it('returns every position held the first time when one frame lists them all', async () => {
    const { query } = await gatewayOver({ positions: HELD, form: 'list', firstPushAfterMs: 0 });
    const { body } = await query(ALL);
    expect(body['errors']).toBeUndefined();
    expect(symbolsOf(body)).toEqual(['BTCUSD', 'ETHUSD']);
  });

  it('filters by symbol cold', async () => {
    const { query } = await gatewayOver({ positions: HELD });
    const { body } = await query('{ futuresPositions(symbol: "ETHUSD") { symbol quantity } }');
    expect(body['errors']).toBeUndefined();
    expect(positionsOf(body)).toEqual([{ symbol: 'ETHUSD', quantity: '4.58' }]);
  });

  it('is [] for an account with none only after the exchange answered and a full push period brought nothing', async () => {
    const { query, exchange } = await gatewayOver({ positions: [] });
    const started = Date.now();
    const { body } = await query(ALL);
    expect(body['errors']).toBeUndefined();
    expect(positionsOf(body)).toEqual([]);
    expect(exchange.requests.filter((r) => r.dataType === 'position' && r.action === 'subscribe')).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(POSITIONS_FULL_SET_MS);
  });

  it('is UPSTREAM_TIMEOUT, never [], when the exchange does not answer', async () => {
    const { query } = await gatewayOver({ positions: HELD, answer: false }, POSITIONS_FULL_SET_MS + 500);
    const { body } = await query(ALL);
    expect(body['data']).toBeNull();
    expect(body['errors']).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UPSTREAM_TIMEOUT' }) })]);
  });

  it('after an interruption, answers the set the exchange pushes now, not the one from before', async () => {
    const { query, exchange, held } = await gatewayOver({ positions: HELD });
    expect(symbolsOf((await query(ALL)).body)).toEqual(['BTCUSD', 'ETHUSD']);
    // ETHUSD is closed while the connection is down: the exchange never pushes it again.
    held([wirePosition('BTCUSD', '0.5')]);
    exchange.dropAll();
    const resubscribed = () => exchange.requests.filter((r) => r.dataType === 'position' && r.action === 'subscribe').length === 2;
    await waitFor(resubscribed, 'the positions resubscribe after the reconnect');
    expect(symbolsOf((await query(ALL)).body)).toEqual(['BTCUSD']);
  });
});

describe('a positions query cut off while it waits', () => {
  it('answers the set pushed after the exchange is back, not what was left when its first wait ran out', async () => {
    const { query, exchange, held } = await gatewayOver({ positions: HELD, firstPushAfterMs: 0 });
    const subscribes = () => exchange.requests.filter((r) => r.dataType === 'position' && r.action === 'subscribe').length;
    const answer = query(ALL);
    await waitFor(() => subscribes() === 1, 'the positions subscribe');
    const firstAnswered = Date.now();
    // The connection drops, and the exchange stays away past the end of the first wait.
    exchange.freeze(true);
    exchange.dropAll();
    await waitFor(() => Date.now() - firstAnswered > POSITIONS_FULL_SET_MS + 200, 'the end of the first wait');
    held([wirePosition('BTCUSD', '0.5')]);
    exchange.freeze(false);
    const { body } = await answer;
    expect(body['errors']).toBeUndefined();
    expect(symbolsOf(body)).toEqual(['BTCUSD']);
    expect(subscribes()).toBe(2);
  });
});

describe('against the simulator', () => {
  it('cold queries of both markets return the seeded positions, each symbol once', async () => {
    const gateway = await startTestGateway({ upstream: { lingerMs: 10_000 } });
    const headers = credentialHeaders(DEMO_CREDENTIAL);
    const cold = await postGraphQL(gateway.url, { query: '{ futuresPositions { symbol } optionPositions { symbol } }' }, headers);
    expect(cold.body['errors']).toBeUndefined();
    const data = cold.body['data'] as Record<string, Array<{ symbol: string }>>;
    const futures = (data['futuresPositions'] ?? []).map((p) => p.symbol);
    const options = (data['optionPositions'] ?? []).map((p) => p.symbol);
    // The simulated account starts with a BTCUSD futures position and a BTCUSD call (accounts.ts); fills may add more.
    expect(futures).toContain('BTCUSD');
    expect(options.some((s) => /^BTCUSD-.*-C$/.test(s))).toBe(true);
    expect(new Set(futures).size).toBe(futures.length);
    expect(new Set(options).size).toBe(options.length);
  });
});
