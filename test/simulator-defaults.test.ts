/**
 * What the simulator teaches by default: the live wire form (every field a
 * real frame carries, on every frame: no null `timestamp` or `openInterest`,
 * `markIv` from the first chain frame on), and a demo account that stays
 * solvent (available balance at or above zero, equal to equity less initial
 * margin) however long it trades.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AccountState } from '../src/simulator/accounts.ts';
import { listedExpiries } from '../src/simulator/instrument-specs.ts';
import { Market } from '../src/simulator/market.ts';
import { DEFAULT_WIRE_FORM } from '../src/simulator/publish.ts';
import { DEMO_ACCOUNT } from '../src/simulator/simulator-api.ts';
import { disposeAll, sse, startTestGateway } from './helpers/gateway.ts';

afterAll(disposeAll);

describe('the default wire form', () => {
  it('is the live form', () => {
    expect(DEFAULT_WIRE_FORM).toBe('live');
  });

  it("carries every field of the README's curl example, and openInterest, on every index price event", async () => {
    const gateway = await startTestGateway({ simulator: { tickMs: 50, seed: 7, wireForm: DEFAULT_WIRE_FORM } });
    const events = await sse(
      gateway.url,
      { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol markPrice indexPrice timestamp openInterest } }' },
      6,
    );
    expect(events).toHaveLength(6);
    for (const event of events) {
      const value = (event as { data: { futuresIndexPrice: Record<string, unknown> } }).data.futuresIndexPrice;
      for (const field of ['symbol', 'markPrice', 'indexPrice', 'timestamp', 'openInterest']) expect(value[field], field).not.toBeNull();
    }
  });

  it('gives every ticker of the first option-chain event its markIv', async () => {
    const gateway = await startTestGateway({ simulator: { tickMs: 50, seed: 7, wireForm: DEFAULT_WIRE_FORM } });
    const expiry = new Date(listedExpiries(Date.now())[1] as number).toISOString();
    const [first] = await sse(
      gateway.url,
      { query: `subscription { optionChain(underlying: "BTCUSD", expiry: "${expiry}") { tickers { symbol markIv } } }` },
      1,
    );
    const tickers = (first as { data: { optionChain: { tickers: Array<{ markIv: number | null }> } } }).data.optionChain.tickers;
    expect(tickers.length).toBeGreaterThan(0);
    for (const ticker of tickers) expect(ticker.markIv).not.toBeNull();
  });
});

describe('the demo account', () => {
  const START = Date.UTC(2030, 0, 1);
  const TICK_MS = 250;
  const TICKS = 4_000;

  it('stays solvent and coherent while it trades', () => {
    const market = new Market(7, START);
    let orderId = 1n;
    const account = new AccountState(DEMO_ACCOUNT.userId, 7, market, () => orderId++, START);
    let lowest = Number.POSITIVE_INFINITY;
    let incoherent = 0;
    for (let tick = 1; tick <= TICKS; tick++) {
      const now = START + tick * TICK_MS;
      market.step(now, []);
      account.step(now);
      const balance = account.balanceRecord();
      const available = Number(balance.availableBalance);
      lowest = Math.min(lowest, available);
      incoherent += Math.abs(available - (Number(balance.equity) - Number(balance.initialMargin))) > 0.011 ? 1 : 0;
    }
    expect(incoherent).toBe(0);
    expect(lowest).toBeGreaterThanOrEqual(0);
  });
});
