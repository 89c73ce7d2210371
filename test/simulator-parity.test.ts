/**
 * The simulated options market is arbitrage-free across call and put: a
 * strike's call and put share one implied volatility (the model's smile plus
 * that strike's drift), so with zero rates put-call parity holds,
 * C - P = F - K, on every strike of every listed expiry, tick after tick.
 */
import { describe, expect, it } from 'vitest';
import { parseOptionSymbol } from '../src/coincall/symbols.ts';
import { listedExpiries, underlyingSpec } from '../src/simulator/instrument-specs.ts';
import { Market, type TickerRecord } from '../src/simulator/market.ts';
import { smileVol, YEAR_MS } from '../src/simulator/black-scholes.ts';

const START = Date.UTC(2030, 0, 1);
const TICK_MS = 250;
const TICKS = 40;
/** Parity may be off by one part per million of the underlying (mark rounding, the normal CDF approximation). */
const PARITY_TOLERANCE = 1e-6;

interface Pair {
  readonly strike: number;
  readonly call: TickerRecord;
  readonly put: TickerRecord;
}

/** The chain's calls and puts, paired by strike. */
function pairs(records: readonly TickerRecord[]): Pair[] {
  const byStrike = new Map<string, { call?: TickerRecord; put?: TickerRecord }>();
  for (const record of records) {
    const parsed = parseOptionSymbol(record.symbol);
    if (parsed === undefined) throw new Error(`not an option: ${record.symbol}`);
    const pair = byStrike.get(parsed.strike) ?? {};
    if (parsed.type === 'CALL') pair.call = record;
    else pair.put = record;
    byStrike.set(parsed.strike, pair);
  }
  return [...byStrike].map(([strike, { call, put }]) => {
    if (call === undefined || put === undefined) throw new Error(`strike ${strike} lacks its call or put`);
    return { strike: Number(strike), call, put };
  });
}

describe('put-call parity in the simulated options market', () => {
  it.each(['BTCUSD', 'ETHUSD'])('holds on every strike of every listed %s expiry, across ticks', (underlying) => {
    const market = new Market(11, START);
    const expiries = listedExpiries(START).slice(0, 3);
    let checked = 0;
    for (let tick = 1; tick <= TICKS; tick++) {
      market.step(START + tick * TICK_MS, []);
      for (const expiry of expiries) {
        for (const { strike, call, put } of pairs(market.chainRecords(underlying, expiry))) {
          const forward = Number(call.underlyingPrice);
          const parityGap = Number(call.markPrice) - Number(put.markPrice) - (forward - strike);
          expect(Math.abs(parityGap), `${call.symbol} at tick ${tick}`).toBeLessThanOrEqual(forward * PARITY_TOLERANCE);
          expect(put.markIv, `${put.symbol} shares its call's implied volatility`).toBe(call.markIv);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(TICKS * expiries.length);
  });

  it('gives a strike one implied volatility on the pricing channel too', () => {
    const market = new Market(11, START);
    const expiry = listedExpiries(START)[1] as number;
    const [first] = pairs(market.chainRecords('BTCUSD', expiry));
    if (first === undefined) throw new Error('empty chain');
    for (let tick = 1; tick <= TICKS; tick++) {
      market.step(START + tick * TICK_MS, [first.call.symbol, first.put.symbol]);
      const call = market.pricingRecord(first.call.symbol);
      const put = market.pricingRecord(first.put.symbol);
      expect(call?.impliedVolatility).toEqual(expect.any(Number));
      expect(put?.impliedVolatility).toBe(call?.impliedVolatility);
    }
  });

  it('still lets each strike’s volatility drift off the smile over time', () => {
    const market = new Market(11, START);
    const expiry = listedExpiries(START)[1] as number;
    const baseVol = underlyingSpec('BTCUSD')?.baseVol ?? Number.NaN;
    const offsets = new Set<string>();
    for (let tick = 1; tick <= TICKS; tick++) {
      const now = START + tick * TICK_MS;
      market.step(now, []);
      const [pair] = pairs(market.chainRecords('BTCUSD', expiry));
      if (pair === undefined) throw new Error('empty chain');
      const smile = smileVol(baseVol, Number(pair.call.underlyingPrice), pair.strike, (expiry - now) / YEAR_MS);
      offsets.add(((pair.call.markIv ?? Number.NaN) - smile).toFixed(6));
    }
    expect(offsets.size).toBeGreaterThan(1);
  });
});
